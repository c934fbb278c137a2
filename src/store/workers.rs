//! Restarts of supervised workers (see `crate::supervise`), for `po-intake status` and
//! `/metrics`. Kept in `intake_cursors` under source `worker` (key = worker name) so no
//! migration is needed: `last_uid` holds the restart count (bumped in one statement, so two
//! processes sharing the store never lose a count) and `detail` the last error as JSON.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::{now, Result, Store};

const SOURCE: &str = "worker";

/// One supervised worker's record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkerHealth {
    /// e.g. `oms-delivery`, `folder:/srv/inbox`, `mailbox:orders`.
    pub worker: String,
    /// Restarts since the store was created (all processes sharing it).
    pub restarts: i64,
    pub last_error: Option<String>,
    /// When the last restart happened (RFC 3339).
    pub last_restart_at: String,
}

#[derive(Serialize, Deserialize, Default)]
struct Detail {
    last_error: Option<String>,
}

impl Store {
    /// Count one restart of `worker` and keep why it stopped.
    pub fn record_worker_restart(&self, worker: &str, error: &str) -> Result<()> {
        let detail = serde_json::to_string(&Detail {
            last_error: Some(error.to_string()),
        })?;
        self.conn().execute(
            "INSERT INTO intake_cursors (source, key, last_uid, detail, updated_at)
             VALUES (?1, ?2, 1, ?3, ?4)
             ON CONFLICT (source, key) DO UPDATE
               SET last_uid = COALESCE(last_uid, 0) + 1, detail = ?3, updated_at = ?4",
            params![SOURCE, worker, detail, now()],
        )?;
        Ok(())
    }

    /// Every worker that was ever restarted, by name.
    pub fn worker_health(&self) -> Result<Vec<WorkerHealth>> {
        let mut stmt = self.conn().prepare(
            "SELECT key, COALESCE(last_uid, 0), detail, updated_at FROM intake_cursors
             WHERE source = ?1 ORDER BY key",
        )?;
        let rows = stmt.query_map([SOURCE], |r| {
            let detail: Option<String> = r.get(2)?;
            let d: Detail = detail
                .and_then(|d| serde_json::from_str(&d).ok())
                .unwrap_or_default();
            Ok(WorkerHealth {
                worker: r.get(0)?,
                restarts: r.get(1)?,
                last_error: d.last_error,
                last_restart_at: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
