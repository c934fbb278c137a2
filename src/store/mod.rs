//! The only place with SQL. One SQLite file (WAL) plus a content-addressed archive folder
//! holding every original exactly as it arrived, under `archive/ab/cd/<sha256>`.
//!
//! Why content-addressed: the same bytes arriving twice (a re-sent mail, a restart after a
//! crash between "stored" and "moved") are recognised by hash, and an original can never be
//! overwritten by a different file.

mod acks;
mod audit;
mod cursors;
mod documents;
mod layouts;
mod master;
pub mod migrations;
mod orders;
pub mod outbox;
mod review;
mod stats;
mod tokens;
mod users;
mod words;
mod workers;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use rusqlite::Connection;

pub use acks::{AckRow, DueAck};
pub use audit::AuditEntry;
pub use cursors::{MailboxCursor, MailboxHealth, MailboxMessage, MailboxSummary};
pub use documents::{DocStatus, IngestOutcome, StoredEmail};
pub use layouts::{LayoutRow, NewLayout};
pub use master::ImportError;
pub use orders::{NewOrder, OrderRow, StateCounts};
pub use review::{Claim, QueueRow};
pub use stats::{customer_table, CustomerStats, Histogram, DECISION_PATHS};
pub use users::{hash_password, random_token, LoginCheck, LoginPolicy, Session, User};
pub use words::{words_of, PageWord, PageWords, PartWords};
pub use workers::WorkerHealth;

/// Errors from the store, with what was being done.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("archive I/O on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("JSON in the store: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the database is at schema version {found}, newer than this build knows ({known})")]
    SchemaTooNew { found: u32, known: u32 },
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: i64 },
    #[error("{0}")]
    Conflict(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What [`Store::backup_to`] copied.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct BackupReport {
    pub database_bytes: u64,
    pub archive_copied: usize,
    /// Originals the destination already held (from an earlier backup).
    pub archive_kept: usize,
}

/// How long a statement waits for another connection's write lock before SQLITE_BUSY.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The store: a SQLite connection and the archive folder. Not `Sync`: open one per thread
/// (SQLite WAL allows concurrent readers and one writer; `busy_timeout` waits for the lock).
pub struct Store {
    conn: Connection,
    data_dir: PathBuf,
    /// The master data as last loaded, with the change counter it was loaded at
    /// ([`Store::master`]).
    master: std::cell::RefCell<Option<(i64, std::sync::Arc<crate::master::MasterData>)>>,
}

impl Store {
    /// Open (creating if needed) the store in `data_dir`: `po-intake.db` and `archive/`.
    pub fn open(data_dir: &Path) -> Result<Store> {
        fs::create_dir_all(data_dir.join("archive")).map_err(|source| StoreError::Io {
            path: data_dir.join("archive"),
            source,
        })?;
        // Two processes opening a fresh store at once race for the switch to WAL and the
        // migrations; SQLite may answer "locked" there without waiting on the busy timeout.
        // The loser opens again (0.1 / 0.4 / 1.6 s later): each attempt is all or nothing.
        let mut delay = std::time::Duration::from_millis(100);
        for _ in 0..3 {
            match Store::open_once(data_dir) {
                Err(e) if is_busy(&e) => {
                    BUSY_RETRIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    // Expected when two processes start together: debug, counted in status.
                    tracing::debug!(error = %e, "store busy while opening; retrying");
                    std::thread::sleep(delay);
                    delay *= 4;
                }
                other => return other,
            }
        }
        Store::open_once(data_dir)
    }

    fn open_once(data_dir: &Path) -> Result<Store> {
        let mut conn = Connection::open(data_dir.join("po-intake.db"))?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Every write transaction takes the write lock when it begins. A deferred one starts
        // as a reader and fails at once with SQLITE_BUSY (no waiting) when it tries to write
        // after another connection wrote: "database is locked" with two writers.
        conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrations::migrate(&mut conn)?;
        Ok(Store {
            conn,
            data_dir: data_dir.to_path_buf(),
            master: std::cell::RefCell::new(None),
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The raw connection, for modules of the store.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    pub fn schema_version(&self) -> Result<u32> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// Where the original with this hash lives. The hash is checked to be hex so a crafted
    /// value can never point outside the archive.
    pub fn archive_path(&self, sha256: &str) -> Option<PathBuf> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(
            self.data_dir
                .join("archive")
                .join(&sha256[0..2])
                .join(&sha256[2..4])
                .join(sha256),
        )
    }

    /// Copy the store to the folder `dest` while it is in use: the database through SQLite's
    /// online backup API (a consistent snapshot, whatever other processes write meanwhile),
    /// then every archived original `dest` does not hold yet (originals never change: their
    /// name is their hash). `dest` is then a data folder to start from.
    pub fn backup_to(&self, dest: &Path) -> Result<BackupReport> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| StoreError::Io { path, source }
        };
        fs::create_dir_all(dest).map_err(io(dest))?;
        let db_path = dest.join("po-intake.db");
        let mut target = Connection::open(&db_path)?;
        {
            let backup = rusqlite::backup::Backup::new(&self.conn, &mut target)?;
            // 1,024 pages at a time, letting writers in between steps.
            backup.run_to_completion(1024, std::time::Duration::from_millis(5), None)?;
        }
        drop(target);
        let mut report = BackupReport::default();
        let from = self.data_dir.join("archive");
        let mut dirs = vec![from.clone()];
        while let Some(dir) = dirs.pop() {
            for entry in fs::read_dir(&dir).map_err(io(&dir))? {
                let path = entry.map_err(io(&dir))?.path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                // Temp files of a write in progress are not originals yet.
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
                if !name.is_some_and(|n| n.len() == 64 && n.bytes().all(|b| b.is_ascii_hexdigit()))
                {
                    continue;
                }
                let rel = path.strip_prefix(&from).unwrap_or(&path);
                let to = dest.join("archive").join(rel);
                if to.exists() {
                    report.archive_kept += 1;
                    continue;
                }
                if let Some(parent) = to.parent() {
                    fs::create_dir_all(parent).map_err(io(parent))?;
                }
                fs::copy(&path, &to).map_err(io(&to))?;
                report.archive_copied += 1;
            }
        }
        report.database_bytes = fs::metadata(&db_path).map_err(io(&db_path))?.len();
        Ok(report)
    }

    /// Read an original back from the archive.
    pub fn read_original(&self, sha256: &str) -> Result<Vec<u8>> {
        let path = self.archive_path(sha256).ok_or(StoreError::NotFound {
            what: "archive entry",
            id: -1,
        })?;
        fs::read(&path).map_err(|source| StoreError::Io { path, source })
    }

    /// Write bytes into the archive durably (temp file, fsync, rename). Idempotent.
    fn archive_bytes(&self, sha256: &str, bytes: &[u8]) -> Result<()> {
        let path = self.archive_path(sha256).ok_or(StoreError::NotFound {
            what: "archive entry",
            id: -1,
        })?;
        if path.exists() {
            return Ok(());
        }
        write_whole(&path, bytes, true)
    }
}

/// Write `bytes` to `path` through a temp file of our own beside it and a rename, so a
/// reader never sees half a file (another process may be writing the same file right now);
/// with `durable`, the bytes reach the disk before the rename.
pub fn write_whole(path: &Path, bytes: &[u8], durable: bool) -> Result<()> {
    let io = |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io)?;
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.{seq}.tmp", std::process::id()));
    let written = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        if durable {
            f.sync_all()?;
        }
        fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written.map_err(io)
}

/// Times a write was retried after SQLITE_BUSY outlasted the busy timeout (this process).
static BUSY_RETRIES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many busy writes this process retried so far (for `status` and the tests' figures).
pub fn busy_retries() -> u64 {
    BUSY_RETRIES.load(std::sync::atomic::Ordering::Relaxed)
}

fn is_busy(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::Sql(rusqlite::Error::SqliteFailure(f, _))
            if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

impl Store {
    /// Run a write transaction, again (up to three more times, 0.1 / 0.4 / 1.6 s apart) when
    /// another writer held the lock past the busy timeout. `f` must be one transaction: a
    /// failed attempt has rolled back and changed nothing.
    pub(crate) fn retrying<T>(&mut self, mut f: impl FnMut(&mut Store) -> Result<T>) -> Result<T> {
        let mut delay = std::time::Duration::from_millis(100);
        for _ in 0..3 {
            match f(self) {
                Err(e) if is_busy(&e) => {
                    BUSY_RETRIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tracing::warn!(error = %e, "store busy; retrying");
                    std::thread::sleep(delay);
                    delay *= 4;
                }
                other => return other,
            }
        }
        f(self)
    }
}

/// Now, as stored in the database (RFC 3339, UTC).
pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Hex sha256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn busy() -> StoreError {
        StoreError::Sql(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            Some("database is locked".into()),
        ))
    }

    #[test]
    fn a_busy_write_is_retried_and_other_errors_are_not() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut store = Store::open(dir.path()).expect("store");
        let mut calls = 0;
        let r = store.retrying(|_| {
            calls += 1;
            if calls < 3 {
                Err(busy())
            } else {
                Ok(calls)
            }
        });
        assert_eq!(r.ok(), Some(3));
        let mut calls = 0;
        let r: Result<()> = store.retrying(|_| {
            calls += 1;
            Err(StoreError::Conflict("no".into()))
        });
        assert!(r.is_err());
        assert_eq!(calls, 1);
        let mut calls = 0;
        let r: Result<()> = store.retrying(|_| {
            calls += 1;
            Err(busy())
        });
        assert!(is_busy(&r.expect_err("still busy")));
        assert_eq!(calls, 4, "three retries");
    }
}
