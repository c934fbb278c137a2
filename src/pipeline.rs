//! One document through every stage: store (by hash) -> parse -> extract -> check -> decide,
//! with the orders, exceptions, audit entries and outbox entries recorded in one transaction.
//!
//! Why store first: the original bytes are archived before anything can fail, so a broken
//! file, a panic in a parser or a crash half-way loses nothing; on restart
//! [`Pipeline::resume`] finishes every document left in the `stored` state. Each start is
//! counted first: a document that crashed the process twice is marked `failed` ("crashed")
//! rather than retried, so one poison file cannot stop every later run.

use std::collections::{HashMap, VecDeque};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc, Mutex};

use serde::Serialize;

use crate::config::Config;
use crate::domain::{Decision, Document, Incoming, Order, SourceSpan};
use crate::extract::{Extracted, Extractor};
use crate::parse::{self, AttachmentInfo, EmailMeta, ParseError, ParsedInput, PartContent, Word};
use crate::rules::{self, CheckContext, DuplicateHit, DuplicateProbe, MasterData};
use crate::store::{DocStatus, IngestOutcome, NewOrder, Store, StoreError, StoredEmail};

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
/// Never panics: a panic inside a parser becomes a `malformed` rejection. An input with more
/// words than `limits.max_words` is rejected before the model sees it (`limit_exceeded`).
pub fn read_document(
    bytes: &[u8],
    file_name: &str,
    cfg: &Config,
    extractor: &Extractor,
) -> Result<(ParsedInput, Extracted), Rejection> {
    let result = catch_unwind(AssertUnwindSafe(|| {
        let parsed = parse::parse(bytes, file_name, &cfg.limits)?;
        let words: usize = parsed
            .parts
            .iter()
            .map(|p| match &p.content {
                // EDI is read by the standard, not by the model.
                PartContent::Parsed { doc } if doc.edi.is_none() => doc.word_count(),
                PartContent::Parsed { .. } | PartContent::Failed { .. } => 0,
            })
            .sum();
        if words > cfg.limits.max_words {
            return Err(ParseError::LimitExceeded(format!(
                "{words} words, over the {}-word limit for extraction (limits.max_words)",
                cfg.limits.max_words
            )));
        }
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

/// Starts of processing that ended in a crash before a document is quarantined.
const MAX_CRASHES: u32 = 2;

/// For the crash tests: `PO_INTAKE_TEST_ABORT_ON=<file name>` aborts the process (no unwind,
/// like a stack overflow or the OOM killer) when processing of that document starts.
fn fault_injection(file_name: &str) {
    if std::env::var_os("PO_INTAKE_TEST_ABORT_ON").is_some_and(|v| v == file_name) {
        std::process::abort();
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
        self.handle_unless_changed(store, incoming, &|| true)
    }

    /// The configuration this pipeline runs with.
    pub fn config(&self) -> &Config {
        self.cfg
    }

    /// Like [`Pipeline::handle`], for bytes read from a file that a writer may still be
    /// appending to: `unchanged` is asked after reading and before the orders are recorded,
    /// and when the file has changed since it was read the document is recorded as failed
    /// (`changed_while_read`) without orders, so a prefix never becomes an order.
    pub fn handle_unless_changed(
        &self,
        store: &mut Store,
        incoming: &Incoming,
        unchanged: &dyn Fn() -> bool,
    ) -> Result<FileOutcome, StoreError> {
        match self.prepare(store, incoming, &|_| false)? {
            Prepared::Done(outcome) => Ok(outcome),
            Prepared::Read(pending) | Prepared::InFlight(pending) => {
                self.process(store, &pending.doc, &pending.bytes, unchanged)
            }
        }
    }

    /// The store's half of taking in an input: store it (once, by hash); a document already
    /// finished is answered from the store, one still to be read comes back as
    /// [`Prepared::Read`], except one that `in_flight` says is being read right now
    /// ([`Prepared::InFlight`]: the same bytes twice in one batch).
    fn prepare(
        &self,
        store: &mut Store,
        incoming: &Incoming,
        in_flight: &dyn Fn(i64) -> bool,
    ) -> Result<Prepared, StoreError> {
        let media_type = parse::detect_kind(&incoming.bytes, &incoming.file_name)
            .map(|k| k.media_type())
            .unwrap_or("application/octet-stream");
        let pending = |doc: Document| Pending {
            doc,
            bytes: incoming.bytes.clone(),
        };
        Ok(match store.ingest(incoming, media_type, None)? {
            IngestOutcome::New(doc) => Prepared::Read(pending(doc)),
            IngestOutcome::Duplicate(doc) if in_flight(doc.id) => Prepared::InFlight(pending(doc)),
            IngestOutcome::Duplicate(doc) => match store.document_status(doc.id)? {
                // Stored but never finished: a crash happened mid-way. Finish it now.
                DocStatus::Stored => Prepared::Read(pending(doc)),
                DocStatus::Processed => Prepared::Done(FileOutcome {
                    file: incoming.file_name.clone(),
                    document_id: Some(doc.id),
                    status: FileStatus::Duplicate,
                    reason: Some(format!("already seen as document {}", doc.id)),
                    orders: self.outcomes(store, doc.id)?,
                }),
                DocStatus::Failed { code, reason } => Prepared::Done(FileOutcome {
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
        })
    }

    /// Finish every document a crash left half-done. Returns their outcomes. One at a time:
    /// a document that crashes the reader again must not take others' attempts with it.
    pub fn resume(&self, store: &mut Store) -> Result<Vec<FileOutcome>, StoreError> {
        let mut out = Vec::new();
        for doc in store.unfinished_documents()? {
            let bytes = store.read_original(&doc.sha256)?;
            out.push(self.process(store, &doc, &bytes, &|| true)?);
        }
        Ok(out)
    }

    fn process(
        &self,
        store: &mut Store,
        doc: &Document,
        bytes: &[u8],
        unchanged: &dyn Fn() -> bool,
    ) -> Result<FileOutcome, StoreError> {
        if let Some(quarantined) = self.begin(store, doc)? {
            return Ok(quarantined);
        }
        let read = self.read(doc, bytes);
        self.finish(store, doc, read, unchanged)
    }

    /// Count the start of processing, committed before parsing: if the reader takes the
    /// process down, the next run knows, and after two such crashes the document is set
    /// aside (the outcome returned) instead of taking every later run down with it.
    fn begin(&self, store: &mut Store, doc: &Document) -> Result<Option<FileOutcome>, StoreError> {
        if store.begin_attempt(doc.id)? >= MAX_CRASHES {
            return failed(store, doc, "crashed", "crashed the reader twice".into()).map(Some);
        }
        fault_injection(&doc.file_name);
        Ok(None)
    }

    /// Parse and extract, and for an email what the reviewer's page shows of it: no store
    /// needed, so it runs on any thread.
    fn read(&self, doc: &Document, bytes: &[u8]) -> ReadResult {
        // A panic while this document is read is logged with its id and name.
        let _panic_ctx =
            crate::supervise::enter(format!("document {} ({})", doc.id, doc.file_name));
        let started = std::time::Instant::now();
        let (parsed, extracted) = read_document(bytes, &doc.file_name, self.cfg, self.extractor)?;
        let read_time = started.elapsed();
        let email = email_summary(&parsed, bytes, &self.cfg.limits);
        Ok(Read {
            parsed,
            extracted,
            email,
            read_time,
        })
    }

    /// Record what reading found: the rejection, or the orders with their checks.
    fn finish(
        &self,
        store: &mut Store,
        doc: &Document,
        read: ReadResult,
        unchanged: &dyn Fn() -> bool,
    ) -> Result<FileOutcome, StoreError> {
        let _panic_ctx =
            crate::supervise::enter(format!("document {} ({})", doc.id, doc.file_name));
        let Read {
            parsed,
            extracted,
            email,
            read_time,
        } = match read {
            Ok(v) => v,
            Err(r) => return failed(store, doc, &r.code, r.reason),
        };
        if let Some(email) = &email {
            store.record_email(doc.id, email)?;
        }
        // The words the extractor saw, for the item page's page view (issue 18 item 4).
        if let Err(e) = store.cache_words(&doc.sha256, &crate::store::words_of(&parsed)) {
            tracing::warn!(document = doc.id, "keeping the page words: {e}");
        }
        if !unchanged() {
            return failed(
                store,
                doc,
                "changed_while_read",
                "the file changed while it was being read (a writer paused longer than the \
                 settle time); it is left in place and read again when complete"
                    .into(),
            );
        }
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
            return failed(store, doc, code, reason);
        }
        let sender = parsed
            .email
            .as_ref()
            .and_then(|e| e.from.clone())
            .or_else(|| doc.sender.clone());
        let mut new_orders = Vec::new();
        let single = extracted.orders.len() == 1;
        for mut order in extracted.orders {
            if single {
                // A customer's learned layout reads what it covers (issue 18).
                order = crate::learn::approve::apply(
                    store,
                    &parsed,
                    order,
                    sender.as_deref(),
                    &self.master,
                    &self.cfg.rules,
                )?;
            }
            distrust_split_po(
                &mut order,
                &parsed,
                self.cfg.rules.threshold(rules::ConfidenceField::PoNumber),
            );
            let in_store = |p: &DuplicateProbe<'_>| {
                store
                    .find_duplicate(p, None)
                    .map_err(|e| format!("store error: {e}"))
            };
            // Two orders in one file that repeat each other count as duplicates too.
            let in_batch = |p: &DuplicateProbe<'_>| {
                new_orders.iter().find_map(|n: &NewOrder| {
                    if n.check.customer_id.as_deref() != p.customer_id {
                        return None;
                    }
                    let po = n.order.po_number.as_ref().map(|f| f.value.clone());
                    if p.po_key.is_some() && po.as_deref().map(rules::po_key) == p.po_key {
                        return po.map(|po_number| DuplicateHit::SamePo { po_number });
                    }
                    (p.content_key.is_some() && rules::content_key(&n.order) == p.content_key)
                        .then_some(DuplicateHit::SameContent { po_number: po })
                })
            };
            let dup = |p: &DuplicateProbe<'_>| match in_batch(p) {
                Some(hit) => Ok(Some(hit)),
                None => in_store(p),
            };
            let ctx = CheckContext {
                sender: sender.as_deref(),
                is_duplicate: &dup,
            };
            let check = rules::check(&order, &ctx, &self.master, &self.cfg.rules);
            new_orders.push(NewOrder { order, check });
        }
        store.record_read_orders(doc.id, &new_orders, Some(read_time))?;
        Ok(FileOutcome {
            file: doc.file_name.clone(),
            document_id: Some(doc.id),
            status: FileStatus::Processed,
            reason: (!extracted.warnings.is_empty()).then(|| extracted.warnings.join("; ")),
            orders: self.outcomes(store, doc.id)?,
        })
    }

    /// Take in a batch of inputs with the documents read in parallel: this thread owns the
    /// store (storing each input first, then recording what was read, checking it against
    /// the master data), while one reader thread per model session parses and extracts up
    /// to two documents ahead per reader. Outcomes come in the order of `items`, recorded
    /// in that order, so order ids, duplicate checks and output are those of a one-by-one
    /// run.
    ///
    /// Each item is a tag and the input (`None`: nothing to read, e.g. a file refused
    /// before reading). `unchanged(tag)` is asked before the orders of an input are
    /// recorded (see [`Pipeline::handle_unless_changed`]); `done` gets every tag with its
    /// outcome (`None` for an item without input) in order. A store error stops the batch;
    /// the documents being read stay `stored` and [`Pipeline::resume`] finishes them.
    pub fn handle_batch<T>(
        &self,
        store: &mut Store,
        items: impl IntoIterator<Item = (T, Option<Incoming>)>,
        unchanged: &dyn Fn(&T) -> bool,
        done: &mut dyn FnMut(&mut Store, T, Option<FileOutcome>),
    ) -> Result<(), StoreError> {
        let readers = self.extractor.sessions().max(1);
        let lookahead = 2 * readers;
        let (job_tx, job_rx) = mpsc::channel::<(u64, Arc<Pending>)>();
        let job_rx = Mutex::new(job_rx);
        std::thread::scope(|scope| {
            let (read_tx, read_rx) = mpsc::channel::<(u64, ReadResult)>();
            for i in 0..readers {
                let (job_rx, read_tx) = (&job_rx, read_tx.clone());
                let spawned = std::thread::Builder::new()
                    .name(format!("reader-{i}"))
                    .spawn_scoped(scope, move || loop {
                        let job = match job_rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        let Ok((seq, pending)) = job else { return };
                        let read = self.read(&pending.doc, &pending.bytes);
                        if read_tx.send((seq, read)).is_err() {
                            return;
                        }
                    });
                if let Err(e) = spawned {
                    tracing::warn!("starting a reader thread: {e}; reading with fewer");
                }
            }
            drop(read_tx);
            let mut batch = Batch {
                pipeline: self,
                queue: VecDeque::new(),
                read: HashMap::new(),
                read_rx,
                job_tx,
                next_seq: 0,
            };
            for (tag, incoming) in items {
                let slot = match incoming {
                    None => Slot::Direct(None),
                    Some(incoming) => loop {
                        let in_flight = batch.in_flight();
                        match self.prepare(store, &incoming, &|id| in_flight.contains(&id))? {
                            Prepared::Done(outcome) => break Slot::Direct(Some(outcome)),
                            Prepared::InFlight(_) => {
                                // The same bytes are being read for an earlier item: let it
                                // finish, then this one is a duplicate of it.
                                while batch.complete_front(store, unchanged, done)? {}
                            }
                            Prepared::Read(pending) => match self.begin(store, &pending.doc)? {
                                Some(quarantined) => break Slot::Direct(Some(quarantined)),
                                None => break batch.submit(pending),
                            },
                        }
                    },
                };
                batch.queue.push_back((tag, slot));
                while batch.queue.len() > lookahead {
                    batch.complete_front(store, unchanged, done)?;
                }
            }
            while batch.complete_front(store, unchanged, done)? {}
            Ok(())
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

/// What the reviewer's page shows of an email (`None` for anything else): its headers, the
/// text of its body part, and its attachments in the order the download links number them.
pub fn email_summary(
    parsed: &ParsedInput,
    bytes: &[u8],
    limits: &parse::Limits,
) -> Option<StoredEmail> {
    let meta = parsed.email.as_ref()?;
    let attachments = parse::mime::email_attachments(bytes, limits)
        .unwrap_or_default()
        .into_iter()
        .map(|a| AttachmentInfo {
            size: a.bytes.len() as u64,
            name: a.name,
            media_type: a.media_type,
        })
        .collect();
    // The newest message's text, then a forward's forwarded one: the order may have been
    // read from either, and the reviewer must see the text it came from.
    let text_of = |name: &str| {
        parsed
            .parts
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| match &p.content {
                PartContent::Parsed { doc } => Some(doc.text()),
                PartContent::Failed { .. } => None,
            })
            .filter(|t| !t.trim().is_empty())
    };
    let body = match (text_of("body"), text_of("fwd/body")) {
        (Some(note), Some(fwd)) => {
            format!("{note}\n\n---------- Forwarded message ----------\n{fwd}")
        }
        (Some(one), None) | (None, Some(one)) => one,
        (None, None) => String::new(),
    };
    Some(StoredEmail {
        meta: EmailMeta {
            attachments,
            ..meta.clone()
        },
        body,
    })
}

/// Record a document as failed and say so.
fn failed(
    store: &mut Store,
    doc: &Document,
    code: &str,
    reason: String,
) -> Result<FileOutcome, StoreError> {
    store.mark_failed(doc.id, code, &reason)?;
    Ok(FileOutcome {
        file: doc.file_name.clone(),
        document_id: Some(doc.id),
        status: FileStatus::Failed,
        reason: Some(format!("{code}: {reason}")),
        orders: vec![],
    })
}

/// A stored document and its bytes, to be read.
struct Pending {
    doc: Document,
    bytes: Vec<u8>,
}

/// What [`Pipeline::prepare`] found.
enum Prepared {
    /// Nothing to read: already finished (or quarantined).
    Done(FileOutcome),
    Read(Pending),
    /// Being read for an earlier input of the same batch.
    InFlight(Pending),
}

/// A document as read.
struct Read {
    parsed: ParsedInput,
    extracted: Extracted,
    email: Option<StoredEmail>,
    /// Parse + extraction, on the reader thread (not the wait for it).
    read_time: std::time::Duration,
}

type ReadResult = Result<Read, Rejection>;

/// Where an item of a batch is.
enum Slot {
    Direct(Option<FileOutcome>),
    Reading { seq: u64, pending: Arc<Pending> },
}

/// The store thread's side of [`Pipeline::handle_batch`].
struct Batch<'p, 'a, T> {
    pipeline: &'p Pipeline<'a>,
    queue: VecDeque<(T, Slot)>,
    /// Read results that came in ahead of their turn.
    read: HashMap<u64, ReadResult>,
    read_rx: mpsc::Receiver<(u64, ReadResult)>,
    job_tx: mpsc::Sender<(u64, Arc<Pending>)>,
    next_seq: u64,
}

impl<T> Batch<'_, '_, T> {
    fn in_flight(&self) -> Vec<i64> {
        self.queue
            .iter()
            .filter_map(|(_, s)| match s {
                Slot::Reading { pending, .. } => Some(pending.doc.id),
                Slot::Direct(_) => None,
            })
            .collect()
    }

    /// Hand a document to the readers (read on this thread when none is left).
    fn submit(&mut self, pending: Pending) -> Slot {
        let seq = self.next_seq;
        self.next_seq += 1;
        let pending = Arc::new(pending);
        if self.job_tx.send((seq, pending.clone())).is_err() {
            let read = self.pipeline.read(&pending.doc, &pending.bytes);
            self.read.insert(seq, read);
        }
        Slot::Reading { seq, pending }
    }

    /// Finish the oldest item (waiting for its read). False when the queue is empty.
    fn complete_front(
        &mut self,
        store: &mut Store,
        unchanged: &dyn Fn(&T) -> bool,
        done: &mut dyn FnMut(&mut Store, T, Option<FileOutcome>),
    ) -> Result<bool, StoreError> {
        let Some((tag, slot)) = self.queue.pop_front() else {
            return Ok(false);
        };
        let outcome = match slot {
            Slot::Direct(outcome) => outcome,
            Slot::Reading { seq, pending } => {
                let read = loop {
                    if let Some(r) = self.read.remove(&seq) {
                        break r;
                    }
                    match self.read_rx.recv() {
                        Ok((s, r)) => {
                            self.read.insert(s, r);
                        }
                        // No reader left (none could be started): read it here.
                        Err(_) => break self.pipeline.read(&pending.doc, &pending.bytes),
                    }
                };
                Some(
                    self.pipeline
                        .finish(store, &pending.doc, read, &|| unchanged(&tag))?,
                )
            }
        };
        done(store, tag, outcome);
        Ok(true)
    }
}

/// A PO number read from part of a spaced group ("900" out of "PO# 900 001") is not trusted:
/// its confidence is lowered below `threshold` so the order goes to review with
/// `low_confidence` instead of being accepted (or missing a duplicate) under a wrong number.
/// A group is a run of digit-only words on the same printed line, a space apart.
fn distrust_split_po(order: &mut Order, parsed: &ParsedInput, threshold: f32) {
    let Some(po) = order.po_number.as_mut() else {
        return;
    };
    let Some(span) = po.source.as_ref() else {
        return;
    };
    let value_key = rules::po_key(&po.value);
    // The span itself may hold more of the number than the value kept.
    let span_digits: String = span
        .text
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let mut split = span_digits.len() > value_key.len()
        && span.text.split_whitespace().count() > 1
        && span_digits.to_uppercase().contains(&value_key);
    if !split {
        split = neighbour_digit_group(parsed, span);
    }
    if split && po.confidence >= threshold {
        po.confidence = (threshold - 0.01).max(0.0);
    }
}

/// Does a digit-only word sit right before or after the span's words on the same line?
fn neighbour_digit_group(parsed: &ParsedInput, span: &SourceSpan) -> bool {
    let words = match parsed.parts.get(span.part as usize).map(|p| &p.content) {
        Some(PartContent::Parsed { doc }) => {
            match doc.pages.iter().find(|p| p.number == span.page) {
                Some(page) => &page.words,
                None => return false,
            }
        }
        _ => return false,
    };
    let [x0, y0, x1, y1] = span.bbox;
    let inside = |w: &Word| {
        let (cx, cy) = ((w.bbox.x0 + w.bbox.x1) / 2.0, (w.bbox.y0 + w.bbox.y1) / 2.0);
        cx >= x0 && cx <= x1 && cy >= y0 && cy <= y1
    };
    let digits = |w: &Word| !w.text.is_empty() && w.text.chars().all(|c| c.is_ascii_digit());
    let Some(first) = words.iter().position(inside) else {
        return false;
    };
    let last = words.iter().rposition(inside).unwrap_or(first);
    let (Some(a), Some(b)) = (words.get(first), words.get(last)) else {
        return false;
    };
    if !digits(a) && !digits(b) {
        return false;
    }
    let near = |left: &Word, right: &Word| {
        left.line == right.line
            && right.bbox.x0 >= left.bbox.x1 - 0.5
            && right.bbox.x0 - left.bbox.x1 <= left.font_size.max(right.font_size) * 1.2
    };
    let before = first
        .checked_sub(1)
        .and_then(|i| words.get(i))
        .is_some_and(|w| digits(w) && digits(a) && near(w, a));
    let after = words
        .get(last + 1)
        .is_some_and(|w| digits(w) && digits(b) && near(b, w));
    before || after
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Field;
    use crate::parse::Limits;

    /// The PO field as the extractor would give it: `value` read from the word `word`.
    fn po_from(parsed: &ParsedInput, word: &str, value: &str) -> Order {
        let Some(PartContent::Parsed { doc }) = parsed.parts.first().map(|p| &p.content) else {
            panic!("not parsed")
        };
        let w = doc.pages[0]
            .words
            .iter()
            .find(|w| w.text == word)
            .expect("word");
        let span = SourceSpan {
            part: 0,
            page: 1,
            bbox: [w.bbox.x0, w.bbox.y0, w.bbox.x1, w.bbox.y1],
            text: w.text.clone(),
        };
        Order {
            po_number: Some(Field::new(value.to_string(), 0.99, Some(span))),
            ..Order::default()
        }
    }

    #[test]
    fn a_po_number_read_from_part_of_a_spaced_group_is_not_trusted() {
        let text = b"Purchase Order\nPO# 900 001\nDate 2026-01-05\n";
        let parsed = parse::parse(text, "po.txt", &Limits::default()).expect("parse");
        for (word, value) in [("900", "900"), ("001", "001")] {
            let mut order = po_from(&parsed, word, value);
            distrust_split_po(&mut order, &parsed, 0.8);
            let conf = order.po_number.map(|f| f.confidence).unwrap_or(1.0);
            assert!(conf < 0.8, "{value}: {conf}");
        }
        let whole = b"Purchase Order\nPO# 900001 Date 2026-01-05\n";
        let parsed = parse::parse(whole, "po.txt", &Limits::default()).expect("parse");
        let mut order = po_from(&parsed, "900001", "900001");
        distrust_split_po(&mut order, &parsed, 0.8);
        assert_eq!(order.po_number.map(|f| f.confidence), Some(0.99));
    }

    #[test]
    fn the_reviewer_sees_a_forwards_note_and_the_forwarded_order() {
        let mail = b"From: Buyer <b@example.com>\r\nTo: orders@example.com\r\nSubject: Fwd: PO 4711\r\nMessage-ID: <f1@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease handle this one.\r\n\r\n---------- Forwarded message ---------\r\nFrom: Plant <p@example.com>\r\nSubject: PO 4711\r\n\r\nPlease send 10 x AB-100 widgets.\r\n";
        let limits = Limits::default();
        let parsed = parse::parse(mail, "fwd.eml", &limits).expect("parse");
        // The forwarded message is a part of its own, apart from the note.
        assert!(parsed.parts.iter().any(|p| p.name == "fwd/body"));
        let shown = email_summary(&parsed, mail, &limits)
            .expect("an email")
            .body;
        assert!(shown.contains("Please handle this one."), "{shown}");
        assert!(shown.contains("10 x AB-100"), "{shown}");
    }
}
