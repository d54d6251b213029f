//! `mamori doctor`: checks an installation the way its IT staff would before (and after)
//! going live, one line per check. Nothing is changed: the database is read without being
//! migrated, keys are read without being created. A failure is something to fix before
//! people rely on the installation; a warning, something to look at.

use std::path::{Path, PathBuf};

use mamori_app::{AnchorStatus, Mailer};
use mamori_auth::anchor::AnchorKey;
use mamori_storage::DbConfig;

/// How one check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Ok,
    Warn,
    Fail,
}

/// What `doctor` looks at.
pub struct Installation<'a> {
    pub data_dir: &'a Path,
    pub database_url: Option<&'a str>,
    /// `--secret-key` given, rather than the key file.
    pub secret_key_given: bool,
    pub anchor_key: PathBuf,
    pub anchor_dir: PathBuf,
    pub smtp_url: Option<&'a str>,
    pub mail_from: &'a str,
    /// Send a test e-mail here.
    pub test_mail: Option<&'a str>,
}

struct Report(Vec<Verdict>);

impl Report {
    fn line(&mut self, verdict: Verdict, what: &str, says: impl std::fmt::Display) {
        let tag = match verdict {
            Verdict::Ok => "[OK]  ",
            Verdict::Warn => "[WARN]",
            Verdict::Fail => "[FAIL]",
        };
        println!("{tag} {what}: {says}");
        self.0.push(verdict);
    }
}

/// Runs every check, printing each; returns the worst verdict.
pub async fn run(at: &Installation<'_>) -> Verdict {
    let mut report = Report(Vec::new());
    data_folder(at, &mut report);
    secret_key(at, &mut report);
    let key = anchor_key(at, &mut report);
    let latest = latest_anchor(at);
    let config = match DbConfig::from_options(at.database_url, at.data_dir) {
        Ok(c) => c,
        Err(e) => {
            report.line(Verdict::Fail, "データベース / database", e);
            return worst(&report);
        }
    };
    match mamori_storage::inspect(&config, latest.as_ref().map(|(_, a)| a.seq)).await {
        Ok(None) => report.line(
            Verdict::Fail,
            "データベース / database",
            format!("{config:?}: no database yet (`mamori migrate` or the first start creates it)"),
        ),
        Err(e) => report.line(
            Verdict::Fail,
            "データベース / database",
            format!("{config:?}: cannot connect: {e}"),
        ),
        Ok(Some(seen)) => {
            let (verdict, says) = if !seen.unknown.is_empty() {
                (
                    Verdict::Fail,
                    format!(
                        "migrations {:?} were applied by a newer mamori than this one: run that version",
                        seen.unknown
                    ),
                )
            } else if !seen.pending.is_empty() {
                (
                    Verdict::Warn,
                    format!(
                        "{} of {} migrations applied; the next start (or `mamori migrate`) applies {:?}",
                        seen.applied, seen.known, seen.pending
                    ),
                )
            } else {
                (
                    Verdict::Ok,
                    format!("all {} migrations applied", seen.known),
                )
            };
            report.line(
                verdict,
                "データベース / database",
                format!("{config:?}: {says}"),
            );
            clock(seen.server_time, &mut report);
            audit_head(&seen, key.as_ref(), latest.as_ref(), &mut report);
        }
    }
    mail(at, &mut report).await;
    worst(&report)
}

fn worst(report: &Report) -> Verdict {
    report.0.iter().copied().max().unwrap_or(Verdict::Ok)
}

/// The mode bits of `path` beyond its owner's, if any (Unix only).
fn shared_mode(path: &Path) -> std::io::Result<Option<u32>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
        Ok((mode & 0o077 != 0).then_some(mode))
    }
    #[cfg(not(unix))]
    {
        std::fs::metadata(path).map(|_| None)
    }
}

fn data_folder(at: &Installation<'_>, report: &mut Report) {
    const WHAT: &str = "データフォルダ / data folder";
    let dir = at.data_dir.display();
    match shared_mode(at.data_dir) {
        Err(e) => report.line(Verdict::Fail, WHAT, format!("{dir}: {e}")),
        Ok(Some(mode)) => report.line(
            Verdict::Fail,
            WHAT,
            format!(
                "{dir} is open to others (mode {mode:o}); it holds the keys and, on SQLite, \
                 every record: `chmod 700 {dir}`"
            ),
        ),
        Ok(None) => report.line(Verdict::Ok, WHAT, format!("{dir}, owner only")),
    }
}

/// A key file: present and readable by its owner only.
fn key_file(path: &Path, what: &str, report: &mut Report) -> bool {
    match shared_mode(path) {
        Err(e) => {
            report.line(Verdict::Fail, what, format!("{}: {e}", path.display()));
            false
        }
        Ok(Some(mode)) => {
            report.line(
                Verdict::Fail,
                what,
                format!(
                    "{} is open to others (mode {mode:o}): `chmod 600 {}`",
                    path.display(),
                    path.display()
                ),
            );
            true
        }
        Ok(None) => true,
    }
}

fn secret_key(at: &Installation<'_>, report: &mut Report) {
    const WHAT: &str = "封印鍵 / sealing key";
    if at.secret_key_given {
        report.line(
            Verdict::Ok,
            WHAT,
            "given by MAMORI_SECRET_KEY / --secret-key",
        );
        return;
    }
    let path = at.data_dir.join("secret.key");
    if !path.exists() {
        report.line(
            Verdict::Warn,
            WHAT,
            format!(
                "{} does not exist yet; the first start creates it (several servers need the same key)",
                path.display()
            ),
        );
        return;
    }
    if key_file(&path, WHAT, report) {
        report.line(
            Verdict::Ok,
            WHAT,
            format!(
                "{}, owner only; back it up with the database",
                path.display()
            ),
        );
    }
}

fn anchor_key(at: &Installation<'_>, report: &mut Report) -> Option<AnchorKey> {
    const WHAT: &str = "アンカー鍵 / anchor key";
    let path = &at.anchor_key;
    if !path.exists() {
        report.line(
            Verdict::Warn,
            WHAT,
            format!(
                "{} does not exist yet; the first start creates it",
                path.display()
            ),
        );
        return None;
    }
    if !key_file(path, WHAT, report) {
        return None;
    }
    let key = std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|t| AnchorKey::from_hex(&t).map_err(|e| e.to_string()));
    match key {
        Ok(key) => {
            report.line(
                Verdict::Ok,
                WHAT,
                format!("{}, public key {}", path.display(), key.public().to_text()),
            );
            Some(key)
        }
        Err(e) => {
            report.line(Verdict::Fail, WHAT, format!("{}: {e}", path.display()));
            None
        }
    }
}

/// The newest anchor in the anchor folder that reads as one.
fn latest_anchor(at: &Installation<'_>) -> Option<(PathBuf, mamori_auth::anchor::Anchor)> {
    mamori_app::read_anchors(&at.anchor_dir)
        .ok()?
        .into_iter()
        .filter_map(|(path, anchor)| Some((path, anchor.ok()?)))
        .max_by(|a, b| a.1.signed_at.cmp(&b.1.signed_at))
}

fn clock(server_time: Option<mamori_storage::Ts>, report: &mut Report) {
    const WHAT: &str = "時刻 / clock";
    // Against PostgreSQL's clock, which every server of an installation shares: deadlines
    // and the audit trail's times are only as right as the clocks that write them.
    if let Some(theirs) = server_time {
        let ours = jiff::Timestamp::now();
        let skew = (ours.as_millisecond() - theirs.0.as_millisecond()).abs() as f64 / 1000.0;
        let verdict = if skew > 2.0 {
            Verdict::Warn
        } else {
            Verdict::Ok
        };
        report.line(
            verdict,
            WHAT,
            format!("this machine and PostgreSQL differ by {skew:.1} s"),
        );
    }
    let synced = std::process::Command::new("timedatectl")
        .args(["show", "--property=NTPSynchronized", "--value"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "yes");
    match synced {
        Some(true) => report.line(Verdict::Ok, WHAT, "synchronised (timedatectl)"),
        Some(false) => report.line(
            Verdict::Warn,
            WHAT,
            "not synchronised (timedatectl): point it at the office's NTP server",
        ),
        None if server_time.is_none() => report.line(
            Verdict::Warn,
            WHAT,
            "cannot tell whether the clock is synchronised (no timedatectl); check NTP by hand",
        ),
        None => {}
    }
}

fn audit_head(
    seen: &mamori_storage::Inspection,
    key: Option<&AnchorKey>,
    latest: Option<&(PathBuf, mamori_auth::anchor::Anchor)>,
    report: &mut Report,
) {
    const WHAT: &str = "証跡 / audit trail";
    let Some((seq, hash)) = &seen.audit_head else {
        report.line(
            Verdict::Warn,
            WHAT,
            "no chain yet (the database is not migrated)",
        );
        return;
    };
    let head = format!(
        "head at event {seq} ({}…)",
        &mamori_auth::anchor::hex(hash)[..16]
    );
    let (Some(key), Some((file, anchor))) = (key, latest) else {
        report.line(
            Verdict::Warn,
            WHAT,
            format!(
                "{head}; no anchor yet (the server signs one each day, or `mamori audit anchor`)"
            ),
        );
        return;
    };
    let file = file.display();
    match mamori_app::judge_anchor(anchor, &key.public(), seen.hash_at.as_deref(), *seq) {
        AnchorStatus::Holds => report.line(
            Verdict::Ok,
            WHAT,
            format!(
                "{head}; the latest anchor ({file}, event {}, {}) holds",
                anchor.seq, anchor.signed_at
            ),
        ),
        other => report.line(
            Verdict::Fail,
            WHAT,
            format!(
                "{head}; the latest anchor ({file}) does not hold: {other:?} — run `mamori audit verify --anchors`"
            ),
        ),
    }
}

async fn mail(at: &Installation<'_>, report: &mut Report) {
    const WHAT: &str = "メール / e-mail";
    let Some(url) = at.smtp_url else {
        let verdict = if at.test_mail.is_some() {
            Verdict::Fail
        } else {
            Verdict::Warn
        };
        report.line(
            verdict,
            WHAT,
            "no --smtp-url: notifications stay in the app, and no test e-mail can be sent",
        );
        return;
    };
    // The URL may carry a password: only its scheme and host are shown.
    let shown = url
        .split_once("://")
        .map(|(scheme, rest)| {
            let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
            format!(
                "{scheme}://{}",
                host.split(['/', '?']).next().unwrap_or(host)
            )
        })
        .unwrap_or_else(|| "?".into());
    let mailer = match Mailer::new(url, at.mail_from, "") {
        Ok(m) => m,
        Err(e) => {
            report.line(Verdict::Fail, WHAT, format!("{shown}: {e}"));
            return;
        }
    };
    let Some(to) = at.test_mail else {
        report.line(
            Verdict::Ok,
            WHAT,
            format!(
                "{shown}, from {} (add --test-mail ADDR to send one)",
                at.mail_from
            ),
        );
        return;
    };
    let sent = mailer
        .send_text(
            &[to.to_owned()],
            "テストメール / test e-mail",
            "mamori doctor が送信したテストメールです。\n\nA test e-mail sent by mamori doctor.\n",
        )
        .await;
    match sent {
        Ok(()) => report.line(
            Verdict::Ok,
            WHAT,
            format!("{shown}: a test e-mail was accepted for {to}"),
        ),
        Err(e) => report.line(Verdict::Fail, WHAT, format!("{shown}: {e}")),
    }
}
