//! What an operator's monitoring reads at each scrape: figures taken from the database
//! as it is now, so that every server of an installation reports the same backlog.

use crate::{App, AppError};

/// The installation's state at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observed {
    /// E-mails waiting in the outbox.
    pub outbox_depth: i64,
    /// How long the oldest of them has waited, in seconds (0 when none waits).
    pub outbox_oldest_seconds: f64,
    /// Events in the audit trail (the head's sequence number).
    pub audit_events: i64,
    /// Database connections this server holds, and how many of them are idle.
    pub pool_connections: u32,
    /// Idle connections among them.
    pub pool_idle: usize,
}

impl App {
    /// Reads the figures monitoring asks for; two small queries.
    pub async fn observe(&self) -> Result<Observed, AppError> {
        let (outbox_depth, oldest) = mamori_storage::notifications::mail_backlog(&self.db).await?;
        let (audit_events, _) = mamori_storage::audit::head(&self.db).await?;
        let outbox_oldest_seconds = oldest.map_or(0.0, |t| {
            (self.now().0.as_microsecond() - t.0.as_microsecond()).max(0) as f64 / 1e6
        });
        let (pool_connections, pool_idle) = self.db.pool_usage();
        Ok(Observed {
            outbox_depth,
            outbox_oldest_seconds,
            audit_events,
            pool_connections,
            pool_idle,
        })
    }
}
