//! The append-only audit log: every state change, who did it and when. Triggers in the
//! schema refuse UPDATE and DELETE, so history cannot be rewritten through SQL either.

use rusqlite::{params, Connection};
use serde::Serialize;

use super::{now, Result, Store};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    pub action: String,
    pub detail: Option<serde_json::Value>,
}

/// Append one entry. Takes a connection so it can run inside the caller's transaction.
pub(crate) fn append(
    conn: &Connection,
    actor: &str,
    entity: &str,
    entity_id: Option<i64>,
    action: &str,
    detail: Option<&serde_json::Value>,
) -> Result<()> {
    conn.execute(
        "INSERT INTO audit_log (at, actor, entity, entity_id, action, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![now(), actor, entity, entity_id, action, detail.map(|d| d.to_string())],
    )?;
    Ok(())
}

impl Store {
    pub fn audit(
        &self,
        actor: &str,
        entity: &str,
        entity_id: Option<i64>,
        action: &str,
        detail: Option<&serde_json::Value>,
    ) -> Result<()> {
        append(self.conn(), actor, entity, entity_id, action, detail)
    }

    /// History of one entity, oldest first.
    pub fn audit_for(&self, entity: &str, entity_id: i64) -> Result<Vec<AuditEntry>> {
        let mut stmt = self.conn().prepare(
            "SELECT id, at, actor, entity, entity_id, action, detail FROM audit_log
             WHERE entity = ?1 AND entity_id = ?2 ORDER BY id",
        )?;
        let rows = stmt.query_map(params![entity, entity_id], |r| {
            let detail: Option<String> = r.get(6)?;
            Ok(AuditEntry {
                id: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                entity: r.get(3)?,
                entity_id: r.get(4)?,
                action: r.get(5)?,
                detail: detail.and_then(|d| serde_json::from_str(&d).ok()),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
