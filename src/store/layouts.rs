//! Layouts learned from approved orders (issue 18): stored, listed, used and forgotten.
//! The layout itself is opaque JSON here (`learn::Layout`); this module owns only the rows
//! and the audit entries that say who taught or forgot which layout.

use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;
use serde_json::json;

use super::{audit, now, Result, Store, StoreError};

/// One learned layout as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayoutRow {
    pub id: i64,
    pub customer_id: Option<String>,
    pub sender: Option<String>,
    /// The approved order it was learned from.
    pub order_id: i64,
    pub approved_by: String,
    pub learned_at: String,
    /// How many documents were read with it.
    pub uses: i64,
    pub last_used_at: Option<String>,
    #[serde(skip)]
    pub layout_json: String,
}

/// What to store for a newly learned layout.
#[derive(Debug, Clone)]
pub struct NewLayout<'a> {
    pub customer_id: Option<&'a str>,
    pub sender: Option<&'a str>,
    pub order_id: i64,
    pub approved_by: &'a str,
    pub layout_json: &'a str,
    /// A short account of what was learned, for the audit entry.
    pub summary: serde_json::Value,
}

const COLS: &str =
    "id, customer_id, sender, order_id, approved_by, learned_at, uses, last_used_at, layout_json";

fn row(r: &Row<'_>) -> rusqlite::Result<LayoutRow> {
    Ok(LayoutRow {
        id: r.get(0)?,
        customer_id: r.get(1)?,
        sender: r.get(2)?,
        order_id: r.get(3)?,
        approved_by: r.get(4)?,
        learned_at: r.get(5)?,
        uses: r.get(6)?,
        last_used_at: r.get(7)?,
        layout_json: r.get(8)?,
    })
}

impl Store {
    /// Store a learned layout, replacing layout `replaces` (the same layout learned again
    /// from a later approval) when given. Audited as `learned` (or `relearned`).
    pub fn save_layout(&mut self, new: &NewLayout<'_>, replaces: Option<i64>) -> Result<i64> {
        let tx = self.conn_mut().transaction()?;
        let id = match replaces {
            Some(id) => {
                let n = tx.execute(
                    "UPDATE layouts SET customer_id = ?2, sender = ?3, order_id = ?4,
                     approved_by = ?5, learned_at = ?6, layout_json = ?7 WHERE id = ?1",
                    params![
                        id,
                        new.customer_id,
                        new.sender,
                        new.order_id,
                        new.approved_by,
                        now(),
                        new.layout_json
                    ],
                )?;
                if n == 0 {
                    return Err(StoreError::NotFound { what: "layout", id });
                }
                id
            }
            None => {
                tx.execute(
                    "INSERT INTO layouts (customer_id, sender, order_id, approved_by, learned_at, layout_json)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        new.customer_id,
                        new.sender,
                        new.order_id,
                        new.approved_by,
                        now(),
                        new.layout_json
                    ],
                )?;
                tx.last_insert_rowid()
            }
        };
        let mut detail = json!({
            "customer_id": new.customer_id,
            "sender": new.sender,
            "order_id": new.order_id,
        });
        if let (Some(d), Some(s)) = (detail.as_object_mut(), new.summary.as_object()) {
            d.extend(s.clone());
        }
        let action = if replaces.is_some() {
            "relearned"
        } else {
            "learned"
        };
        audit::append(
            &tx,
            new.approved_by,
            "layout",
            Some(id),
            action,
            Some(&detail),
        )?;
        tx.commit()?;
        Ok(id)
    }

    /// Layouts that may apply to a document of `customer` (when known) or from `sender`.
    /// A layout of another customer is never among them, even from the same sender.
    pub fn layouts_for(
        &self,
        customer: Option<&str>,
        sender: Option<&str>,
    ) -> Result<Vec<LayoutRow>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {COLS} FROM layouts
             WHERE (?1 IS NOT NULL AND customer_id = ?1)
                OR (?1 IS NULL AND ?2 IS NOT NULL AND sender = ?2)
             ORDER BY id"
        ))?;
        let rows = stmt.query_map(params![customer, sender], row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Every learned layout, oldest first.
    pub fn all_layouts(&self) -> Result<Vec<LayoutRow>> {
        let mut stmt = self
            .conn()
            .prepare(&format!("SELECT {COLS} FROM layouts ORDER BY id"))?;
        let rows = stmt.query_map([], row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn layout(&self, id: i64) -> Result<Option<LayoutRow>> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {COLS} FROM layouts WHERE id = ?1"),
                [id],
                row,
            )
            .optional()?)
    }

    /// Count one document read with layout `id`.
    pub fn layout_used(&self, id: i64) -> Result<()> {
        self.conn().execute(
            "UPDATE layouts SET uses = uses + 1, last_used_at = ?2 WHERE id = ?1",
            params![id, now()],
        )?;
        Ok(())
    }

    /// Forget layout `id`: later documents are read generically again. Audited.
    pub fn forget_layout(&mut self, id: i64, actor: &str) -> Result<LayoutRow> {
        let tx = self.conn_mut().transaction()?;
        let found = tx
            .query_row(
                &format!("SELECT {COLS} FROM layouts WHERE id = ?1"),
                [id],
                row,
            )
            .optional()?
            .ok_or(StoreError::NotFound { what: "layout", id })?;
        tx.execute("DELETE FROM layouts WHERE id = ?1", [id])?;
        audit::append(
            &tx,
            actor,
            "layout",
            Some(id),
            "forgotten",
            Some(&json!({
                "customer_id": found.customer_id,
                "sender": found.sender,
                "order_id": found.order_id,
                "uses": found.uses,
            })),
        )?;
        tx.commit()?;
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new<'a>(customer: Option<&'a str>, sender: Option<&'a str>) -> NewLayout<'a> {
        NewLayout {
            customer_id: customer,
            sender,
            order_id: 1,
            approved_by: "ann",
            layout_json: "{}",
            summary: json!({"fields": ["po_number"]}),
        }
    }

    fn store_with_order() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::open(dir.path()).expect("store");
        store
            .conn()
            .execute_batch(
                "INSERT INTO documents (id, sha256, source, origin, file_name, received_at, media_type, size, created_at)
                 VALUES (1, 'x', 'folder', 'in', 'a.pdf', '2026-01-01', 'application/pdf', 1, '2026-01-01');
                 INSERT INTO orders (id, document_id, seq, state, order_json, check_json, version, created_at, updated_at)
                 VALUES (1, 1, 0, 'accepted', '{}', '{}', 1, '2026-01-01', '2026-01-01');",
            )
            .expect("rows");
        (dir, store)
    }

    #[test]
    fn a_customers_layout_is_never_offered_for_another_customer() {
        let (_dir, mut store) = store_with_order();
        let id = store
            .save_layout(&new(Some("C1"), Some("buyer@acme.com")), None)
            .expect("save");
        let ids = |v: Vec<LayoutRow>| v.into_iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(ids(store.layouts_for(Some("C1"), None).unwrap()), vec![id]);
        // Same sender, but the document is another customer's: not offered.
        assert!(store
            .layouts_for(Some("C2"), Some("buyer@acme.com"))
            .unwrap()
            .is_empty());
        // The customer not known yet: the sender's layouts are candidates.
        assert_eq!(
            ids(store.layouts_for(None, Some("buyer@acme.com")).unwrap()),
            vec![id]
        );
        assert!(store.layouts_for(None, None).unwrap().is_empty());
    }

    #[test]
    fn learning_relearning_and_forgetting_are_audited() {
        let (_dir, mut store) = store_with_order();
        let id = store.save_layout(&new(Some("C1"), None), None).unwrap();
        assert_eq!(
            store.save_layout(&new(Some("C1"), None), Some(id)).unwrap(),
            id
        );
        store.layout_used(id).unwrap();
        let gone = store.forget_layout(id, "bob").unwrap();
        assert_eq!(gone.uses, 1);
        assert!(store.layout(id).unwrap().is_none());
        assert!(store.forget_layout(id, "bob").is_err());
        let log: Vec<(String, String)> = store
            .audit_for("layout", id)
            .unwrap()
            .into_iter()
            .map(|e| (e.actor, e.action))
            .collect();
        let want = [
            ("ann", "learned"),
            ("ann", "relearned"),
            ("bob", "forgotten"),
        ];
        assert_eq!(
            log,
            want.map(|(a, b)| (a.to_string(), b.to_string())).to_vec()
        );
    }
}
