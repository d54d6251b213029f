//! SQLite's single writer, with group commit.
//!
//! SQLite lets one connection write at a time, and a durable commit costs an fsync (about
//! as long as the rest of a typical write put together). So write transactions that arrive
//! together share one: each runs inside its own savepoint of a common `BEGIN IMMEDIATE`,
//! and a flusher task commits the batch once nobody ahead of it in the queue still wants
//! to join. A transaction dropped without commit is rolled back to its savepoint, alone,
//! by whoever takes the writer next.
//!
//! The fsync itself happens outside the write lock. The writer connection runs with
//! `synchronous = NORMAL`, so `COMMIT` appends the batch to the write-ahead log without
//! waiting for the disk; the [`Syncer`] then flushes the log file with `fdatasync` while
//! the next batch already runs, and only then tells the batch's transactions that they
//! are committed. A commit is in the log once its frames are on disk (SQLite's recovery
//! replays every complete, checksummed commit it finds there), so nothing is acknowledged
//! before it would survive a power cut; checkpoints keep their own syncs under `NORMAL`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak, mpsc};

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
    /// The last transaction committed, but its savepoint is still open: released together
    /// with whatever statement comes next, which saves a round trip to the connection's
    /// thread per transaction.
    release_pending: bool,
    /// The audit chain's head, including the open batch's appends.
    pub(crate) head: Option<(i64, [u8; 32])>,
    /// The head as it was when the current savepoint began.
    head_at_savepoint: Option<(i64, [u8; 32])>,
    /// Makes committed batches durable and tells their members.
    syncer: mpsc::Sender<watch::Sender<BatchResult>>,
}

impl WriterState {
    /// Rolls back an abandoned savepoint, if there is one.
    async fn tidy(&mut self) -> Result<(), sqlx::Error> {
        if self.abandoned {
            sqlx::raw_sql("ROLLBACK TO SAVEPOINT w; RELEASE SAVEPOINT w")
                .execute(&mut self.conn)
                .await?;
            self.abandoned = false;
            self.head = self.head_at_savepoint;
        }
        Ok(())
    }

    /// Opens a savepoint for a new transaction, in the open batch or a new one.
    async fn open_savepoint(&mut self) -> Result<(), sqlx::Error> {
        let sql = match (self.batch.is_some(), self.release_pending) {
            (false, _) => "BEGIN IMMEDIATE; SAVEPOINT w",
            (true, true) => "RELEASE SAVEPOINT w; SAVEPOINT w",
            (true, false) => "SAVEPOINT w",
        };
        let opening = self.batch.is_none();
        if opening {
            self.batch = Some(watch::channel(None).0);
        }
        match sqlx::raw_sql(sql).execute(&mut self.conn).await {
            Ok(_) => {
                self.release_pending = false;
                self.head_at_savepoint = self.head;
                Ok(())
            }
            Err(e) => {
                // Which of the statements ran is unknown: end the batch, and tell the
                // transactions already in it that it failed (none was acknowledged yet).
                self.fail_batch(&e).await;
                Err(e)
            }
        }
    }

    /// Ends the open batch: commits it, or rolls it all back if anything went wrong.
    async fn finish_batch(&mut self) {
        let Some(batch) = self.batch.take() else {
            return;
        };
        let sql = if self.release_pending {
            "RELEASE SAVEPOINT w; COMMIT"
        } else {
            "COMMIT"
        };
        let result = match self.tidy().await {
            Ok(()) => sqlx::raw_sql(sql).execute(&mut self.conn).await.map(|_| ()),
            Err(e) => Err(e),
        };
        self.release_pending = false;
        match result {
            // In the log, not yet on disk: the syncer answers once it is. If the syncer
            // is gone, the batch's members hear that their commit was not confirmed.
            Ok(()) => {
                let _ = self.syncer.send(batch);
            }
            Err(e) => {
                self.batch = Some(batch);
                self.fail_batch(&e).await;
            }
        }
    }

    /// Rolls back the open batch, if any, and tells its members.
    async fn fail_batch(&mut self, e: &sqlx::Error) {
        tracing::error!(error = %e, "a write batch failed; every transaction in it is rolled back");
        // Fails harmlessly when no transaction is open (BEGIN itself failed).
        let _ = sqlx::query("ROLLBACK").execute(&mut self.conn).await;
        // What the database holds is unknown now: read the head again next time.
        self.head = None;
        self.release_pending = false;
        self.abandoned = false;
        if let Some(batch) = self.batch.take() {
            let _ = batch.send(Some(Err(e.to_string())));
        }
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
    /// Wraps the connection (opened with `synchronous = NORMAL` on the database at
    /// `path`) and starts the flusher and the syncer.
    pub(crate) fn new(conn: SqliteConnection, path: &Path) -> Result<Self, StorageError> {
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let syncer = spawn_syncer(PathBuf::from(wal))?;
        let state = Arc::new(Mutex::new(WriterState {
            conn,
            batch: None,
            abandoned: false,
            release_pending: false,
            head: None,
            head_at_savepoint: None,
            syncer,
        }));
        let flush = Arc::new(Notify::new());
        tokio::spawn(flusher(Arc::downgrade(&state), flush.clone()));
        Ok(Self { state, flush })
    }

    /// Starts a transaction: joins the open batch, or opens one.
    ///
    /// The opening runs as a task of its own, to the end, even when the caller goes away
    /// while it waits (a client that hangs up). sqlx's worker stops a statement list once
    /// nobody reads its results, so a caller dropped during `RELEASE SAVEPOINT w;
    /// SAVEPOINT w` left the savepoint released and none opened, while the writer still
    /// believed one was pending release: the next `RELEASE` failed the whole batch (seen
    /// once at the end of a 200-connection bench run as `no such savepoint: w`).
    /// If nobody is left to take the transaction, it is dropped, which marks its savepoint
    /// for rollback like any transaction dropped without commit.
    pub(crate) async fn begin(&self) -> Result<WriteTx, StorageError> {
        let state = self.state.clone();
        let flush = self.flush.clone();
        tokio::spawn(async move {
            let mut state = state.lock_owned().await;
            if let Err(e) = state.tidy().await {
                state.fail_batch(&e).await;
                return Err(e.into());
            }
            state.open_savepoint().await?;
            Ok(WriteTx {
                state,
                flush,
                released: false,
            })
        })
        .await
        .map_err(|e| StorageError::Config(format!("the writer stopped: {e}")))?
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

/// Starts the thread that flushes the write-ahead log to disk for batches SQLite has
/// committed, several at a time when they pile up behind a slow disk. It stops when the
/// writer is dropped.
fn spawn_syncer(wal: PathBuf) -> Result<mpsc::Sender<watch::Sender<BatchResult>>, StorageError> {
    let (send, receive) = mpsc::channel::<watch::Sender<BatchResult>>();
    std::thread::Builder::new()
        .name("mamori-wal-sync".into())
        .spawn(move || {
            let mut file: Option<File> = None;
            while let Ok(first) = receive.recv() {
                let mut batches = vec![first];
                batches.extend(receive.try_iter());
                let result = flush(&wal, &mut file);
                if let Err(e) = &result {
                    tracing::error!(error = %e, "could not flush the write-ahead log; the writes waiting on it are not acknowledged");
                    // The descriptor may be the cause: open the file afresh next time.
                    file = None;
                }
                for batch in batches {
                    let _ = batch.send(Some(result.clone()));
                }
            }
        })
        .map_err(|e| StorageError::Config(format!("cannot start the log syncer: {e}")))?;
    Ok(send)
}

/// Every commit appended to the log before this call is on disk when it returns.
fn flush(wal: &Path, file: &mut Option<File>) -> Result<(), String> {
    let describe = |e: std::io::Error| format!("{}: {e}", wal.display());
    let handle = match file {
        Some(f) => f,
        None => file.insert(open_wal(wal).map_err(describe)?),
    };
    handle.sync_data().map_err(describe)
}

/// Opens the log for flushing, and makes its directory entry durable once (SQLite created
/// the file when the database was opened, without syncing the folder under `NORMAL`).
fn open_wal(wal: &Path) -> std::io::Result<File> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(wal)?;
    if let Some(dir) = wal.parent() {
        File::open(dir)?.sync_all()?;
    }
    Ok(file)
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
        self.state.release_pending = true;
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
