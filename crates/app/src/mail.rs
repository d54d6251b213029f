//! E-mail delivery from the outbox. Notices are written with the change they announce;
//! this worker sends them later, so a mail server that is down delays a message but never
//! loses it or fails the change.

use std::time::Duration;

use jiff::SignedDuration;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use mamori_storage::Ts;
use mamori_storage::notifications::{self, MailRow};
use uuid::Uuid;

use crate::{App, AppError};

/// E-mails one run leases at most.
const BATCH: i64 = 20;
/// How long a lease lasts. A batch may take longer than this to send (twenty messages to
/// a server that answers slowly), so each message is claimed again, for another lease,
/// just before it is sent: the lease only has to outlast one message, whose sending the
/// transport's timeout (20 s) bounds.
const LEASE: SignedDuration = SignedDuration::from_mins(5);
/// The longest wait between two attempts.
const MAX_BACKOFF: SignedDuration = SignedDuration::from_hours(6);

/// An SMTP connection and what every message says about where it comes from.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The address people open mamori at, for the link in each message.
    public_url: String,
    /// How long this worker holds a message it leased before another may take it over.
    lease: SignedDuration,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from).finish()
    }
}

/// What one delivery run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct MailRun {
    /// Handed to the mail server.
    pub sent: usize,
    /// Failed; tried again later.
    pub failed: usize,
}

impl Mailer {
    /// Connects to the server of an SMTP URL (`smtps://user:pass@host`, or
    /// `smtp://host:port?tls=required`; plain `smtp://` only for a relay on the same host).
    pub fn new(url: &str, from: &str, public_url: &str) -> Result<Self, AppError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| AppError::Internal(format!("SMTP URL: {e}")))?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        let from = from
            .parse()
            .map_err(|e| AppError::Internal(format!("sender address {from:?}: {e}")))?;
        Ok(Self {
            transport,
            from,
            public_url: public_url.trim_end_matches('/').to_owned(),
            lease: LEASE,
        })
    }

    /// The same mailer with another lease (tests use seconds rather than minutes). It must
    /// stay longer than one message takes to send.
    pub fn with_lease(mut self, lease: SignedDuration) -> Self {
        self.lease = lease;
        self
    }

    /// Sends one plain-text message to `to` at once, outside the outbox: for what is not a
    /// notice to a person (audit anchors to the auditors' addresses). The caller keeps
    /// what it sends and tries again if this fails.
    pub async fn send_text(
        &self,
        to: &[String],
        subject: &str,
        body: &str,
    ) -> Result<(), AppError> {
        let mut message = Message::builder()
            .from(self.from.clone())
            .subject(format!("[mamori] {subject}"))
            .header(ContentType::TEXT_PLAIN);
        for address in to {
            let mailbox: Mailbox = address
                .parse()
                .map_err(|e| AppError::Internal(format!("address {address:?}: {e}")))?;
            message = message.to(mailbox);
        }
        let message = message
            .body(body.to_owned())
            .map_err(|e| AppError::Internal(e.to_string()))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| AppError::Internal(format!("e-mail not sent: {e}")))
    }

    fn message(&self, row: &MailRow) -> Result<Message, String> {
        let to = Mailbox::new(
            Some(row.name.clone()),
            row.email.parse().map_err(|e| format!("{e}"))?,
        );
        let subject = if row.locale == "en" {
            &row.subject_en
        } else {
            &row.subject_ja
        };
        let link = row
            .case_id
            .map(|id| format!("{}/cases/{id}", self.public_url))
            .unwrap_or_else(|| self.public_url.clone());
        // The message names the case and links to it; what the case holds stays behind the
        // login, as the originals forbid sending such content by plain e-mail.
        let body = format!(
            "{}\n\n{link}\n\nこのメールは mamori が自動で送信しています。\n\n---\n{}\n\n{link}\n\nSent automatically by mamori.\n",
            row.subject_ja, row.subject_en
        );
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(format!("[mamori] {subject}"))
            .message_id(Some(format!("<{}@mamori>", row.id)))
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| e.to_string())
    }
}

impl App {
    /// Sends the e-mails due for an attempt; safe to run on every server at once, since a
    /// batch is leased before it is sent and each message is claimed again, under this
    /// run's lease token, just before it is sent.
    pub async fn deliver_mail(&self, mailer: &Mailer) -> Result<MailRun, AppError> {
        let worker = Uuid::now_v7().to_string();
        let now = self.now();
        let until = Ts(now.0 + mailer.lease);
        let mut tx = self.db.begin().await?;
        let rows = notifications::lease_mail(&mut tx, &worker, now, until, BATCH).await?;
        tx.commit().await?;
        let mut run = MailRun::default();
        for row in rows {
            // The batch's lease may have run out while the messages before this one were
            // sent, and another server may have taken this one over: sending it anyway
            // would deliver it twice.
            let until = Ts(self.now().0 + mailer.lease);
            if !notifications::claim_mail(&self.db, row.id, &worker, until).await? {
                tracing::debug!(notification = %row.id, "e-mail taken over by another worker; skipped");
                continue;
            }
            let result = match mailer.message(&row) {
                Ok(message) => mailer
                    .transport
                    .send(message)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => {
                    notifications::mail_sent(&self.db, row.id, &worker, self.now()).await?;
                    run.sent += 1;
                }
                Err(error) => {
                    tracing::warn!(notification = %row.id, attempts = row.attempts + 1, %error, "e-mail not sent");
                    let retry = Ts(self.now().0 + backoff(row.attempts));
                    notifications::mail_failed(&self.db, row.id, &worker, &error, retry).await?;
                    run.failed += 1;
                }
            }
        }
        Ok(run)
    }

    /// E-mails written but not yet handed to the mail server.
    pub async fn mail_pending(&self) -> Result<i64, AppError> {
        Ok(notifications::mail_pending(&self.db).await?)
    }
}

/// One minute after the first failure, doubling up to six hours: a short outage costs
/// minutes, a long one does not hammer the server.
fn backoff(attempts: i32) -> SignedDuration {
    let minutes = 1i64 << attempts.clamp(0, 20);
    SignedDuration::from_mins(minutes).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_stops_at_six_hours() {
        assert_eq!(backoff(0), SignedDuration::from_mins(1));
        assert_eq!(backoff(3), SignedDuration::from_mins(8));
        assert_eq!(backoff(9), SignedDuration::from_hours(6));
        assert_eq!(backoff(40), SignedDuration::from_hours(6));
    }
}
