//! Reading the master-data CSV files (`catalog.csv`, `customers.csv`, `crossref.csv`,
//! `contract_prices.csv`, and the optional `uom_aliases.csv`) into validated rows.
//!
//! Reading never stops at the first bad row: every problem is collected with its file and line
//! so one import attempt shows them all, and the store then imports nothing. The store
//! (`store/master.rs`) owns the SQL; this module owns the file format.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::text::{canonical_currency, fold_unit};
use super::{CatalogItem, ContractPrice, Crossref, CrossrefOrigin, Customer, UomAlias};

/// The file names looked for in an import directory.
pub const CATALOG_CSV: &str = "catalog.csv";
pub const CUSTOMERS_CSV: &str = "customers.csv";
pub const CROSSREF_CSV: &str = "crossref.csv";
pub const CONTRACT_PRICES_CSV: &str = "contract_prices.csv";
/// A customer's own words for units (`customer_id,printed,uom`): "KAR" means BOX for C1027.
pub const UOM_ALIASES_CSV: &str = "uom_aliases.csv";

/// A bad row (or header) in an import file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub file: String,
    /// 1-based line in the file (the header is line 1).
    pub line: u64,
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// Why the files of an import directory could not be taken. The store wraps this in its
/// `ReadError` (with database failures); in every case nothing was imported.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("reading {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no master data in {}: expected at least one of catalog.csv, customers.csv, crossref.csv, contract_prices.csv, uom_aliases.csv", dir.display())]
    NoFiles { dir: PathBuf },
    /// Bad rows, or references to an unknown SKU or customer: all of them, sorted by file
    /// and line.
    #[error("{}", bad_rows_message(.0))]
    BadRows(Vec<RowError>),
}

fn bad_rows_message(rows: &[RowError]) -> String {
    const SHOWN: usize = 50;
    let mut s = format!(
        "{} bad row{} in the master data; nothing was imported:",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    );
    for r in rows.iter().take(SHOWN) {
        s.push_str("\n  ");
        s.push_str(&r.to_string());
    }
    if rows.len() > SHOWN {
        s.push_str(&format!("\n  ... and {} more", rows.len() - SHOWN));
    }
    s
}

/// The rows of the files present in an import directory, each with its line number.
/// `None`: the file is absent (its table keeps its previous rows).
#[derive(Debug, Default)]
pub struct MasterFiles {
    pub catalog: Option<Vec<(u64, CatalogItem)>>,
    pub customers: Option<Vec<(u64, Customer)>>,
    pub crossref: Option<Vec<(u64, Crossref)>>,
    pub contract_prices: Option<Vec<(u64, ContractPrice)>>,
    pub uom_aliases: Option<Vec<(u64, UomAlias)>>,
}

/// Read and validate the CSV files in `dir`. Row problems within each file (bad numbers,
/// empty keys, duplicates, wrong field counts) are all collected into `Err(BadRows)`.
/// References between files are checked by [`check_references`], which needs the store.
pub fn read_master_dir(dir: &Path) -> Result<MasterFiles, ReadError> {
    if !dir.is_dir() {
        return Err(ReadError::Io {
            path: dir.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "not a directory"),
        });
    }
    let mut errors = Vec::new();
    let mut files = MasterFiles::default();
    if let Some(t) = read_table(dir, CATALOG_CSV, &CATALOG_COLS, &mut errors)? {
        files.catalog = Some(parse_catalog(&t, &mut errors));
    }
    if let Some(t) = read_table(dir, CUSTOMERS_CSV, &CUSTOMER_COLS, &mut errors)? {
        files.customers = Some(parse_customers(&t, &mut errors));
    }
    if let Some(t) = read_table(dir, CROSSREF_CSV, &CROSSREF_COLS, &mut errors)? {
        files.crossref = Some(parse_crossref(&t, &mut errors));
    }
    if let Some(t) = read_table(dir, CONTRACT_PRICES_CSV, &CONTRACT_COLS, &mut errors)? {
        files.contract_prices = Some(parse_contract(&t, &mut errors));
    }
    if let Some(t) = read_table(dir, UOM_ALIASES_CSV, &UOM_ALIAS_COLS, &mut errors)? {
        files.uom_aliases = Some(parse_uom_aliases(&t, &mut errors));
    }
    if files.catalog.is_none()
        && files.customers.is_none()
        && files.crossref.is_none()
        && files.contract_prices.is_none()
        && files.uom_aliases.is_none()
        && errors.is_empty()
    {
        return Err(ReadError::NoFiles {
            dir: dir.to_path_buf(),
        });
    }
    if !errors.is_empty() {
        sort_errors(&mut errors);
        return Err(ReadError::BadRows(errors));
    }
    Ok(files)
}

/// Files in the order they are read, then lines.
fn sort_errors(errors: &mut [RowError]) {
    let rank = |f: &str| {
        [
            CATALOG_CSV,
            CUSTOMERS_CSV,
            CROSSREF_CSV,
            CONTRACT_PRICES_CSV,
            UOM_ALIASES_CSV,
        ]
        .iter()
        .position(|n| *n == f)
        .unwrap_or(usize::MAX)
    };
    errors.sort_by_key(|e| (rank(&e.file), e.line));
}

/// Check that cross-references and contract prices name a known SKU and customer. `skus` and
/// `customers` are what the tables will hold after the import (new rows of a present file,
/// the stored rows of an absent one).
pub fn check_references(
    files: &MasterFiles,
    skus: &HashSet<String>,
    customers: &HashSet<String>,
) -> Vec<RowError> {
    let mut errors = Vec::new();
    let mut refs = |file: &str, line: u64, customer_id: &str, sku: &str| {
        if !customers.contains(customer_id) {
            errors.push(RowError {
                file: file.to_string(),
                line,
                message: format!("customer_id '{customer_id}' is not a known customer"),
            });
        }
        if !skus.contains(sku) {
            errors.push(RowError {
                file: file.to_string(),
                line,
                message: format!("sku '{sku}' is not in the catalog"),
            });
        }
    };
    for (line, r) in files.crossref.iter().flatten() {
        refs(CROSSREF_CSV, *line, &r.customer_id, &r.sku);
    }
    for (line, r) in files.contract_prices.iter().flatten() {
        refs(CONTRACT_PRICES_CSV, *line, &r.customer_id, &r.sku);
    }
    for (line, r) in files.uom_aliases.iter().flatten() {
        if !customers.contains(&r.customer_id) {
            errors.push(RowError {
                file: UOM_ALIASES_CSV.to_string(),
                line: *line,
                message: format!("customer_id '{}' is not a known customer", r.customer_id),
            });
        }
    }
    sort_errors(&mut errors);
    errors
}

/// Column set of one file: required and optional names.
struct Cols {
    required: &'static [&'static str],
    optional: &'static [&'static str],
}

const CATALOG_COLS: Cols = Cols {
    required: &["sku", "description", "uom", "unit_price", "currency"],
    optional: &["pack_size", "min_qty", "stock"],
};
const CUSTOMER_COLS: Cols = Cols {
    required: &["customer_id", "name"],
    optional: &["email_domains", "currency"],
};
const CROSSREF_COLS: Cols = Cols {
    required: &["customer_id", "customer_part", "sku"],
    optional: &[],
};
const UOM_ALIAS_COLS: Cols = Cols {
    required: &["customer_id", "printed", "uom"],
    optional: &[],
};
const CONTRACT_COLS: Cols = Cols {
    required: &["customer_id", "sku", "unit_price"],
    optional: &[],
};

/// A read file: its name, column positions, and records with line numbers.
struct Table {
    file: &'static str,
    cols: HashMap<String, usize>,
    rows: Vec<(u64, csv::StringRecord)>,
}

impl Table {
    fn get<'r>(&self, rec: &'r csv::StringRecord, col: &str) -> &'r str {
        self.cols.get(col).and_then(|&i| rec.get(i)).unwrap_or("")
    }
}

/// Read one CSV file if it exists. Structural problems (bad header, bad UTF-8, wrong field
/// counts) go into `errors`; I/O errors other than "absent" end the import.
fn read_table(
    dir: &Path,
    file: &'static str,
    cols: &Cols,
    errors: &mut Vec<RowError>,
) -> Result<Option<Table>, ReadError> {
    let path = dir.join(file);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(ReadError::Io { path, source }),
    };
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let err = |line: u64, message: String| RowError {
        file: file.to_string(),
        line,
        message,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let header = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            errors.push(err(1, format!("unreadable header: {e}")));
            return Ok(Some(Table {
                file,
                cols: HashMap::new(),
                rows: vec![],
            }));
        }
    };
    let mut map = HashMap::new();
    for (i, name) in header.iter().enumerate() {
        let name = name.to_lowercase();
        if map.insert(name.clone(), i).is_some() {
            errors.push(err(
                1,
                format!("column '{name}' appears twice in the header"),
            ));
        }
    }
    let missing: Vec<&str> = cols
        .required
        .iter()
        .copied()
        .filter(|c| !map.contains_key(*c))
        .collect();
    if !missing.is_empty() {
        errors.push(err(
            1,
            format!(
                "missing column{} {} (header is: {}; expected {})",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", "),
                header.iter().collect::<Vec<_>>().join(","),
                cols.required
                    .iter()
                    .chain(cols.optional)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        ));
        return Ok(Some(Table {
            file,
            cols: map,
            rows: vec![],
        }));
    }
    let width = header.len();
    let mut rows = Vec::new();
    let mut rec = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                let line = rec.position().map_or(0, |p| p.line());
                if rec.iter().all(str::is_empty) {
                    continue;
                }
                if rec.len() != width {
                    errors.push(err(
                        line,
                        format!(
                            "{} fields, the header has {width} (a comma inside a value needs \"quotes\")",
                            rec.len()
                        ),
                    ));
                    continue;
                }
                rows.push((line, rec.clone()));
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                let message = match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".to_string(),
                    _ => e.to_string(),
                };
                errors.push(err(line, message));
                // A UTF-8 error leaves the reader positioned after the record; anything
                // else (I/O) would repeat, so stop reading this file.
                if !matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                    break;
                }
            }
        }
    }
    Ok(Some(Table {
        file,
        cols: map,
        rows,
    }))
}

/// Collects problems of one row.
struct RowCheck<'a> {
    file: &'static str,
    line: u64,
    errors: &'a mut Vec<RowError>,
    ok: bool,
}

impl RowCheck<'_> {
    fn fail(&mut self, message: String) {
        self.ok = false;
        self.errors.push(RowError {
            file: self.file.to_string(),
            line: self.line,
            message,
        });
    }

    fn required(&mut self, col: &str, v: &str) -> String {
        if v.is_empty() {
            self.fail(format!("{col} is empty"));
        }
        v.to_string()
    }

    /// A finite number; `default` when empty (or an error when there is none).
    fn number(&mut self, col: &str, v: &str, default: Option<f64>, min: Bound) -> f64 {
        if v.is_empty() {
            return match default {
                Some(d) => d,
                None => {
                    self.fail(format!("{col} is empty"));
                    0.0
                }
            };
        }
        match v.parse::<f64>() {
            Ok(n) if n.is_finite() => {
                let bad = match min {
                    Bound::Any => false,
                    Bound::NonNegative => n < 0.0,
                    Bound::Positive => n <= 0.0,
                };
                if bad {
                    let what = if matches!(min, Bound::Positive) {
                        "greater than 0"
                    } else {
                        "0 or more"
                    };
                    self.fail(format!("{col} '{v}' must be {what}"));
                }
                n
            }
            _ => {
                self.fail(format!(
                    "{col} '{v}' is not a number (use . for decimals, no thousands separators)"
                ));
                0.0
            }
        }
    }

    fn currency(&mut self, col: &str, v: &str) -> String {
        let c = canonical_currency(v);
        if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
            self.fail(format!("{col} '{v}' is not a 3-letter currency code"));
        }
        c
    }
}

#[derive(Clone, Copy)]
enum Bound {
    Any,
    NonNegative,
    Positive,
}

/// Remembers the first line of each key to report duplicates.
fn dup_check(seen: &mut HashMap<String, u64>, key: String, what: &str, rc: &mut RowCheck<'_>) {
    if let Some(first) = seen.get(&key) {
        rc.fail(format!("duplicate {what} (first on line {first})"));
    } else {
        seen.insert(key, rc.line);
    }
}

impl Table {
    /// Read every row with `read`, which checks its cells on the row's [`RowCheck`]: the
    /// rows that passed every check, with their line numbers (the others are in `errors`).
    fn checked_rows<T>(
        &self,
        errors: &mut Vec<RowError>,
        mut read: impl FnMut(&mut RowCheck<'_>, &csv::StringRecord) -> T,
    ) -> Vec<(u64, T)> {
        let mut out = Vec::with_capacity(self.rows.len());
        for (line, rec) in &self.rows {
            let mut rc = RowCheck {
                file: self.file,
                line: *line,
                errors: &mut *errors,
                ok: true,
            };
            let v = read(&mut rc, rec);
            if rc.ok {
                out.push((*line, v));
            }
        }
        out
    }
}

fn parse_catalog(t: &Table, errors: &mut Vec<RowError>) -> Vec<(u64, CatalogItem)> {
    let mut seen = HashMap::new();
    t.checked_rows(errors, |rc, rec| {
        let sku = rc.required("sku", t.get(rec, "sku"));
        let description = t.get(rec, "description").to_string();
        let uom = rc.required("uom", t.get(rec, "uom")).to_uppercase();
        let unit_price = rc.number(
            "unit_price",
            t.get(rec, "unit_price"),
            None,
            Bound::NonNegative,
        );
        let currency = rc.currency("currency", t.get(rec, "currency"));
        let pack_size = rc.number(
            "pack_size",
            t.get(rec, "pack_size"),
            Some(1.0),
            Bound::Positive,
        );
        let min_qty = rc.number(
            "min_qty",
            t.get(rec, "min_qty"),
            Some(0.0),
            Bound::NonNegative,
        );
        let stock_raw = t.get(rec, "stock");
        let stock = if stock_raw.is_empty() {
            None
        } else {
            Some(rc.number("stock", stock_raw, None, Bound::Any))
        };
        if !sku.is_empty() {
            dup_check(&mut seen, sku.clone(), &format!("sku '{sku}'"), rc);
        }
        CatalogItem {
            sku,
            description,
            uom,
            unit_price,
            currency,
            pack_size,
            min_qty,
            stock,
        }
    })
}

fn parse_customers(t: &Table, errors: &mut Vec<RowError>) -> Vec<(u64, Customer)> {
    let mut seen = HashMap::new();
    let mut domains: HashMap<String, (String, u64)> = HashMap::new();
    t.checked_rows(errors, |rc, rec| {
        let customer_id = rc.required("customer_id", t.get(rec, "customer_id"));
        let name = rc.required("name", t.get(rec, "name"));
        let mut email_domains = Vec::new();
        for d in t.get(rec, "email_domains").split([';', ',', ' ']) {
            let d = d.trim().trim_start_matches('@').to_lowercase();
            if d.is_empty() {
                continue;
            }
            if !d.contains('.') || d.contains('@') {
                rc.fail(format!(
                    "email domain '{d}' is not a domain like example.com"
                ));
                continue;
            }
            if let Some((other, first)) = domains.get(&d) {
                if *other != customer_id {
                    rc.fail(format!(
                        "email domain '{d}' already belongs to customer '{other}' (line {first})"
                    ));
                }
                continue;
            }
            domains.insert(d.clone(), (customer_id.clone(), rc.line));
            email_domains.push(d);
        }
        let cur = t.get(rec, "currency");
        let currency = if cur.is_empty() {
            None
        } else {
            Some(rc.currency("currency", cur))
        };
        if !customer_id.is_empty() {
            dup_check(
                &mut seen,
                customer_id.clone(),
                &format!("customer_id '{customer_id}'"),
                rc,
            );
        }
        Customer {
            customer_id,
            name,
            email_domains,
            currency,
        }
    })
}

fn parse_uom_aliases(t: &Table, errors: &mut Vec<RowError>) -> Vec<(u64, UomAlias)> {
    let mut seen = HashMap::new();
    t.checked_rows(errors, |rc, rec| {
        let customer_id = rc.required("customer_id", t.get(rec, "customer_id"));
        let printed = fold_unit(&rc.required("printed", t.get(rec, "printed")));
        let uom = rc.required("uom", t.get(rec, "uom"));
        dup_check(
            &mut seen,
            format!("{customer_id}\u{0}{printed}"),
            &format!("unit '{printed}' for customer '{customer_id}'"),
            rc,
        );
        UomAlias {
            customer_id,
            printed,
            uom,
        }
    })
}

fn parse_crossref(t: &Table, errors: &mut Vec<RowError>) -> Vec<(u64, Crossref)> {
    let mut seen = HashMap::new();
    t.checked_rows(errors, |rc, rec| {
        let customer_id = rc.required("customer_id", t.get(rec, "customer_id"));
        let customer_part = rc.required("customer_part", t.get(rec, "customer_part"));
        let sku = rc.required("sku", t.get(rec, "sku"));
        dup_check(
            &mut seen,
            format!("{customer_id}\u{0}{customer_part}"),
            &format!("customer_part '{customer_part}' for customer '{customer_id}'"),
            rc,
        );
        Crossref {
            customer_id,
            customer_part,
            sku,
            origin: CrossrefOrigin::Import,
        }
    })
}

fn parse_contract(t: &Table, errors: &mut Vec<RowError>) -> Vec<(u64, ContractPrice)> {
    let mut seen = HashMap::new();
    t.checked_rows(errors, |rc, rec| {
        let customer_id = rc.required("customer_id", t.get(rec, "customer_id"));
        let sku = rc.required("sku", t.get(rec, "sku"));
        let unit_price = rc.number(
            "unit_price",
            t.get(rec, "unit_price"),
            None,
            Bound::NonNegative,
        );
        dup_check(
            &mut seen,
            format!("{customer_id}\u{0}{sku}"),
            &format!("contract price for customer '{customer_id}' and sku '{sku}'"),
            rc,
        );
        ContractPrice {
            customer_id,
            sku,
            unit_price,
        }
    })
}
