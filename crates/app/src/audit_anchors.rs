//! Anchoring the audit trail: once a day (and on demand) the chain's head is signed with a
//! key kept outside the database, written to a folder and, when configured, mailed to the
//! auditors. Checking an anchor later proves the chain still holds what it held then; see
//! [`mamori_auth::anchor`] for why the hash chain alone cannot.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use jiff::Timestamp;
use mamori_auth::anchor::{Anchor, AnchorError, AnchorKey, AnchorPublicKey, hex};
use mamori_domain::audit::Outcome;
use mamori_storage::audit;

use crate::{App, AppError, Event, Mailer};

/// Anchor files start with this, then the UTC time and the sequence number.
const PREFIX: &str = "audit-anchor-";
/// The public key's file in the anchor folder, for auditors to copy.
pub const PUBLIC_KEY_FILE: &str = "audit-anchor.pub";

/// Where this server anchors the trail, and to whom it mails the anchors.
#[derive(Debug)]
pub struct Anchoring {
    /// The signing key.
    pub key: AnchorKey,
    /// The folder anchors are written to.
    pub dir: PathBuf,
    /// Auditors' addresses; empty when anchors are not mailed.
    pub mail_to: Vec<String>,
    /// An anchor whose e-mail failed, sent again on a later run.
    unsent: Mutex<Option<Anchor>>,
}

/// What checking one anchor against the chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnchorStatus {
    /// The chain holds the anchored hash at the anchored position.
    Holds,
    /// The anchor itself does not verify: altered, or not signed by the trusted key.
    Unsigned(AnchorError),
    /// The chain stops before the anchored event: events were removed from its end.
    Missing {
        /// The chain's head today.
        head: i64,
    },
    /// The event at the anchored position has another hash: the chain was rewritten
    /// after the anchor was signed.
    Rewritten {
        /// The hash the chain holds there now.
        found: String,
    },
}

impl Anchoring {
    /// Anchoring with `key` into `dir`, mailed to `mail_to`.
    pub fn new(key: AnchorKey, dir: PathBuf, mail_to: Vec<String>) -> Self {
        Self {
            key,
            dir,
            mail_to,
            unsent: Mutex::new(None),
        }
    }
}

impl App {
    /// Signs the chain's head as it is now, records that it did in the trail itself (the
    /// record follows the anchored head, so the next anchor covers it), and writes the
    /// anchor to `anchoring.dir`. Returns the anchor and its file.
    pub async fn anchor_audit_chain(
        &self,
        anchoring: &Anchoring,
    ) -> Result<(Anchor, PathBuf), AppError> {
        let (seq, hash) = audit::head(&self.db).await?;
        let hash: [u8; 32] = hash
            .try_into()
            .map_err(|_| AppError::Internal("the audit head's hash is not 32 bytes".into()))?;
        let now = self.now().0;
        let signed_at = now
            .round(jiff::Unit::Second)
            .unwrap_or(now)
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string();
        let anchor = anchoring.key.sign(seq, hash, &signed_at);
        // Recorded before the file is written: a file on disk then always has its record
        // in the trail. A file that fails to be written after the record leaves no anchor
        // for the day, and the next run signs again.
        let mut tx = self.db.begin().await?;
        self.record(
            &mut tx,
            None,
            None,
            Event {
                action: "audit.anchor",
                organisation: None,
                target_kind: "audit",
                target_id: Some(seq.to_string()),
                outcome: Outcome::Success,
                detail: serde_json::json!({
                    "seq": seq,
                    "hash": hex(&hash),
                    "key": anchoring.key.public().to_text(),
                }),
            },
        )
        .await?;
        tx.commit().await?;
        let file = write_anchor(&anchoring.dir, &anchor)
            .map_err(|e| AppError::Internal(format!("{}: {e}", anchoring.dir.display())))?;
        Ok((anchor, file))
    }

    /// The daily anchor: written when the folder holds none signed today (in the
    /// installation's zone), then mailed; an e-mail that failed is sent again on a later
    /// run. Several servers sharing one folder write one anchor a day between them, give
    /// or take a race at midnight; servers with folders of their own each write theirs.
    pub async fn anchor_if_due(
        &self,
        anchoring: &Anchoring,
        mailer: Option<&Mailer>,
    ) -> Result<Option<PathBuf>, AppError> {
        let today = self.now().0.to_zoned(self.settings.zone.clone()).date();
        let written = latest_anchor_time(&anchoring.dir)
            .is_some_and(|t| t.to_zoned(self.settings.zone.clone()).date() >= today);
        let mut file = None;
        if !written {
            let (anchor, path) = self.anchor_audit_chain(anchoring).await?;
            tracing::info!(seq = anchor.seq, file = %path.display(), "signed the audit trail's head");
            *anchoring.unsent.lock().expect("not poisoned") = Some(anchor);
            file = Some(path);
        }
        let pending = anchoring.unsent.lock().expect("not poisoned").clone();
        if let (Some(anchor), Some(mailer)) = (pending, mailer)
            && !anchoring.mail_to.is_empty()
        {
            mail_anchor(mailer, &anchoring.mail_to, &anchor).await?;
            *anchoring.unsent.lock().expect("not poisoned") = None;
        }
        Ok(file)
    }

    /// Checks one anchor against the chain as it is now. Only the anchored event is read:
    /// whether the events around it still link up is the chain verifier's part.
    pub async fn check_anchor(
        &self,
        anchor: &Anchor,
        trusted: &AnchorPublicKey,
    ) -> Result<AnchorStatus, AppError> {
        let at = audit::hash_at(&self.db, anchor.seq).await?;
        // The head is only said when the anchored event is missing.
        let head = match at {
            Some(_) => anchor.seq,
            None => audit::head(&self.db).await?.0,
        };
        Ok(judge_anchor(anchor, trusted, at.as_deref(), head))
    }
}

/// What an anchor says of the chain, given the hash the chain holds at the anchored
/// position now (`None`: no such event) and the chain's head.
pub fn judge_anchor(
    anchor: &Anchor,
    trusted: &AnchorPublicKey,
    hash_at: Option<&[u8]>,
    head: i64,
) -> AnchorStatus {
    if let Err(e) = anchor.verify(trusted) {
        return AnchorStatus::Unsigned(e);
    }
    if anchor.seq == 0 {
        // Signed before the first event: there is nothing to hold.
        return AnchorStatus::Holds;
    }
    match hash_at {
        None => AnchorStatus::Missing { head },
        Some(h) if h == anchor.hash => AnchorStatus::Holds,
        Some(h) => AnchorStatus::Rewritten { found: hex(h) },
    }
}

/// Mails an anchor's text to the auditors.
pub async fn mail_anchor(mailer: &Mailer, to: &[String], anchor: &Anchor) -> Result<(), AppError> {
    let subject = format!("証跡アンカー / audit trail anchor: event {}", anchor.seq);
    let body = format!(
        "mamori の証跡の先頭（第{seq}件）に署名しました。このメールを保管してください。\n\
         後日 `mamori audit verify --anchors <このテキストを保存したフォルダ>` で、証跡がこの時点から\n\
         書き換えられていないことを確かめられます。\n\n\
         The head of mamori's audit trail (event {seq}) was signed. Keep this message: \
         saved to a folder, it lets `mamori audit verify --anchors DIR` prove later that the \
         trail was not rewritten since.\n\n{text}",
        seq = anchor.seq,
        text = anchor.to_text()
    );
    mailer.send_text(to, &subject, &body).await
}

/// Writes `anchor` to a new file in `dir` (created if missing).
pub fn write_anchor(dir: &Path, anchor: &Anchor) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let stamp = anchor.signed_at.replace(['-', ':'], "");
    let path = dir.join(format!("{PREFIX}{stamp}-{}.txt", anchor.seq));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    let mut file = options.open(&path)?;
    std::io::Write::write_all(&mut file, anchor.to_text().as_bytes())?;
    file.sync_all()?;
    Ok(path)
}

/// Every anchor in `dir`, oldest first, each read or with why it could not be. Any text
/// file that starts like an anchor counts, whatever its name (an auditor may save the
/// mails under names of their own); other files are passed over.
pub fn read_anchors(dir: &Path) -> std::io::Result<Vec<(PathBuf, Result<Anchor, AnchorError>)>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if !path.is_file() {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        // A saved e-mail carries the anchor after its explanation.
        let Some(start) = text.find("mamori audit anchor v") else {
            continue;
        };
        found.push((path, Anchor::parse(&text[start..])));
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(found)
}

/// When the newest anchor written by mamori in `dir` was signed, read from file names.
fn latest_anchor_time(dir: &Path) -> Option<Timestamp> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let stamp = name.strip_prefix(PREFIX)?.get(..16)?;
            // The names are in UTC, as the `Z` says.
            jiff::fmt::strtime::parse("%Y%m%dT%H%M%SZ", stamp)
                .ok()?
                .to_datetime()
                .ok()?
                .to_zoned(jiff::tz::TimeZone::UTC)
                .ok()
                .map(|z| z.timestamp())
        })
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_anchors_are_read_back_and_dated_by_their_names() {
        let dir = std::env::temp_dir().join(format!("mamori-anchors-{}", uuid::Uuid::now_v7()));
        let key = AnchorKey::generate();
        let first = key.sign(3, [1; 32], "2026-12-05T15:00:00Z");
        let second = key.sign(9, [2; 32], "2026-12-06T00:05:00Z");
        write_anchor(&dir, &first).unwrap();
        write_anchor(&dir, &second).unwrap();
        // An auditor's saved mail, under a name of their own, with text before the anchor.
        std::fs::write(
            dir.join("saved mail.eml"),
            format!("Subject: anchor\n\nkeep this\n\n{}", second.to_text()),
        )
        .unwrap();
        std::fs::write(dir.join("notes.txt"), "nothing here").unwrap();
        let read = read_anchors(&dir).unwrap();
        assert_eq!(read.len(), 3, "{read:?}");
        assert!(read.iter().all(|(_, a)| a.is_ok()));
        assert_eq!(
            latest_anchor_time(&dir).unwrap().to_string(),
            "2026-12-06T00:05:00Z"
        );
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(latest_anchor_time(&dir), None);
    }
}
