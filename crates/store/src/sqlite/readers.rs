//! Read connections: a small pool, used on the caller's own thread.
//!
//! A point read (a session by id for every bearer token, a user by id for `GET /user`) costs a
//! few microseconds in a database the page cache holds, less than handing it to another
//! thread and back, so it runs where it is asked for. In WAL mode a reader never waits for
//! the writer: it reads the last committed snapshot. Reads that scan (lists, the integrity
//! check) go to the blocking pool instead, so they cannot hold up a runtime thread.
//! Connections are `query_only`: every write goes through the writer.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

use super::{backend, connect};
use crate::Result;

/// Idle connections kept for reuse; more are opened when more threads read at once.
const MAX_IDLE: usize = 16;

pub(super) struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    pub(super) fn new(path: PathBuf) -> Self {
        Self {
            path,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs a short read on this thread.
    pub(super) fn read<T>(&self, work: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = match self.idle_conns().pop() {
            Some(conn) => conn,
            None => open_reader(&self.path)?,
        };
        let out = work(&conn);
        let mut idle = self.idle_conns();
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
        out
    }

    /// Runs a read that may scan many rows on the blocking pool.
    pub(super) async fn scan<T, F>(self: &Arc<Self>, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let readers = self.clone();
        tokio::task::spawn_blocking(move || readers.read(work))
            .await
            .map_err(backend)?
    }

    /// The database file these connections read.
    pub(super) fn path(&self) -> &std::path::Path {
        &self.path
    }

    fn idle_conns(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        // A panic while holding the lock cannot leave the list inconsistent.
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn open_reader(path: &std::path::Path) -> Result<Connection> {
    let conn = connect(path)?;
    conn.pragma_update(None, "query_only", true)
        .map_err(backend)?;
    Ok(conn)
}
