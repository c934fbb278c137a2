//! The only place with SQL. One SQLite file (WAL) plus a content-addressed archive folder
//! holding every original exactly as it arrived, under `archive/ab/cd/<sha256>`.
//!
//! Why content-addressed: the same bytes arriving twice (a re-sent mail, a restart after a
//! crash between "stored" and "moved") are recognised by hash, and an original can never be
//! overwritten by a different file.

mod audit;
mod cursors;
mod documents;
mod master;
pub mod migrations;
mod orders;
pub mod outbox;
mod review;
mod users;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use rusqlite::Connection;

pub use audit::AuditEntry;
pub use cursors::{MailboxCursor, MailboxHealth, MailboxMessage, MailboxSummary};
pub use documents::{DocStatus, IngestOutcome};
pub use orders::{NewOrder, OrderRow, StateCounts};
pub use review::{Claim, QueueRow};
pub use users::{hash_password, random_token, LoginCheck, Session, User};

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

/// The store: a SQLite connection and the archive folder. Not `Sync`: open one per thread
/// (SQLite WAL allows concurrent readers and one writer; `busy_timeout` waits for the lock).
pub struct Store {
    conn: Connection,
    data_dir: PathBuf,
}

impl Store {
    /// Open (creating if needed) the store in `data_dir`: `po-intake.db` and `archive/`.
    pub fn open(data_dir: &Path) -> Result<Store> {
        fs::create_dir_all(data_dir.join("archive")).map_err(|source| StoreError::Io {
            path: data_dir.join("archive"),
            source,
        })?;
        let mut conn = Connection::open(data_dir.join("po-intake.db"))?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrations::migrate(&mut conn)?;
        Ok(Store {
            conn,
            data_dir: data_dir.to_path_buf(),
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
        let io = |source| StoreError::Io {
            path: path.clone(),
            source,
        };
        let dir = path.parent().unwrap_or(&self.data_dir);
        fs::create_dir_all(dir).map_err(io)?;
        let tmp = dir.join(format!(".{sha256}.tmp"));
        let mut f = fs::File::create(&tmp).map_err(io)?;
        f.write_all(bytes).map_err(io)?;
        f.sync_all().map_err(io)?;
        fs::rename(&tmp, &path).map_err(io)?;
        Ok(())
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
