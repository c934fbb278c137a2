//! Master data in the store: importing the CSV files as a new version (one transaction:
//! all of it or nothing), loading the indexed snapshot, and what reviewers teach it
//! (cross-references, buyer aliases and units, which survive imports).
//!
//! An absent file leaves its table as it was, so a daily `catalog.csv` export does not wipe
//! the customers. Cross-references learned from reviewers (`origin = 'review'`) win over a
//! row of `crossref.csv` with the same customer part: a person decided it after the export.

use std::collections::HashSet;
use std::path::Path;

use rusqlite::{params, OptionalExtension, TransactionBehavior};
use serde_json::json;

use super::{audit, now, Result, Store, StoreError};
use std::sync::Arc;

use crate::master::text::{fold_unit, normalize_name};
use crate::master::{
    check_references, read_master_dir, BuyerAlias, CatalogItem, ContractPrice, Crossref,
    CrossrefOrigin, Customer, ImportReport, MasterData, MasterRows, ReadError, RowError,
    TableCount, UomAlias,
};

/// Why an import did not happen. In every case nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The files: unreadable, absent, or with bad rows (all of them listed).
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The database failed during the import; the transaction was rolled back.
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

impl ImportError {
    /// The bad rows, when that is why the import was refused (a problem with the input,
    /// not with the installation).
    pub fn bad_rows(&self) -> Option<&[RowError]> {
        match self {
            ImportError::Read(ReadError::BadRows(rows)) => Some(rows),
            _ => None,
        }
    }
}

impl From<rusqlite::Error> for ImportError {
    fn from(e: rusqlite::Error) -> Self {
        ImportError::Store(StoreError::Sql(e))
    }
}

fn count(conn: &rusqlite::Connection, sql: &str) -> rusqlite::Result<usize> {
    conn.query_row(sql, [], |r| r.get::<_, i64>(0))
        .map(|n| usize::try_from(n).unwrap_or(0))
}

impl Store {
    /// Import the master-data CSV files in `dir` as a new version. Every row is validated
    /// first; any bad row (or reference to an unknown SKU/customer) fails the whole import with
    /// all problems listed, and nothing changes.
    pub fn import_master(&mut self, dir: &Path) -> Result<ImportReport, ImportError> {
        let files = read_master_dir(dir)?;
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;

        // What the tables will hold: new rows of present files, stored rows of absent ones.
        let skus: HashSet<String> = match &files.catalog {
            Some(rows) => rows.iter().map(|(_, r)| r.sku.clone()).collect(),
            None => {
                let mut st = tx.prepare("SELECT sku FROM catalog")?;
                let rows = st.query_map([], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            }
        };
        let customers: HashSet<String> = match &files.customers {
            Some(rows) => rows.iter().map(|(_, r)| r.customer_id.clone()).collect(),
            None => {
                let mut st = tx.prepare("SELECT customer_id FROM customers")?;
                let rows = st.query_map([], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            }
        };
        let errors = check_references(&files, &skus, &customers);
        if !errors.is_empty() {
            return Err(ReadError::BadRows(errors).into());
        }

        if let Some(rows) = &files.catalog {
            tx.execute("DELETE FROM catalog", [])?;
            let mut st = tx.prepare(
                "INSERT INTO catalog (sku, description, uom, unit_price, currency, pack_size, min_qty, stock)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for (_, r) in rows {
                st.execute(params![
                    r.sku,
                    r.description,
                    r.uom,
                    r.unit_price,
                    r.currency,
                    r.pack_size,
                    r.min_qty,
                    r.stock
                ])?;
            }
        }
        if let Some(rows) = &files.customers {
            tx.execute("DELETE FROM customers", [])?;
            let mut st = tx.prepare(
                "INSERT INTO customers (customer_id, name, email_domains, currency) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (_, r) in rows {
                st.execute(params![
                    r.customer_id,
                    r.name,
                    r.email_domains.join(";"),
                    r.currency
                ])?;
            }
        }
        let mut overridden = 0;
        if let Some(rows) = &files.crossref {
            tx.execute("DELETE FROM crossref WHERE origin = 'import'", [])?;
            let mut st = tx.prepare(
                "INSERT OR IGNORE INTO crossref (customer_id, customer_part, sku, origin)
                 VALUES (?1, ?2, ?3, 'import')",
            )?;
            for (_, r) in rows {
                if st.execute(params![r.customer_id, r.customer_part, r.sku])? == 0 {
                    overridden += 1;
                }
            }
        }
        if let Some(rows) = &files.uom_aliases {
            // A reviewer's answer wins over the file, as for cross-references.
            tx.execute("DELETE FROM uom_aliases WHERE origin = 'import'", [])?;
            let mut st = tx.prepare(
                "INSERT OR IGNORE INTO uom_aliases (customer_id, printed, uom, origin, created_at)
                 VALUES (?1, ?2, ?3, 'import', ?4)",
            )?;
            let at = now();
            for (_, r) in rows {
                st.execute(params![r.customer_id, r.printed, r.uom, at])?;
            }
        }
        if let Some(rows) = &files.contract_prices {
            tx.execute("DELETE FROM contract_prices", [])?;
            let mut st = tx.prepare(
                "INSERT INTO contract_prices (customer_id, sku, unit_price) VALUES (?1, ?2, ?3)",
            )?;
            for (_, r) in rows {
                st.execute(params![r.customer_id, r.sku, r.unit_price])?;
            }
        }

        let tc = |imported: Option<usize>, sql: &str| -> rusqlite::Result<TableCount> {
            Ok(TableCount {
                imported,
                total: count(&tx, sql)?,
            })
        };
        let catalog = tc(
            files.catalog.as_ref().map(Vec::len),
            "SELECT COUNT(*) FROM catalog",
        )?;
        let customers_c = tc(
            files.customers.as_ref().map(Vec::len),
            "SELECT COUNT(*) FROM customers",
        )?;
        let crossref = tc(
            files.crossref.as_ref().map(Vec::len),
            "SELECT COUNT(*) FROM crossref",
        )?;
        let contract_prices = tc(
            files.contract_prices.as_ref().map(Vec::len),
            "SELECT COUNT(*) FROM contract_prices",
        )?;
        let learned = count(&tx, "SELECT COUNT(*) FROM crossref WHERE origin = 'review'")?;

        let version: i64 = tx.query_row(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM master_versions",
            [],
            |r| r.get(0),
        )?;
        let imported_at = now();
        let source_dir = dir.display().to_string();
        let counts = json!({
            "catalog": catalog, "customers": customers_c, "crossref": crossref,
            "contract_prices": contract_prices, "learned_crossref": learned,
            "crossref_overridden_by_learned": overridden,
        });
        tx.execute(
            "INSERT INTO master_versions (version, imported_at, source_dir, counts) VALUES (?1, ?2, ?3, ?4)",
            params![version, imported_at, source_dir, counts.to_string()],
        )?;
        audit::append(
            &tx,
            "system",
            "master",
            Some(version),
            "imported",
            Some(&json!({"source_dir": source_dir, "counts": counts})),
        )?;
        tx.commit()?;
        Ok(ImportReport {
            version,
            imported_at,
            source_dir,
            catalog,
            customers: customers_c,
            crossref,
            contract_prices,
            learned_crossref: learned,
            crossref_overridden_by_learned: overridden,
        })
    }

    /// The current master-data version, `None` before the first import.
    pub fn master_version(&self) -> Result<Option<i64>> {
        Ok(self
            .conn()
            .query_row("SELECT MAX(version) FROM master_versions", [], |r| r.get(0))
            .optional()?
            .flatten())
    }

    /// Load the master data as plain rows (learned rows included).
    pub fn master_rows(&self) -> Result<MasterRows> {
        let conn = self.conn();
        let version = self.master_version()?;
        let mut st = conn.prepare(
            "SELECT sku, description, uom, unit_price, currency, pack_size, min_qty, stock FROM catalog",
        )?;
        let catalog = st
            .query_map([], |r| {
                Ok(CatalogItem {
                    sku: r.get(0)?,
                    description: r.get(1)?,
                    uom: r.get(2)?,
                    unit_price: r.get(3)?,
                    currency: r.get(4)?,
                    pack_size: r.get(5)?,
                    min_qty: r.get(6)?,
                    stock: r.get(7)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut st =
            conn.prepare("SELECT customer_id, name, email_domains, currency FROM customers")?;
        let customers = st
            .query_map([], |r| {
                let domains: String = r.get(2)?;
                Ok(Customer {
                    customer_id: r.get(0)?,
                    name: r.get(1)?,
                    email_domains: domains
                        .split(';')
                        .map(str::trim)
                        .filter(|d| !d.is_empty())
                        .map(str::to_string)
                        .collect(),
                    currency: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut st =
            conn.prepare("SELECT customer_id, customer_part, sku, origin FROM crossref")?;
        let crossref = st
            .query_map([], |r| {
                let origin: String = r.get(3)?;
                Ok(Crossref {
                    customer_id: r.get(0)?,
                    customer_part: r.get(1)?,
                    sku: r.get(2)?,
                    origin: if origin == "review" {
                        CrossrefOrigin::Review
                    } else {
                        CrossrefOrigin::Import
                    },
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut st = conn.prepare("SELECT customer_id, sku, unit_price FROM contract_prices")?;
        let contract_prices = st
            .query_map([], |r| {
                Ok(ContractPrice {
                    customer_id: r.get(0)?,
                    sku: r.get(1)?,
                    unit_price: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut st = conn.prepare("SELECT alias, customer_id FROM buyer_aliases")?;
        let buyer_aliases = st
            .query_map([], |r| {
                Ok(BuyerAlias {
                    alias: r.get(0)?,
                    customer_id: r.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut st = conn.prepare("SELECT customer_id, printed, uom FROM uom_aliases")?;
        let uom_aliases = st
            .query_map([], |r| {
                Ok(UomAlias {
                    customer_id: r.get(0)?,
                    printed: r.get(1)?,
                    uom: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(MasterRows {
            version,
            catalog,
            customers,
            crossref,
            contract_prices,
            buyer_aliases,
            uom_aliases,
        })
    }

    /// The indexed snapshot the rules run against. Build once, use for many orders.
    pub fn load_master(&self) -> Result<MasterData> {
        Ok(MasterData::build(self.master_rows()?))
    }

    /// The master data, loaded once and kept while it does not change: every write to a
    /// master table (an import, a learned cross-reference, unit or buyer, by any process)
    /// bumps a counter, which is all this reads when nothing changed.
    pub fn master(&self) -> Result<Arc<MasterData>> {
        let counter: i64 =
            self.conn()
                .query_row("SELECT counter FROM master_changes WHERE id = 1", [], |r| {
                    r.get(0)
                })?;
        if let Some((at, master)) = self.master.borrow().as_ref() {
            if *at == counter {
                return Ok(master.clone());
            }
        }
        let master = Arc::new(self.load_master()?);
        *self.master.borrow_mut() = Some((counter, master.clone()));
        Ok(master)
    }

    /// A reviewer's "remember this": `customer_part` of `customer_id` is our `sku`. Replaces an
    /// earlier mapping of the same part (imported or learned); survives imports. The SKU and the
    /// customer must exist (else `Conflict` with a sentence saying which).
    pub fn add_crossref(
        &mut self,
        customer_id: &str,
        customer_part: &str,
        sku: &str,
        actor: &str,
    ) -> Result<()> {
        let part = customer_part.trim();
        if part.is_empty() {
            return Err(StoreError::Conflict(
                "a cross-reference needs a customer part number".into(),
            ));
        }
        let tx = self.conn_mut().transaction()?;
        require(&tx, "SELECT 1 FROM catalog WHERE sku = ?1", sku, || {
            format!("SKU '{sku}' is not in the catalog")
        })?;
        require(
            &tx,
            "SELECT 1 FROM customers WHERE customer_id = ?1",
            customer_id,
            || format!("customer '{customer_id}' is not in the master data"),
        )?;
        let previous: Option<String> = tx
            .query_row(
                "SELECT sku FROM crossref WHERE customer_id = ?1 AND customer_part = ?2",
                params![customer_id, part],
                |r| r.get(0),
            )
            .optional()?;
        tx.execute(
            "INSERT INTO crossref (customer_id, customer_part, sku, origin) VALUES (?1, ?2, ?3, 'review')
             ON CONFLICT (customer_id, customer_part) DO UPDATE SET sku = excluded.sku, origin = 'review'",
            params![customer_id, part, sku],
        )?;
        audit::append(
            &tx,
            actor,
            "crossref",
            None,
            "learned",
            Some(
                &json!({"customer_id": customer_id, "customer_part": part, "sku": sku, "previous_sku": previous}),
            ),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// A reviewer's "remember this": buyer name `alias` on a document means `customer_id`.
    /// Stored normalised (case, punctuation, legal suffixes), so spelling variants share it.
    pub fn add_buyer_alias(&mut self, alias: &str, customer_id: &str, actor: &str) -> Result<()> {
        let key = normalize_name(alias);
        if key.is_empty() {
            return Err(StoreError::Conflict(format!(
                "buyer name '{alias}' has no letters or digits to remember"
            )));
        }
        let tx = self.conn_mut().transaction()?;
        require(
            &tx,
            "SELECT 1 FROM customers WHERE customer_id = ?1",
            customer_id,
            || format!("customer '{customer_id}' is not in the master data"),
        )?;
        tx.execute(
            "INSERT INTO buyer_aliases (alias, customer_id, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (alias) DO UPDATE SET customer_id = excluded.customer_id, created_at = excluded.created_at",
            params![key, customer_id, now()],
        )?;
        audit::append(
            &tx,
            actor,
            "buyer_alias",
            None,
            "learned",
            Some(&json!({"alias": alias, "normalised": key, "customer_id": customer_id})),
        )?;
        tx.commit()?;
        Ok(())
    }
}

impl Store {
    /// A reviewer's "remember this": unit `printed` on `customer_id`'s orders means catalog
    /// unit `uom`. Stored folded, so "Stk." and "STK" share it; replaces an earlier answer.
    pub fn add_uom_alias(
        &mut self,
        customer_id: &str,
        printed: &str,
        uom: &str,
        actor: &str,
    ) -> Result<()> {
        let key = fold_unit(printed);
        let uom = uom.trim();
        if key.is_empty() || uom.is_empty() {
            return Err(StoreError::Conflict(
                "a unit to remember needs the printed unit and the catalog unit".into(),
            ));
        }
        let tx = self.conn_mut().transaction()?;
        require(
            &tx,
            "SELECT 1 FROM customers WHERE customer_id = ?1",
            customer_id,
            || format!("customer '{customer_id}' is not in the master data"),
        )?;
        tx.execute(
            "INSERT INTO uom_aliases (customer_id, printed, uom, origin, created_at) VALUES (?1, ?2, ?3, 'review', ?4)
             ON CONFLICT (customer_id, printed) DO UPDATE SET uom = excluded.uom, origin = 'review', created_at = excluded.created_at",
            params![customer_id, key, uom, now()],
        )?;
        audit::append(
            &tx,
            actor,
            "uom_alias",
            None,
            "learned",
            Some(
                &json!({"customer_id": customer_id, "printed": printed, "folded": key, "uom": uom}),
            ),
        )?;
        tx.commit()?;
        Ok(())
    }
}

fn require(
    conn: &rusqlite::Connection,
    sql: &str,
    key: &str,
    msg: impl FnOnce() -> String,
) -> Result<()> {
    let found: Option<i64> = conn.query_row(sql, [key], |r| r.get(0)).optional()?;
    match found {
        Some(_) => Ok(()),
        None => Err(StoreError::Conflict(msg())),
    }
}
