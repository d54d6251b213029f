//! SQLite's single writer, with group commit.
//!
//! SQLite lets one connection write at a time, and a durable commit costs an fsync (about
//! as long as the rest of a typical write put together). So write transactions that arrive
//! together share one: each runs inside its own savepoint of a common `BEGIN IMMEDIATE`,
//! and a flusher task commits the batch once nobody ahead of it in the queue still wants
//! to join. A transaction's `commit` returns only after that real commit: nothing is
//! acknowledged before it is on disk. A transaction dropped without commit is rolled back
//! to its savepoint, alone, by whoever takes the writer next.

use std::sync::{Arc, Weak};

use sqlx::SqliteConnection;
use tokio::sync::{Mutex, Notify, OwnedMutexGuard, watch};

use crate::StorageError;

/// The result of one batch, shared by every transaction in it.
type BatchResult = Option<Result<(), String>>;

/// The writer connection and what it knows about the open batch.
pub(crate) struct WriterState {
    conn: SqliteConnection,
    /// Open while a `BEGIN IMMEDIATE` is in progress; tells its members how it ended.
    batch: Option<watch::Sender<BatchResult>>,
    /// A transaction was dropped inside its savepoint: roll it back before anything else.
    abandoned: bool,
    /// The audit chain's head, including the open batch's appends.
    pub(crate) head: Option<(i64, [u8; 32])>,
    /// The head as it was when the current savepoint began.
    head_at_savepoint: Option<(i64, [u8; 32])>,
}

impl WriterState {
    /// Rolls back an abandoned savepoint, if there is one.
    async fn tidy(&mut self) -> Result<(), sqlx::Error> {
        if self.abandoned {
            self.abandoned = false;
            self.head = self.head_at_savepoint;
            sqlx::query("ROLLBACK TO SAVEPOINT w")
                .execute(&mut self.conn)
                .await?;
            sqlx::query("RELEASE SAVEPOINT w")
                .execute(&mut self.conn)
                .await?;
        }
        Ok(())
    }

    /// Ends the open batch: commits it, or rolls it all back if anything went wrong.
    async fn finish_batch(&mut self) {
        let Some(batch) = self.batch.take() else {
            return;
        };
        let tidied = self.tidy().await;
        let result = match tidied {
            Ok(()) => sqlx::query("COMMIT")
                .execute(&mut self.conn)
                .await
                .map(|_| ()),
            Err(e) => Err(e),
        };
        let result = match result {
            Ok(()) => Ok(()),
            Err(e) => {
                tracing::error!(error = %e, "a write batch failed; every transaction in it is rolled back");
                let _ = sqlx::query("ROLLBACK").execute(&mut self.conn).await;
                // What the database holds is unknown now: read the head again next time.
                self.head = None;
                Err(e.to_string())
            }
        };
        let _ = batch.send(Some(result));
    }
}

/// The single SQLite writer shared by every clone of a [`Db`](crate::Db).
#[derive(Clone)]
pub struct Writer {
    state: Arc<Mutex<WriterState>>,
    flush: Arc<Notify>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Writer")
    }
}

impl Writer {
    /// Wraps the connection and starts the flusher.
    pub(crate) fn new(conn: SqliteConnection) -> Self {
        let state = Arc::new(Mutex::new(WriterState {
            conn,
            batch: None,
            abandoned: false,
            head: None,
            head_at_savepoint: None,
        }));
        let flush = Arc::new(Notify::new());
        tokio::spawn(flusher(Arc::downgrade(&state), flush.clone()));
        Self { state, flush }
    }

    /// Starts a transaction: joins the open batch, or opens one.
    pub(crate) async fn begin(&self) -> Result<WriteTx, StorageError> {
        let mut state = self.state.clone().lock_owned().await;
        if let Err(e) = state.tidy().await {
            state.finish_batch().await;
            return Err(e.into());
        }
        if state.batch.is_none() {
            sqlx::query("BEGIN IMMEDIATE")
                .execute(&mut state.conn)
                .await?;
            state.batch = Some(watch::channel(None).0);
        }
        if let Err(e) = sqlx::query("SAVEPOINT w").execute(&mut state.conn).await {
            // Others may be waiting on this batch: have it committed without us.
            self.flush.notify_one();
            return Err(e.into());
        }
        state.head_at_savepoint = state.head;
        Ok(WriteTx {
            state,
            flush: self.flush.clone(),
            released: false,
        })
    }
}

/// Commits batches when asked, once the transactions queued ahead of it have joined.
async fn flusher(state: Weak<Mutex<WriterState>>, flush: Arc<Notify>) {
    loop {
        flush.notified().await;
        let Some(state) = state.upgrade() else { return };
        // The lock is fair: everyone already waiting goes first and joins this batch.
        state.lock().await.finish_batch().await;
    }
}

/// One write transaction on the SQLite writer.
pub struct WriteTx {
    state: OwnedMutexGuard<WriterState>,
    flush: Arc<Notify>,
    released: bool,
}

impl WriteTx {
    /// The connection, for statements.
    pub fn conn(&mut self) -> &mut SqliteConnection {
        &mut self.state.conn
    }

    /// The writer's state (the audit chain head lives there).
    pub(crate) fn state(&mut self) -> &mut WriterState {
        &mut self.state
    }

    /// Keeps this transaction's changes and waits until its batch is durably committed.
    pub async fn commit(mut self) -> Result<(), StorageError> {
        sqlx::query("RELEASE SAVEPOINT w")
            .execute(&mut self.state.conn)
            .await?;
        self.released = true;
        let mut done = match &self.state.batch {
            Some(batch) => batch.subscribe(),
            None => {
                return Err(StorageError::Config(
                    "write transaction outside a batch".into(),
                ));
            }
        };
        // Let the next transaction in, and the flusher once they have all joined.
        drop(self);
        let outcome = done
            .wait_for(Option::is_some)
            .await
            .map_err(|_| StorageError::Config("the writer stopped before committing".into()))?
            .clone();
        match outcome {
            Some(Ok(())) => Ok(()),
            Some(Err(e)) => Err(StorageError::Config(format!("commit failed: {e}"))),
            None => Err(StorageError::Config(
                "the writer stopped before committing".into(),
            )),
        }
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        if !self.released {
            // Rolled back to its savepoint by whoever takes the writer next.
            self.state.abandoned = true;
        }
        self.flush.notify_one();
    }
}
