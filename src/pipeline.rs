//! One document through every stage: store (by hash) -> parse -> extract -> check -> decide,
//! with the orders, exceptions, audit entries and outbox entries recorded in one transaction.
//!
//! Why store first: the original bytes are archived before anything can fail, so a broken
//! file, a panic in a parser or a crash half-way loses nothing; on restart
//! [`Pipeline::resume`] finishes every document left in the `stored` state.

use std::panic::{catch_unwind, AssertUnwindSafe};

use serde::Serialize;

use crate::config::Config;
use crate::domain::{Decision, Document, Incoming};
use crate::extract::{Extracted, Extractor};
use crate::parse::{self, ParseError, ParsedInput};
use crate::rules::{self, CheckContext, MasterData};
use crate::store::{DocStatus, IngestOutcome, NewOrder, Store, StoreError};

/// What happened to one input file; the `ingest --json` line.
#[derive(Debug, Clone, Serialize)]
pub struct FileOutcome {
    pub file: String,
    pub document_id: Option<i64>,
    pub status: FileStatus,
    pub reason: Option<String>,
    pub orders: Vec<OrderOutcome>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileStatus {
    Processed,
    Duplicate,
    Failed,
}

#[derive(Debug, Clone, Serialize)]
pub struct OrderOutcome {
    pub order_id: i64,
    pub po_number: Option<String>,
    pub customer_id: Option<String>,
    pub decision: String,
    pub exceptions: Vec<String>,
}

/// Why a document was rejected, as recorded.
#[derive(Debug, Clone)]
pub struct Rejection {
    pub code: String,
    pub reason: String,
}

/// Parse and extract one input without a store (the `extract` command uses this too).
/// Never panics: a panic inside a parser becomes a `malformed` rejection.
pub fn read_document(
    bytes: &[u8],
    file_name: &str,
    cfg: &Config,
    extractor: &Extractor,
) -> Result<(ParsedInput, Extracted), Rejection> {
    let result = catch_unwind(AssertUnwindSafe(|| {
        let parsed = parse::parse(bytes, file_name, &cfg.limits)?;
        let extracted = extractor.extract(&parsed);
        Ok::<_, ParseError>((parsed, extracted))
    }));
    match result {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(Rejection {
            code: e.code().to_string(),
            reason: e.to_string(),
        }),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            Err(Rejection {
                code: "malformed".into(),
                reason: format!("the reader crashed on this file: {msg}"),
            })
        }
    }
}

/// The processing pipeline, holding what is loaded once per run (extractor, master data).
pub struct Pipeline<'a> {
    cfg: &'a Config,
    extractor: &'a Extractor,
    master: MasterData,
}

impl<'a> Pipeline<'a> {
    pub fn new(
        store: &Store,
        cfg: &'a Config,
        extractor: &'a Extractor,
    ) -> Result<Self, StoreError> {
        Ok(Pipeline {
            cfg,
            extractor,
            master: store.load_master()?,
        })
    }

    /// Reload master data (after a catalog import or a learned cross-reference).
    pub fn reload_master(&mut self, store: &Store) -> Result<(), StoreError> {
        self.master = store.load_master()?;
        Ok(())
    }

    /// Store `incoming` (once, by hash) and process it. Store errors are returned; every
    /// problem with the input itself ends as a recorded `Failed` outcome.
    pub fn handle(
        &self,
        store: &mut Store,
        incoming: &Incoming,
    ) -> Result<FileOutcome, StoreError> {
        let media_type = parse::detect_kind(&incoming.bytes, &incoming.file_name)
            .map(|k| k.media_type())
            .unwrap_or("application/octet-stream");
        match store.ingest(incoming, media_type, None)? {
            IngestOutcome::New(doc) => self.process(store, &doc, &incoming.bytes),
            IngestOutcome::Duplicate(doc) => match store.document_status(doc.id)? {
                // Stored but never finished: a crash happened mid-way. Finish it now.
                DocStatus::Stored => self.process(store, &doc, &incoming.bytes),
                DocStatus::Processed => Ok(FileOutcome {
                    file: incoming.file_name.clone(),
                    document_id: Some(doc.id),
                    status: FileStatus::Duplicate,
                    reason: Some(format!("already seen as document {}", doc.id)),
                    orders: self.outcomes(store, doc.id)?,
                }),
                DocStatus::Failed { code, reason } => Ok(FileOutcome {
                    file: incoming.file_name.clone(),
                    document_id: Some(doc.id),
                    status: FileStatus::Duplicate,
                    reason: Some(format!(
                        "already seen as document {} (failed: {code}: {reason})",
                        doc.id
                    )),
                    orders: vec![],
                }),
            },
        }
    }

    /// Finish every document a crash left half-done. Returns their outcomes.
    pub fn resume(&self, store: &mut Store) -> Result<Vec<FileOutcome>, StoreError> {
        let mut out = Vec::new();
        for doc in store.unfinished_documents()? {
            let bytes = store.read_original(&doc.sha256)?;
            out.push(self.process(store, &doc, &bytes)?);
        }
        Ok(out)
    }

    fn process(
        &self,
        store: &mut Store,
        doc: &Document,
        bytes: &[u8],
    ) -> Result<FileOutcome, StoreError> {
        let failed =
            |store: &mut Store, code: &str, reason: String| -> Result<FileOutcome, StoreError> {
                store.mark_failed(doc.id, code, &reason)?;
                Ok(FileOutcome {
                    file: doc.file_name.clone(),
                    document_id: Some(doc.id),
                    status: FileStatus::Failed,
                    reason: Some(format!("{code}: {reason}")),
                    orders: vec![],
                })
            };
        let (parsed, extracted) =
            match read_document(bytes, &doc.file_name, self.cfg, self.extractor) {
                Ok(v) => v,
                Err(r) => return failed(store, &r.code, r.reason),
            };
        if extracted.orders.is_empty() {
            let (code, reason) = if extracted.unreadable && !extracted.warnings.is_empty() {
                let code = if extracted
                    .warnings
                    .iter()
                    .any(|w| w.contains("no_text_layer"))
                {
                    "no_text_layer"
                } else {
                    "unreadable"
                };
                (code, extracted.warnings.join("; "))
            } else {
                (
                    "no_order",
                    "no purchase order was found in the document".to_string(),
                )
            };
            return failed(store, code, reason);
        }
        let sender = parsed
            .email
            .as_ref()
            .and_then(|e| e.from.clone())
            .or_else(|| doc.sender.clone());
        let mut new_orders = Vec::new();
        for order in extracted.orders {
            let is_dup =
                |customer: &str, po: &str| store.po_exists(customer, po, None).unwrap_or(false);
            // Two orders in one file with the same PO number count as duplicates too.
            let in_batch = |customer: &str, po: &str| {
                new_orders.iter().any(|n: &NewOrder| {
                    n.check.customer_id.as_deref() == Some(customer)
                        && n.order.po_number.as_ref().map(|f| f.value.as_str()) == Some(po)
                })
            };
            let dup = |c: &str, p: &str| is_dup(c, p) || in_batch(c, p);
            let ctx = CheckContext {
                sender: sender.as_deref(),
                is_duplicate: &dup,
            };
            let check = rules::check(&order, &ctx, &self.master, &self.cfg.rules);
            new_orders.push(NewOrder { order, check });
        }
        store.record_orders(doc.id, &new_orders)?;
        Ok(FileOutcome {
            file: doc.file_name.clone(),
            document_id: Some(doc.id),
            status: FileStatus::Processed,
            reason: (!extracted.warnings.is_empty()).then(|| extracted.warnings.join("; ")),
            orders: self.outcomes(store, doc.id)?,
        })
    }

    fn outcomes(&self, store: &Store, document_id: i64) -> Result<Vec<OrderOutcome>, StoreError> {
        Ok(store
            .orders_for_document(document_id)?
            .into_iter()
            .map(|o| OrderOutcome {
                order_id: o.id,
                po_number: o.po_number.clone(),
                customer_id: o.customer_id.clone(),
                decision: match o.check.decision() {
                    Decision::Accept => "accept".into(),
                    d => d.as_str().into(),
                },
                exceptions: o
                    .check
                    .exceptions
                    .iter()
                    .map(|e| e.code.as_str().to_string())
                    .collect(),
            })
            .collect())
    }
}
