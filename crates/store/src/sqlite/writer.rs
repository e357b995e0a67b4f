//! The one writer: a thread that owns the only write connection and commits the writes
//! waiting for it together (group commit).
//!
//! Why: with a pool of connections that each `BEGIN IMMEDIATE`, concurrent writers meet
//! SQLite's lock, and the loser's busy handler *sleeps* (1, 2, 5, 10 … ms) instead of being
//! woken when the lock frees — the refresh benchmark's p99 was forty times its p50 — and
//! every statement was a hand-off between a runtime thread and a connection thread. Here a
//! write is one message to this thread and one answer back; the thread runs the writes that
//! queued up meanwhile in one `BEGIN IMMEDIATE … COMMIT`, each inside its own savepoint (a
//! failing write undoes only itself), on cached prepared statements. Nothing in this process
//! competes for the write lock, so the busy handler only ever waits for another process
//! (`lowkey user add` while a server runs). Checkpoints, the other stall the profile showed
//! on the commit path, run beside the writer ([`Checkpointer`]).
//!
//! Durability is the connection's (`synchronous = NORMAL` in WAL mode): a caller is answered
//! only after the `COMMIT` of its batch returned, so an answered write survives a crash of the
//! process exactly as before. A write, once queued, is carried out even if its caller goes
//! away (a dropped request): the rotation rules forgive the token whose answer was lost.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::{backend, connect};
use crate::{Result, StoreError};

/// At most this many writes share one transaction, so one batch cannot hold the lock (and
/// its callers' answers) for long.
const MAX_BATCH: usize = 64;

/// Past this many frames in the WAL (4 KiB pages: 32 MiB) the writer lets the log start over.
const RESTART_FRAMES: i64 = 8192;

/// The checkpointer rests this long between passes, so under load it works in large steps
/// (each pass syncs the log and the database file once).
const CHECKPOINT_PAUSE: Duration = Duration::from_millis(50);

/// A queued write, type-erased: run it inside the batch, then answer its caller.
trait Job: Send {
    /// Runs the write; `false` if it failed and its savepoint must be rolled back.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Answers the caller once the batch's fate (`committed`) is known.
    fn finish(self: Box<Self>, committed: Result<()>);
}

struct Pending<T, F> {
    work: Option<F>,
    out: Option<Result<T>>,
    reply: oneshot::Sender<Result<T>>,
}

impl<T, F> Job for Pending<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> Result<T> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let Some(work) = self.work.take() else {
            return false;
        };
        let out = catch_unwind(AssertUnwindSafe(|| work(conn)))
            .unwrap_or_else(|_| Err(backend("a write panicked; it was rolled back")));
        let ok = out.is_ok();
        self.out = Some(out);
        ok
    }

    fn finish(self: Box<Self>, committed: Result<()>) {
        let answer = match (committed, self.out) {
            (Err(e), _) => Err(e),
            (Ok(()), Some(out)) => out,
            (Ok(()), None) => Err(backend("the write was not run")),
        };
        // The caller may have gone away; the write stands all the same.
        let _ = self.reply.send(answer);
    }
}

pub(super) struct Writer {
    jobs: mpsc::Sender<Box<dyn Job>>,
}

impl Writer {
    /// Starts the writer thread and its checkpointer, each with a connection to `path`. The
    /// threads end when the `Writer` is dropped, after finishing the writes already queued.
    pub(super) fn start(path: &Path) -> Result<Self> {
        let conn = connect(path)?;
        // Checkpoints are the checkpointer's (see `checkpoint`), not a commit's.
        conn.pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(backend)?;
        let checkpointer = Checkpointer::start(connect(path)?)?;
        let (jobs, queue) = mpsc::channel::<Box<dyn Job>>();
        std::thread::Builder::new()
            .name("lowkey-sqlite-writer".into())
            .spawn(move || run(&conn, &queue, &checkpointer))
            .map_err(|e| backend(format!("cannot start the database writer: {e}")))?;
        Ok(Self { jobs })
    }

    /// Runs `work` on the write connection inside a transaction and answers once that
    /// transaction has committed. `work` must not block on anything but the database.
    pub(super) async fn write<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(Pending {
            work: Some(work),
            out: None,
            reply,
        });
        // The queue is unbounded: its length is bounded by the requests in flight, which the
        // HTTP edge caps.
        self.jobs.send(job).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> StoreError {
    backend("the database writer has stopped")
}

fn run(conn: &Connection, queue: &mpsc::Receiver<Box<dyn Job>>, checkpointer: &Checkpointer) {
    // `recv` hands out what is queued before it reports that every sender is gone.
    while let Ok(first) = queue.recv() {
        if checkpointer.restart_wanted.swap(false, Ordering::Relaxed) {
            // The checkpointer has copied nearly all of the log; copying the rest here, where
            // no commit can add to it meanwhile, lets the next transaction start the log
            // over. Brief: only what was committed since the checkpointer's last pass.
            // PASSIVE never waits; should another checkpoint be running, the next one does it.
            let _ = checkpoint(conn);
        }
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let committed = commit_batch(conn, &mut batch);
        if committed.is_err() && !conn.is_autocommit() {
            let _ = conn.execute_batch("rollback");
        }
        for job in batch {
            job.finish(committed.clone());
        }
        checkpointer.nudge();
    }
}

/// One transaction for the whole batch, one savepoint per write.
fn commit_batch(conn: &Connection, batch: &mut [Box<dyn Job>]) -> Result<()> {
    exec(conn, "begin immediate")?;
    for job in batch.iter_mut() {
        exec(conn, "savepoint job")?;
        if !job.run(conn) {
            exec(conn, "rollback to job")?;
        }
        exec(conn, "release job")?;
    }
    exec(conn, "commit")
}

fn exec(conn: &Connection, sql: &str) -> Result<()> {
    conn.prepare_cached(sql)
        .and_then(|mut s| s.execute([]))
        .map(|_| ())
        .map_err(backend)
}

/// Copies committed pages from the WAL into the database file (SQLite's checkpoint) on a
/// thread of its own. Shipped SQLite does this at the end of the commit that fills the log
/// past 1,000 pages, on the committing connection: the profile showed the writer stalled for
/// two `fsync`s of 10–25 ms each, a dozen times a second, which was the refresh p99. Here the
/// writer only nudges; PASSIVE checkpoints run beside it (they take no write lock). A PASSIVE
/// checkpoint cannot start the log over while the writer keeps appending, so when the log
/// has grown past [`RESTART_FRAMES`] the checkpointer asks the writer to copy the last few
/// pages itself between two batches. Durability is unchanged: a commit is as durable as
/// before (`synchronous = NORMAL`), a checkpoint only moves committed pages.
struct Checkpointer {
    nudges: mpsc::SyncSender<()>,
    restart_wanted: Arc<AtomicBool>,
}

impl Checkpointer {
    fn start(conn: Connection) -> Result<Self> {
        // One pending nudge is enough: the pass after it sees every commit before it.
        let (nudges, nudged) = mpsc::sync_channel::<()>(1);
        let restart_wanted = Arc::new(AtomicBool::new(false));
        let wanted = restart_wanted.clone();
        std::thread::Builder::new()
            .name("lowkey-sqlite-checkpoint".into())
            .spawn(move || {
                while nudged.recv().is_ok() {
                    if let Ok(frames) = checkpoint(&conn) {
                        if frames >= RESTART_FRAMES {
                            wanted.store(true, Ordering::Relaxed);
                        }
                    }
                    std::thread::sleep(CHECKPOINT_PAUSE);
                }
            })
            .map_err(|e| backend(format!("cannot start the database checkpointer: {e}")))?;
        Ok(Self {
            nudges,
            restart_wanted,
        })
    }

    /// Tells the checkpointer that there is something to copy; never blocks.
    fn nudge(&self) {
        let _ = self.nudges.try_send(());
    }
}

/// A PASSIVE checkpoint: copies what it can without waiting for anyone. The frames in the log.
fn checkpoint(conn: &Connection) -> Result<i64> {
    conn.query_row("pragma wal_checkpoint(passive)", [], |r| r.get::<_, i64>(1))
        .map_err(backend)
}
