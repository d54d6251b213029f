//! Limits at the server's edge, and the folding of repeated refusals into one audit event.
//!
//! A refused request needs no session, yet each one used to append a hash-chained event:
//! anyone could grow the trail without limit. Now the first few refusals from an address
//! in a window are written one by one (they are the evidence worth reading), and the rest
//! are counted and written as one `request.refused_repeated` event when the window has
//! closed.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use mamori_domain::audit::Outcome;

use crate::{App, AppError, Caller, Event};

/// Connection and request limits an installation may tune.
#[derive(Debug, Clone)]
pub struct EdgeLimits {
    /// A request's head (request line and headers) must arrive within this long of the
    /// server starting to wait for it, on a new connection and between requests alike.
    pub header_read_timeout: Duration,
    /// A kept-alive connection with no request in progress closes after this long.
    pub keep_alive_idle: Duration,
    /// Connections served at once; more wait in the listen queue until one closes. Keep
    /// the process's descriptor limit (`ulimit -n`, systemd `LimitNOFILE`) well above it.
    pub max_connections: usize,
    /// Failures (refused requests, failed logins, requests without a valid session)
    /// that one client address may make in a row before it is answered 429.
    pub failure_burst: u32,
    /// Failures per minute an address earns back after its burst is spent.
    pub failures_per_minute: u32,
    /// Refused requests from one address written to the audit trail one by one within
    /// a window; those after them are counted into one event.
    pub refusals_written: u32,
    /// The window over which refusals are counted.
    pub refusal_window: Duration,
    /// Reverse proxies whose `X-Forwarded-For` names the client: behind one, every
    /// connection comes from the proxy, and the limits above would be shared by everyone.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for EdgeLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(15),
            keep_alive_idle: Duration::from_secs(10),
            max_connections: 512,
            failure_burst: 30,
            failures_per_minute: 6,
            refusals_written: 5,
            refusal_window: Duration::from_secs(60),
            trusted_proxies: Vec::new(),
        }
    }
}

/// Refusals from one address within the current window.
#[derive(Debug)]
struct Window {
    opened: Timestamp,
    written: u32,
    counted: u64,
    reasons: BTreeMap<String, u64>,
}

/// Count of refusals not yet written, per address, in memory: each server counts its own.
#[derive(Debug, Default)]
pub(crate) struct Refusals {
    windows: Mutex<HashMap<String, Window>>,
}

/// Addresses tracked at once; beyond it new ones share one entry, so a flood from many
/// addresses cannot grow memory without limit.
const MAX_TRACKED: usize = 100_000;
const OVERFLOW: &str = "*";

/// A refusal count ready to be written.
struct Folded {
    ip: String,
    opened: Timestamp,
    closed: Timestamp,
    count: u64,
    reasons: BTreeMap<String, u64>,
}

impl App {
    /// Records a request refused before any use case ran (sent from another site, a form
    /// without its session token, or an address over its limit): who, if known, from
    /// where, and why. Beyond [`EdgeLimits::refusals_written`] in a window the refusal
    /// is only counted, and the count is written once the window has closed.
    pub async fn record_refused_request(
        &self,
        actor: Option<&Caller>,
        ip: Option<String>,
        reason: &str,
        path: &str,
    ) -> Result<(), AppError> {
        let limits = &self.settings.edge;
        let now = self.now().0;
        let window = SignedDuration::try_from(limits.refusal_window).unwrap_or(SignedDuration::MAX);
        let key = ip.clone().unwrap_or_default();
        let (write_this, folded) = {
            let mut windows = self
                .refusals
                .windows
                .lock()
                .map_err(|e| AppError::Internal(e.to_string()))?;
            let key = if windows.len() >= MAX_TRACKED && !windows.contains_key(&key) {
                prune(&mut windows, now, window);
                if windows.len() >= MAX_TRACKED {
                    OVERFLOW.to_owned()
                } else {
                    key
                }
            } else {
                key
            };
            let open = windows
                .get(&key)
                .is_some_and(|w| now.duration_since(w.opened) < window);
            if open {
                let w = windows
                    .get_mut(&key)
                    .ok_or_else(|| AppError::Internal("refusal window vanished".into()))?;
                if w.written < limits.refusals_written {
                    w.written += 1;
                    (true, None)
                } else {
                    w.counted += 1;
                    *w.reasons.entry(reason.to_owned()).or_default() += 1;
                    (false, None)
                }
            } else {
                // A new window: this refusal is its first, written unless nothing is.
                let write = limits.refusals_written > 0;
                let mut fresh = Window {
                    opened: now,
                    written: u32::from(write),
                    counted: 0,
                    reasons: BTreeMap::new(),
                };
                if !write {
                    fresh.counted = 1;
                    fresh.reasons.insert(reason.to_owned(), 1);
                }
                let old = windows.insert(key.clone(), fresh);
                (write, old.and_then(|w| fold(key, w, now, window)))
            }
        };
        if !write_this && folded.is_none() {
            return Ok(());
        }
        let mut tx = self.db.begin().await?;
        if let Some(f) = folded {
            self.record_folded(&mut tx, f).await?;
        }
        if write_this {
            self.record(
                &mut tx,
                actor.map(|c| c.actor.person),
                ip.as_deref(),
                Event {
                    action: "request.refused",
                    organisation: actor.map(|c| c.actor.organisation),
                    target_kind: "request",
                    target_id: None,
                    outcome: Outcome::Denied,
                    detail: serde_json::json!({ "reason": reason, "path": path.chars().take(200).collect::<String>() }),
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Writes the counts of refusals whose window has closed and forgets the addresses
    /// that went quiet; run periodically, so that a count is not held until the same
    /// address is refused again. Returns how many count events were written.
    pub async fn flush_refusals(&self) -> Result<usize, AppError> {
        let now = self.now().0;
        let window = SignedDuration::try_from(self.settings.edge.refusal_window)
            .unwrap_or(SignedDuration::MAX);
        let folded: Vec<Folded> = {
            let mut windows = self
                .refusals
                .windows
                .lock()
                .map_err(|e| AppError::Internal(e.to_string()))?;
            let closed: Vec<String> = windows
                .iter()
                .filter(|(_, w)| now.duration_since(w.opened) >= window)
                .map(|(k, _)| k.clone())
                .collect();
            closed
                .into_iter()
                .filter_map(|k| {
                    let w = windows.remove(&k)?;
                    fold(k, w, now, window)
                })
                .collect()
        };
        if folded.is_empty() {
            return Ok(0);
        }
        let n = folded.len();
        let mut tx = self.db.begin().await?;
        for f in folded {
            self.record_folded(&mut tx, f).await?;
        }
        tx.commit().await?;
        Ok(n)
    }

    async fn record_folded(&self, tx: &mut mamori_storage::Tx, f: Folded) -> Result<(), AppError> {
        tracing::warn!(ip = %f.ip, count = f.count, "repeated refused requests");
        let ip = (!f.ip.is_empty() && f.ip != OVERFLOW).then_some(f.ip.as_str());
        self.record(
            tx,
            None,
            ip,
            Event {
                action: "request.refused_repeated",
                organisation: None,
                target_kind: "request",
                target_id: None,
                outcome: Outcome::Denied,
                detail: serde_json::json!({
                    "count": f.count,
                    "reasons": f.reasons,
                    "from": f.opened.to_string(),
                    "until": f.closed.to_string(),
                    "many_addresses": f.ip == OVERFLOW,
                }),
            },
        )
        .await?;
        Ok(())
    }
}

/// The count event for a closed window, if anything was only counted in it.
fn fold(ip: String, w: Window, now: Timestamp, window: SignedDuration) -> Option<Folded> {
    (w.counted > 0).then(|| Folded {
        ip,
        opened: w.opened,
        closed: w.opened.checked_add(window).unwrap_or(now).min(now),
        count: w.counted,
        reasons: w.reasons,
    })
}

/// Forgets closed windows that hold no count (counted ones wait for [`App::flush_refusals`]).
fn prune(windows: &mut HashMap<String, Window>, now: Timestamp, window: SignedDuration) {
    windows.retain(|_, w| w.counted > 0 || now.duration_since(w.opened) < window);
}
