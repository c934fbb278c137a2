//! Extraction accuracy against gold files in the extraction JSON contract.
//!
//! Scoring: a field is a true positive when the predicted value equals the gold one
//! (strings compared case- and whitespace-insensitively, numbers within half a cent),
//! a false positive when a value was predicted but is wrong or not in the gold, and a false
//! negative when the gold has a value that was not predicted correctly. So a wrong value
//! costs both precision and recall. Predicted orders are paired with gold orders by PO number
//! (else by position); lines are paired greedily by how many fields agree.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::config::Config;
use crate::contract::{ContractLine, ContractOrder, Extraction};
use crate::extract::Extractor;
use crate::pipeline;

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("reading {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("gold file {path} is not extraction JSON: {source}")]
    Gold {
        path: std::path::PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("no document in {0} has a gold file")]
    NoGold(std::path::PathBuf),
}

/// Extract every document in `docs` that has a gold file `gold/<file name>.json` (or
/// `gold/<stem>.json`) and score it.
pub fn evaluate_dir(
    docs: &Path,
    gold: &Path,
    cfg: &Config,
    extractor: &Extractor,
) -> Result<Report, EvalError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| EvalError::Io { path, source }
    };
    let mut files: Vec<_> = std::fs::read_dir(docs)
        .map_err(io(docs))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let mut report = Report::default();
    for file in &files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // `<file name>.json` (our fixtures) or `<stem>.json` (the shared real-dev gold).
        let stem = file
            .file_stem()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some((gold_path, gold_text)) = [format!("{name}.json"), format!("{stem}.json")]
            .into_iter()
            .map(|g| gold.join(g))
            .find_map(|p| std::fs::read_to_string(&p).ok().map(|t| (p, t)))
        else {
            continue;
        };
        let gold: Extraction =
            serde_json::from_str(&gold_text).map_err(|source| EvalError::Gold {
                path: gold_path.clone(),
                source,
            })?;
        let bytes = std::fs::read(file).map_err(io(file))?;
        let (pred, error) = match pipeline::read_document(&bytes, &name, cfg, extractor) {
            Ok((parsed, ex)) => (
                Extraction {
                    file: name.clone(),
                    kind: parsed.kind,
                    orders: ex.orders.iter().map(ContractOrder::from).collect(),
                    warnings: ex.warnings,
                },
                None,
            ),
            Err(r) => (
                Extraction {
                    file: name.clone(),
                    kind: gold.kind,
                    orders: vec![],
                    warnings: vec![],
                },
                Some(format!("{}: {}", r.code, r.reason)),
            ),
        };
        let mut s = score_document(&pred, &gold);
        s.error = error;
        report.add(s);
    }
    if report.documents == 0 {
        return Err(EvalError::NoGold(docs.to_path_buf()));
    }
    Ok(report)
}

pub use crate::contract::{HEADER_FIELDS, LINE_FIELDS};

/// True/false positive and false negative counts.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Counts {
    pub tp: u32,
    pub fp: u32,
    pub fn_: u32,
}

impl Counts {
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
    fn add(&mut self, o: Counts) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
    }
}

fn ratio(a: u32, b: u32) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

/// A plain value of one field, for comparison.
#[derive(Debug, Clone, PartialEq)]
enum V {
    S(String),
    N(f64),
}

fn norm(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_matches(|c: char| c == ',' || c == '.' || c == ':')
        .to_lowercase()
}

fn same(a: &V, b: &V) -> bool {
    match (a, b) {
        (V::S(x), V::S(y)) => norm(x) == norm(y),
        (V::N(x), V::N(y)) => (x - y).abs() < 0.005 + 1e-9 * y.abs(),
        _ => false,
    }
}

fn header_value(o: &ContractOrder, f: &str) -> Option<V> {
    match f {
        "po_number" => o.po_number.clone().map(V::S),
        "order_date" => o.order_date.clone().map(V::S),
        "buyer" => o.buyer.clone().map(V::S),
        "currency" => o.currency.clone().map(V::S),
        "ship_to" => o.ship_to.clone().map(V::S),
        "total" => o.total.map(V::N),
        _ => None,
    }
}

fn line_value(l: &ContractLine, f: &str) -> Option<V> {
    match f {
        "sku" => l.sku.clone().map(V::S),
        "customer_part" => l.customer_part.clone().map(V::S),
        "description" => l.description.clone().map(V::S),
        "quantity" => l.quantity.map(V::N),
        "uom" => l.uom.clone().map(V::S),
        "unit_price" => l.unit_price.map(V::N),
        "amount" => l.amount.map(V::N),
        _ => None,
    }
}

fn score(pred: Option<V>, gold: Option<V>) -> Counts {
    match (pred, gold) {
        (Some(p), Some(g)) if same(&p, &g) => Counts {
            tp: 1,
            fp: 0,
            fn_: 0,
        },
        (Some(_), Some(_)) => Counts {
            tp: 0,
            fp: 1,
            fn_: 1,
        },
        (Some(_), None) => Counts {
            tp: 0,
            fp: 1,
            fn_: 0,
        },
        (None, Some(_)) => Counts {
            tp: 0,
            fp: 0,
            fn_: 1,
        },
        (None, None) => Counts::default(),
    }
}

/// Scores of one document.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DocScore {
    pub file: String,
    pub gold_orders: usize,
    pub predicted_orders: usize,
    pub exact_orders: usize,
    pub header: BTreeMap<String, Counts>,
    pub lines: BTreeMap<String, Counts>,
    pub error: Option<String>,
}

fn pair_orders<'a>(
    pred: &'a [ContractOrder],
    gold: &'a [ContractOrder],
) -> Vec<(Option<&'a ContractOrder>, Option<&'a ContractOrder>)> {
    let mut used = vec![false; pred.len()];
    let mut out = Vec::new();
    for (gi, g) in gold.iter().enumerate() {
        let by_po = pred.iter().enumerate().position(|(i, p)| {
            !used[i]
                && p.po_number.is_some()
                && p.po_number.as_deref().map(norm) == g.po_number.as_deref().map(norm)
        });
        let pick = by_po.or_else(|| (gi < pred.len() && !used[gi]).then_some(gi));
        match pick {
            Some(i) => {
                used[i] = true;
                out.push((pred.get(i), Some(g)));
            }
            None => out.push((None, Some(g))),
        }
    }
    for (i, p) in pred.iter().enumerate() {
        if !used[i] {
            out.push((Some(p), None));
        }
    }
    out
}

fn pair_lines<'a>(
    pred: &'a [ContractLine],
    gold: &'a [ContractLine],
) -> Vec<(Option<&'a ContractLine>, Option<&'a ContractLine>)> {
    // Greedy by agreement; ties keep document order.
    let mut cands = Vec::new();
    for (gi, g) in gold.iter().enumerate() {
        for (pi, p) in pred.iter().enumerate() {
            let agree = LINE_FIELDS
                .iter()
                .filter(|f| match (line_value(p, f), line_value(g, f)) {
                    (Some(a), Some(b)) => same(&a, &b),
                    _ => false,
                })
                .count();
            if agree > 0 {
                cands.push((agree, usize::MAX - gi.abs_diff(pi), gi, pi));
            }
        }
    }
    cands.sort_by(|a, b| b.cmp(a));
    let mut gused = vec![false; gold.len()];
    let mut pused = vec![false; pred.len()];
    let mut out = Vec::new();
    for (_, _, gi, pi) in cands {
        if !gused[gi] && !pused[pi] {
            gused[gi] = true;
            pused[pi] = true;
            out.push((pred.get(pi), gold.get(gi)));
        }
    }
    out.extend(
        gold.iter()
            .enumerate()
            .filter(|(i, _)| !gused[*i])
            .map(|(_, g)| (None, Some(g))),
    );
    out.extend(
        pred.iter()
            .enumerate()
            .filter(|(i, _)| !pused[*i])
            .map(|(_, p)| (Some(p), None)),
    );
    out
}

/// Score one predicted extraction against its gold.
pub fn score_document(pred: &Extraction, gold: &Extraction) -> DocScore {
    let mut s = DocScore {
        file: gold.file.clone(),
        gold_orders: gold.orders.len(),
        predicted_orders: pred.orders.len(),
        ..Default::default()
    };
    for (p, g) in pair_orders(&pred.orders, &gold.orders) {
        let mut exact = p.is_some() && g.is_some();
        for f in HEADER_FIELDS {
            let c = score(
                p.and_then(|o| header_value(o, f)),
                g.and_then(|o| header_value(o, f)),
            );
            exact &= c.fp == 0 && c.fn_ == 0;
            s.header.entry(f.to_string()).or_default().add(c);
        }
        let empty = Vec::new();
        let pl = p.map(|o| &o.lines).unwrap_or(&empty);
        let gl = g.map(|o| &o.lines).unwrap_or(&empty);
        for (a, b) in pair_lines(pl, gl) {
            for f in LINE_FIELDS {
                let c = score(
                    a.and_then(|l| line_value(l, f)),
                    b.and_then(|l| line_value(l, f)),
                );
                exact &= c.fp == 0 && c.fn_ == 0;
                s.lines.entry(f.to_string()).or_default().add(c);
            }
        }
        if exact {
            s.exact_orders += 1;
        }
    }
    s
}

/// Totals over a set of documents.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub documents: usize,
    pub gold_orders: usize,
    pub exact_orders: usize,
    pub header: BTreeMap<String, Counts>,
    pub lines: BTreeMap<String, Counts>,
    pub header_total: Counts,
    pub lines_total: Counts,
    pub per_document: Vec<DocScore>,
}

impl Report {
    pub fn add(&mut self, d: DocScore) {
        self.documents += 1;
        self.gold_orders += d.gold_orders;
        self.exact_orders += d.exact_orders;
        for (k, c) in &d.header {
            self.header.entry(k.clone()).or_default().add(*c);
            self.header_total.add(*c);
        }
        for (k, c) in &d.lines {
            self.lines.entry(k.clone()).or_default().add(*c);
            self.lines_total.add(*c);
        }
        self.per_document.push(d);
    }

    pub fn exact_share(&self) -> f64 {
        ratio(self.exact_orders as u32, self.gold_orders as u32)
    }

    /// The human table.
    pub fn render(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!(
            "{:<16} {:>6} {:>6} {:>6}   {:>5} {:>5} {:>5}\n",
            "field", "P", "R", "F1", "tp", "fp", "fn"
        ));
        let row = |s: &mut String, name: &str, c: &Counts| {
            s.push_str(&format!(
                "{:<16} {:>6.3} {:>6.3} {:>6.3}   {:>5} {:>5} {:>5}\n",
                name,
                c.precision(),
                c.recall(),
                c.f1(),
                c.tp,
                c.fp,
                c.fn_
            ));
        };
        for (k, c) in &self.header {
            row(&mut s, k, c);
        }
        row(&mut s, "HEADER (all)", &self.header_total);
        for (k, c) in &self.lines {
            row(&mut s, &format!("line.{k}"), c);
        }
        row(&mut s, "LINES (all)", &self.lines_total);
        s.push_str(&format!(
            "\norders extracted exactly: {}/{} ({:.1}%) over {} documents\n",
            self.exact_orders,
            self.gold_orders,
            100.0 * self.exact_share(),
            self.documents
        ));
        s.push_str("\nper document:\n");
        for d in &self.per_document {
            let h: Counts = d.header.values().fold(Counts::default(), |mut a, c| {
                a.add(*c);
                a
            });
            let l: Counts = d.lines.values().fold(Counts::default(), |mut a, c| {
                a.add(*c);
                a
            });
            s.push_str(&format!(
                "  {:<40} orders {}/{} exact {}  header F1 {:.2}  lines F1 {:.2}{}\n",
                d.file,
                d.predicted_orders,
                d.gold_orders,
                d.exact_orders,
                h.f1(),
                l.f1(),
                d.error
                    .as_deref()
                    .map(|e| format!("  [{e}]"))
                    .unwrap_or_default()
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(json: &str) -> Extraction {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_wrong_value_costs_precision_and_recall() {
        let gold = ex(
            r#"{"file":"a","kind":"pdf","orders":[{"po_number":"PO-1","order_date":"2025-01-02","buyer":null,"currency":"USD","ship_to":null,"total":10.0,
            "lines":[{"sku":"A-1","customer_part":null,"description":"x","quantity":2,"uom":"EA","unit_price":5,"amount":10}]}]}"#,
        );
        let pred = ex(
            r#"{"file":"a","kind":"pdf","orders":[{"po_number":"po-1","order_date":"2025-01-03","buyer":"Acme","currency":"USD","ship_to":null,"total":10.001,
            "lines":[{"sku":"A-1","customer_part":null,"description":"X","quantity":2,"uom":null,"unit_price":5,"amount":10}]}]}"#,
        );
        let s = score_document(&pred, &gold);
        assert_eq!(
            s.header["po_number"],
            Counts {
                tp: 1,
                fp: 0,
                fn_: 0
            }
        );
        assert_eq!(
            s.header["order_date"],
            Counts {
                tp: 0,
                fp: 1,
                fn_: 1
            }
        );
        assert_eq!(
            s.header["buyer"],
            Counts {
                tp: 0,
                fp: 1,
                fn_: 0
            }
        );
        assert_eq!(s.header["total"].tp, 1);
        assert_eq!(
            s.lines["uom"],
            Counts {
                tp: 0,
                fp: 0,
                fn_: 1
            }
        );
        assert_eq!(s.lines["description"].tp, 1);
        assert_eq!(s.exact_orders, 0);
        let same = score_document(&gold, &gold);
        assert_eq!(same.exact_orders, 1);
    }

    #[test]
    fn missing_orders_are_all_false_negatives() {
        let gold = ex(
            r#"{"file":"a","kind":"eml","orders":[{"po_number":"1","order_date":null,"buyer":null,"currency":null,"ship_to":null,"total":null,"lines":[{"sku":"A","customer_part":null,"description":null,"quantity":1,"uom":null,"unit_price":null,"amount":null}]}]}"#,
        );
        let pred = ex(r#"{"file":"a","kind":"eml","orders":[]}"#);
        let mut r = Report::default();
        r.add(score_document(&pred, &gold));
        assert_eq!(
            r.header_total,
            Counts {
                tp: 0,
                fp: 0,
                fn_: 1
            }
        );
        assert_eq!(
            r.lines_total,
            Counts {
                tp: 0,
                fp: 0,
                fn_: 2
            }
        );
        assert_eq!(r.lines_total.f1(), 0.0);
    }
}
