//! Master data: the catalog, customers, cross-references, contract prices, stock and
//! learned aliases, as plain rows ([`MasterRows`]) and as [`MasterData`], the in-memory
//! indexed snapshot the checks run against; and reading the CSV files they are imported
//! from ([`files`]).
//!
//! A leaf module: both the store (which imports and loads the rows) and the rules (which
//! check orders against the snapshot) depend on it; it depends on neither.
//!
//! - `files.rs`: the CSV files read and validated into rows, with every bad row listed.
//! - `text.rs`: the normalisers the indexes are built with (codes, names, description
//!   tokens, currencies, printed units).

pub mod files;
pub mod text;

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

pub use files::{
    check_references, read_master_dir, MasterFiles, ReadError, RowError, CATALOG_CSV,
    CONTRACT_PRICES_CSV, CROSSREF_CSV, CUSTOMERS_CSV, UOM_ALIASES_CSV,
};
use text::{desc_tokens, fold_unit, normalize_code, normalize_name};

/// One catalog item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CatalogItem {
    pub sku: String,
    pub description: String,
    /// The unit the price, pack size, minimum and stock are in.
    pub uom: String,
    pub unit_price: f64,
    pub currency: String,
    /// Orders must be a multiple of this (in `uom`). 1 when not given.
    pub pack_size: f64,
    /// Smallest quantity that may be ordered (in `uom`). 0 when not given.
    pub min_qty: f64,
    /// Stock snapshot at import; `None` means unknown (not checked).
    pub stock: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Customer {
    pub customer_id: String,
    pub name: String,
    /// Lower case, without `@`.
    pub email_domains: Vec<String>,
    pub currency: Option<String>,
}

/// Where a cross-reference row came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CrossrefOrigin {
    /// From `crossref.csv`; replaced by the next import.
    Import,
    /// Learned from a reviewer; survives imports.
    Review,
}

impl CrossrefOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            CrossrefOrigin::Import => "import",
            CrossrefOrigin::Review => "review",
        }
    }
}

/// A customer's own part number for one of our SKUs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Crossref {
    pub customer_id: String,
    pub customer_part: String,
    pub sku: String,
    pub origin: CrossrefOrigin,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContractPrice {
    pub customer_id: String,
    pub sku: String,
    pub unit_price: f64,
}

/// A buyer name a reviewer confirmed as a customer. `alias` is stored normalised.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BuyerAlias {
    pub alias: String,
    pub customer_id: String,
}

/// A printed unit a reviewer confirmed as a catalog unit for one customer. `printed` is
/// stored folded ([`text::fold_unit`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UomAlias {
    pub customer_id: String,
    pub printed: String,
    pub uom: String,
}

/// Master data as plain rows (what the store loads, what a test or benchmark builds).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MasterRows {
    /// The imported version these rows are, `None` before the first import.
    pub version: Option<i64>,
    pub catalog: Vec<CatalogItem>,
    pub customers: Vec<Customer>,
    pub crossref: Vec<Crossref>,
    pub contract_prices: Vec<ContractPrice>,
    pub buyer_aliases: Vec<BuyerAlias>,
    /// Units reviewers confirmed per customer (learned; survive imports).
    pub uom_aliases: Vec<UomAlias>,
}

// ---------------------------------------------------------------------------------------------
// The indexed snapshot
// ---------------------------------------------------------------------------------------------

/// Index of an item in [`MasterData`]'s catalog.
pub(crate) type ItemId = u32;

/// An in-memory, indexed snapshot of the master data, built once (`Store::load_master` or
/// [`MasterData::build`]) and shared by many `check` calls. Read-only and `Sync`.
#[derive(Debug, Default)]
pub struct MasterData {
    pub(crate) version: Option<i64>,
    pub(crate) items: Vec<CatalogItem>,
    pub(crate) by_sku: HashMap<String, ItemId>,
    /// Normalised code -> items (more than one: ambiguous, never an automatic match).
    pub(crate) by_norm: HashMap<String, Vec<ItemId>>,
    /// Normalised code of each item, by `ItemId`.
    pub(crate) norm_codes: Vec<String>,
    /// Trigram of normalised codes (padded) -> items containing it, ascending.
    pub(crate) code_grams: HashMap<u32, Vec<ItemId>>,
    /// Description token -> id; postings by token id; idf by token id.
    pub(crate) token_ids: HashMap<String, u32>,
    pub(crate) token_postings: Vec<Vec<ItemId>>,
    pub(crate) token_idf: Vec<f32>,
    /// Distinct token ids of each item's description, sorted; and their idf sum.
    pub(crate) item_tokens: Vec<Vec<u32>>,
    pub(crate) item_weight: Vec<f32>,
    pub(crate) customers: Vec<Customer>,
    pub(crate) customer_by_id: HashMap<String, usize>,
    pub(crate) customer_by_domain: HashMap<String, usize>,
    /// Normalised name (or learned alias) -> customer; `None`: two customers share it.
    pub(crate) customer_by_name: HashMap<String, Option<usize>>,
    /// (customer_id, part as printed) -> sku, and (customer_id, normalised part) -> sku
    /// (`None` when two parts normalise alike to different SKUs).
    pub(crate) crossref_exact: HashMap<(String, String), String>,
    pub(crate) crossref_norm: HashMap<(String, String), Option<String>>,
    pub(crate) contract: HashMap<(String, String), f64>,
    /// (customer_id, folded printed unit) -> unit code, learned from reviewers.
    pub(crate) uom_aliases: HashMap<(String, String), String>,
}

/// Pack three bytes into a trigram key.
pub(crate) fn gram_key(a: u8, b: u8, c: u8) -> u32 {
    (u32::from(a) << 16) | (u32::from(b) << 8) | u32::from(c)
}

/// The distinct trigrams of a normalised code, padded with `\x01` at the start and `\x02` at
/// the end so prefixes and suffixes count.
pub(crate) fn code_grams(norm: &str) -> Vec<u32> {
    let mut padded = Vec::with_capacity(norm.len() + 2);
    padded.push(1u8);
    padded.extend_from_slice(norm.as_bytes());
    padded.push(2u8);
    let mut grams: Vec<u32> = padded
        .windows(3)
        .map(|w| gram_key(w[0], w[1], w[2]))
        .collect();
    grams.sort_unstable();
    grams.dedup();
    grams
}

impl MasterData {
    /// Build the indexes. Rows referring to unknown SKUs or customers are ignored (they can
    /// only be learned rows whose SKU has since left the catalog).
    pub fn build(rows: MasterRows) -> MasterData {
        let mut m = MasterData {
            version: rows.version,
            ..MasterData::default()
        };
        let n = rows.catalog.len();
        m.items = rows.catalog;
        m.by_sku.reserve(n);
        m.norm_codes.reserve(n);
        for (i, item) in m.items.iter().enumerate() {
            let id = i as ItemId;
            m.by_sku.insert(item.sku.clone(), id);
            let norm = normalize_code(&item.sku);
            if !norm.is_empty() {
                m.by_norm.entry(norm.clone()).or_default().push(id);
                for g in code_grams(&norm) {
                    m.code_grams.entry(g).or_default().push(id);
                }
            }
            m.norm_codes.push(norm);
            let mut toks: Vec<u32> = desc_tokens(&item.description)
                .into_iter()
                .map(|t| {
                    let next = m.token_ids.len() as u32;
                    *m.token_ids.entry(t).or_insert(next)
                })
                .collect();
            toks.sort_unstable();
            toks.dedup();
            for &t in &toks {
                if t as usize >= m.token_postings.len() {
                    m.token_postings.resize_with(t as usize + 1, Vec::new);
                }
                m.token_postings[t as usize].push(id);
            }
            m.item_tokens.push(toks);
        }
        let total = n.max(1) as f32;
        m.token_idf = m
            .token_postings
            .iter()
            .map(|p| (1.0 + total / p.len().max(1) as f32).ln())
            .collect();
        m.item_weight = m
            .item_tokens
            .iter()
            .map(|ts| ts.iter().map(|&t| m.token_idf[t as usize]).sum())
            .collect();

        m.customers = rows.customers;
        for (i, c) in m.customers.iter().enumerate() {
            m.customer_by_id.insert(c.customer_id.clone(), i);
            for d in &c.email_domains {
                m.customer_by_domain.entry(d.clone()).or_insert(i);
            }
            let key = normalize_name(&c.name);
            if !key.is_empty() {
                m.customer_by_name
                    .entry(key)
                    .and_modify(|e| {
                        if *e != Some(i) {
                            *e = None
                        }
                    })
                    .or_insert(Some(i));
            }
        }
        for a in rows.buyer_aliases {
            let Some(&i) = m.customer_by_id.get(&a.customer_id) else {
                continue;
            };
            let key = normalize_name(&a.alias);
            if !key.is_empty() {
                // A reviewer's alias overrides a name clash.
                m.customer_by_name.insert(key, Some(i));
            }
        }
        // Learned rows first so an imported row with the same key (cannot exist in the
        // store, but can in hand-built rows) does not override them.
        let mut xrefs = rows.crossref;
        xrefs.sort_by_key(|x| x.origin != CrossrefOrigin::Review);
        for x in xrefs {
            if !m.by_sku.contains_key(&x.sku) || !m.customer_by_id.contains_key(&x.customer_id) {
                continue;
            }
            let nk = (x.customer_id.clone(), normalize_code(&x.customer_part));
            if !nk.1.is_empty() {
                match m.crossref_norm.get_mut(&nk) {
                    Some(e) => {
                        if e.as_deref() != Some(x.sku.as_str()) {
                            *e = None;
                        }
                    }
                    None => {
                        m.crossref_norm.insert(nk, Some(x.sku.clone()));
                    }
                }
            }
            m.crossref_exact
                .entry((x.customer_id, x.customer_part))
                .or_insert(x.sku);
        }
        for c in rows.contract_prices {
            m.contract.insert((c.customer_id, c.sku), c.unit_price);
        }
        for u in rows.uom_aliases {
            let key = fold_unit(&u.printed);
            m.uom_aliases.insert((u.customer_id, key), u.uom);
        }
        m
    }

    /// The imported version this snapshot is, `None` if nothing was ever imported.
    pub fn version(&self) -> Option<i64> {
        self.version
    }

    pub fn item(&self, sku: &str) -> Option<&CatalogItem> {
        self.by_sku.get(sku).map(|&i| &self.items[i as usize])
    }

    pub fn customer(&self, customer_id: &str) -> Option<&Customer> {
        self.customer_by_id
            .get(customer_id)
            .map(|&i| &self.customers[i])
    }

    pub fn catalog_len(&self) -> usize {
        self.items.len()
    }

    pub fn customers(&self) -> &[Customer] {
        &self.customers
    }

    /// The unit code a reviewer confirmed for `printed` (folded) from `customer_id`.
    pub fn uom_alias(&self, customer_id: &str, printed: &str) -> Option<&str> {
        if self.uom_aliases.is_empty() {
            return None;
        }
        self.uom_aliases
            .get(&(customer_id.to_string(), printed.to_string()))
            .map(String::as_str)
    }

    /// The contract price of `sku` for `customer_id`, if there is one.
    pub fn contract_price(&self, customer_id: &str, sku: &str) -> Option<f64> {
        self.contract
            .get(&(customer_id.to_string(), sku.to_string()))
            .copied()
    }

    /// The SKU a customer's part number maps to: the part as printed first, then normalised
    /// (only when the normalised form is unambiguous).
    pub fn crossref(&self, customer_id: &str, part: &str) -> Option<&str> {
        let part = part.trim();
        if let Some(s) = self
            .crossref_exact
            .get(&(customer_id.to_string(), part.to_string()))
        {
            return Some(s);
        }
        let norm = normalize_code(part);
        if norm.is_empty() {
            return None;
        }
        self.crossref_norm
            .get(&(customer_id.to_string(), norm))
            .and_then(|s| s.as_deref())
    }
}

/// What an import did, for people (`Display`) and for `--json` (`Serialize`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportReport {
    /// The new master-data version.
    pub version: i64,
    pub imported_at: String,
    pub source_dir: String,
    pub catalog: TableCount,
    pub customers: TableCount,
    pub crossref: TableCount,
    pub contract_prices: TableCount,
    /// Cross-references learned from reviewers, kept across the import.
    pub learned_crossref: usize,
    /// Rows of crossref.csv not applied because a learned row has the same customer part.
    pub crossref_overridden_by_learned: usize,
}

/// Rows of one table after an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TableCount {
    /// Rows read from the file, `None` when the file was absent (previous rows kept).
    pub imported: Option<usize>,
    /// Rows in the table now.
    pub total: usize,
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "master data version {} imported from {}",
            self.version, self.source_dir
        )?;
        for (file, c) in [
            (CATALOG_CSV, self.catalog),
            (CUSTOMERS_CSV, self.customers),
            (CROSSREF_CSV, self.crossref),
            (CONTRACT_PRICES_CSV, self.contract_prices),
        ] {
            match c.imported {
                Some(n) => writeln!(f, "  {file:<20} {n} rows")?,
                None => writeln!(f, "  {file:<20} absent: kept the previous {} rows", c.total)?,
            }
        }
        write!(
            f,
            "  learned cross-references kept: {}",
            self.learned_crossref
        )?;
        if self.crossref_overridden_by_learned > 0 {
            write!(
                f,
                " ({} rows of crossref.csv were overridden by them)",
                self.crossref_overridden_by_learned
            )?;
        }
        Ok(())
    }
}
