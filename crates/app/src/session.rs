//! Turning a session cookie into a caller, and the session's own life cycle.

use jiff::SignedDuration;
use mamori_auth::token;
use mamori_domain::calendar::DateStyle;
use mamori_domain::person::Locale;
use mamori_domain::policy::Actor;
use mamori_storage::Tx;
use mamori_storage::sessions::{self, stage};
use uuid::Uuid;

use crate::{App, AppError};

/// Who is making a request, as the use cases need it.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The person and their roles today.
    pub actor: Actor,
    /// Client address, for the audit trail.
    pub ip: Option<String>,
    /// SHA-256 of the session token (to end or change this session); empty when the
    /// caller presented an API token instead.
    pub session: Vec<u8>,
    /// The personal API token the request presented, if it came with one.
    pub api_token: Option<Uuid>,
}

/// A looked-up session, whatever its stage.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    /// The caller (roles resolved for today).
    pub caller: Caller,
    /// See [`mamori_storage::sessions::stage`].
    pub stage: String,
    /// Token that forms must echo.
    pub csrf_token: String,
    /// Name to greet.
    pub name: String,
    /// E-mail.
    pub email: String,
    /// Reading language.
    pub locale: Locale,
    /// How the person reads dates on pages.
    pub date_style: DateStyle,
    /// A second-factor secret being enrolled.
    pub totp_pending: Option<String>,
    /// Started by a directory sign-in: no local password was used, so none must be
    /// changed once the second factor is done.
    pub via_directory: bool,
}

impl SessionInfo {
    /// Whether login is complete.
    pub fn is_full(&self) -> bool {
        self.stage == stage::FULL
    }
}

impl App {
    /// Finds the session behind a cookie token; `None` if unknown, expired or idle.
    pub async fn session(
        &self,
        token: &str,
        ip: Option<String>,
    ) -> Result<Option<SessionInfo>, AppError> {
        let id_hash = token::hash_token(token);
        let Some((row, grants)) = sessions::lookup(&self.db, &id_hash, self.today()).await? else {
            return Ok(None);
        };
        let now = self.now();
        let idle_limit = SignedDuration::from_mins(self.settings.session_idle_minutes);
        let idle_since = now.0.duration_since(row.last_seen_at.0);
        if !row.active || row.expires_at <= now || idle_since > idle_limit {
            let mut tx = self.db.begin().await?;
            sessions::delete(&mut tx, &id_hash).await?;
            tx.commit().await?;
            return Ok(None);
        }
        // Refresh the idle clock at most once a minute, so that most requests only read.
        if idle_since > SignedDuration::from_secs(60) {
            let mut tx = self.db.begin().await?;
            sessions::touch(&mut tx, &id_hash, now).await?;
            tx.commit().await?;
        }
        Ok(Some(SessionInfo {
            caller: Caller {
                actor: Actor {
                    person: row.person_id,
                    organisation: row.organisation_id,
                    grants,
                },
                ip,
                session: id_hash,
                api_token: None,
            },
            stage: row.stage,
            csrf_token: row.csrf_token,
            name: row.person_name,
            email: row.email,
            locale: Locale::parse_or_default(&row.locale),
            date_style: DateStyle::parse_or_default(&row.date_style),
            totp_pending: row.totp_pending,
            via_directory: row.via_directory,
        }))
    }

    /// Ends the caller's session.
    pub async fn logout(&self, caller: &Caller) -> Result<(), AppError> {
        let mut tx = self.db.begin().await?;
        sessions::delete(&mut tx, &caller.session).await?;
        self.record_own(&mut tx, caller, "logout", serde_json::json!({}))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets the caller's reading language.
    pub async fn set_locale(&self, caller: &Caller, locale: Locale) -> Result<(), AppError> {
        let mut tx = self.db.begin().await?;
        mamori_storage::persons::set_locale(
            &mut tx,
            caller.actor.person,
            locale.as_str(),
            self.now(),
        )
        .await?;
        self.record_own(
            &mut tx,
            caller,
            "person.set_locale",
            serde_json::json!({ "locale": locale.as_str() }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets how the caller reads dates on pages (和暦 or 西暦).
    pub async fn set_date_style(&self, caller: &Caller, style: DateStyle) -> Result<(), AppError> {
        let mut tx = self.db.begin().await?;
        mamori_storage::persons::set_date_style(
            &mut tx,
            caller.actor.person,
            style.as_str(),
            self.now(),
        )
        .await?;
        self.record_own(
            &mut tx,
            caller,
            "person.set_date_style",
            serde_json::json!({ "date_style": style.as_str() }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes expired and idle sessions (run periodically).
    pub async fn sweep_sessions(&self) -> Result<u64, AppError> {
        let now = self.now();
        let idle_since = mamori_storage::Ts(
            now.0 - SignedDuration::from_mins(self.settings.session_idle_minutes),
        );
        let mut tx = self.db.begin().await?;
        let n = sessions::delete_expired(&mut tx, now, idle_since).await?;
        // Directory sign-ins nobody came back from.
        mamori_storage::oidc::delete_expired_logins(&mut tx, now).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// The person id behind a caller (for handlers that show "me").
    pub fn me(caller: &Caller) -> Uuid {
        caller.actor.person
    }
}

impl App {
    /// Records a change the caller made to their own account or session.
    async fn record_own(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        action: &str,
        detail: serde_json::Value,
    ) -> Result<(), AppError> {
        let me = ("person", caller.actor.person.to_string());
        self.record_done(tx, caller, action, caller.actor.organisation, me, detail)
            .await
    }
}
