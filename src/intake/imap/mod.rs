//! IMAP mailboxes: every message that arrives in a watched folder is stored (raw RFC 822
//! bytes, by hash and Message-ID), processed, and then moved to the processed or failed
//! folder (or copied and flagged where moving is not allowed). Messages are never deleted.
//!
//! How it stays cheap, lossless and duplicate-free:
//! - The store keeps, per mailbox, the UIDVALIDITY and the highest UID finished
//!   (`intake_cursors`), and a row per message (`mailbox_messages`). Only UIDs above the
//!   cursor are searched; they are fetched in chunks (compact UID sets, so no command line
//!   grows past server limits): first the envelope and size, then the bodies that are needed.
//! - A message's row is written *after* its bytes are stored and *before* it is moved; the
//!   cursor advances only after the move. A crash in between leaves the message in the folder
//!   with a `pending_move` row (or a document with its Message-ID): the restart recognises it
//!   and only completes the move. A changed UIDVALIDITY rescans the folder relying on that
//!   recognition (Message-ID, then the content hash).
//! - IDLE hears new mail at once; it is re-issued every `poll_interval` (at most
//!   `idle_renew`, below the 29-minute server timeout), and a poll replaces it on servers
//!   without IDLE.
//! - Faults (connection drops, auth failures, server restarts, a vanished folder) end the
//!   session; the mailbox reconnects with exponential backoff and jitter, recording the error
//!   for `po-intake status`. Each mailbox is its own task, so the others keep running.
//!
//! rusqlite and the pipeline are synchronous: they run on one store thread ([`StoreThread`])
//! that the async mailbox tasks send closures to.

pub mod conn;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use chrono::Utc;
use futures::TryStreamExt;

use crate::config::{Config, DoneAction, Mailbox};
use crate::domain::{Incoming, SourceKind};
use crate::extract::{ExtractError, Extractor};
use crate::pipeline::{FileOutcome, FileStatus, Pipeline};
use crate::store::{DocStatus, MailboxCursor, MailboxMessage, Store, StoreError};

use conn::Session;

/// The keyword set on a message that was copied (not moved) to its target folder.
pub const DONE_KEYWORD: &str = "$POIntakeDone";

/// Timeout for one IMAP command (a fetch of a chunk of bodies included).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// Bodies fetched in one command are capped at about this many bytes (by RFC822.SIZE).
const BODY_BATCH_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("TLS: {0}")]
    Tls(String),
    #[error("login as {user} failed (wrong password or token?): {detail}")]
    Auth { user: String, detail: String },
    #[error("credentials: {0}")]
    Credentials(String),
    #[error("folder {folder}: {detail}")]
    Folder { folder: String, detail: String },
    #[error("IMAP: {0}")]
    Protocol(#[from] async_imap::error::Error),
    #[error("timed out during {0}")]
    Timeout(&'static str),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("loading the extractor: {0}")]
    Extract(#[from] ExtractError),
    #[error("the store thread has stopped")]
    StoreThreadGone,
}

impl ImapError {
    /// Auth and credential problems will not fix themselves quickly: back off longer.
    pub fn is_auth(&self) -> bool {
        matches!(self, ImapError::Auth { .. } | ImapError::Credentials(_))
    }
}

/// What a mailbox task reports while it runs.
#[derive(Debug, Clone)]
pub enum MailEvent {
    Connected {
        mailbox: String,
    },
    /// A message was stored and processed (or recognised) and moved.
    Message {
        mailbox: String,
        uid: u32,
        target: Option<String>,
        outcome: Option<FileOutcome>,
        note: Option<String>,
    },
    Disconnected {
        mailbox: String,
        error: String,
        retry_in: Duration,
    },
    UidValidityChanged {
        mailbox: String,
        old: u32,
        new: u32,
    },
}

// ---------------------------------------------------------------------------------------
// The store thread

/// What a closure on the store thread sees.
pub struct StoreCtx<'a> {
    pub store: &'a mut Store,
    pub pipeline: &'a Pipeline<'a>,
    pub cfg: &'a Config,
}

type Job = Box<dyn for<'a> FnOnce(&mut StoreCtx<'a>) + Send>;

/// A handle to the one thread that owns the store and the pipeline.
#[derive(Clone)]
pub struct StoreThread {
    tx: mpsc::Sender<Job>,
}

impl StoreThread {
    /// Open the store and load the extractor on a new thread.
    pub fn spawn(cfg: Config) -> Result<StoreThread, ImapError> {
        StoreThread::spawn_with(cfg, None)
    }

    /// Like [`StoreThread::spawn`], with an extractor already loaded (shared with the drop
    /// folders of the same process).
    pub fn spawn_with(
        cfg: Config,
        extractor: Option<Arc<Extractor>>,
    ) -> Result<StoreThread, ImapError> {
        let (tx, rx) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = mpsc::channel::<Result<(), ImapError>>();
        std::thread::Builder::new()
            .name("imap-store".into())
            .spawn(move || {
                let setup = || -> Result<(Store, Arc<Extractor>), ImapError> {
                    let store = Store::open(&cfg.data_dir)?;
                    let extractor = match extractor {
                        Some(e) => e,
                        None => Arc::new(Extractor::from_config(&cfg.extract)?),
                    };
                    Ok((store, extractor))
                };
                let (mut store, extractor) = match setup() {
                    Ok(v) => v,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let pipeline = match Pipeline::new(&store, &cfg, &extractor) {
                    Ok(p) => p,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.into()));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(()));
                while let Ok(job) = rx.recv() {
                    let mut ctx = StoreCtx {
                        store: &mut store,
                        pipeline: &pipeline,
                        cfg: &cfg,
                    };
                    job(&mut ctx);
                }
            })?;
        ready_rx.recv().map_err(|_| ImapError::StoreThreadGone)??;
        Ok(StoreThread { tx })
    }

    /// Run `f` on the store thread and wait for its result.
    pub async fn call<R: Send + 'static>(
        &self,
        f: impl for<'a> FnOnce(&mut StoreCtx<'a>) -> R + Send + 'static,
    ) -> Result<R, ImapError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.tx
            .send(Box::new(move |ctx| {
                let _ = tx.send(f(ctx));
            }))
            .map_err(|_| ImapError::StoreThreadGone)?;
        rx.await.map_err(|_| ImapError::StoreThreadGone)
    }
}

// ---------------------------------------------------------------------------------------
// Small pure helpers

/// A compact UID set (`1:5,7,9:12`) for ascending `uids`.
pub fn uid_set(uids: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < uids.len() {
        let start = uids[i];
        let mut end = start;
        while i + 1 < uids.len() && uids[i + 1] == end.saturating_add(1) {
            i += 1;
            end = uids[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

/// Whether `from` (an address) passes the allow-list (empty: everyone).
pub fn sender_allowed(allowed: &[String], from: Option<&str>) -> bool {
    if allowed.is_empty() {
        return true;
    }
    let Some(from) = from.map(|f| f.trim().to_ascii_lowercase()) else {
        return false;
    };
    allowed.iter().any(|a| {
        if a.starts_with('@') {
            from.ends_with(a.as_str())
        } else {
            *a == from
        }
    })
}

/// Exponential backoff with jitter: `base * 2^attempt`, capped, times a random 0.5..1.0.
pub fn backoff(attempt: u32, base: Duration, cap: Duration) -> Duration {
    let d = crate::backoff::exponential(attempt, base, cap);
    crate::backoff::jitter(d, 0.5, rand::random::<f64>())
}

fn utf8(b: Option<&[u8]>) -> Option<String> {
    b.map(|b| String::from_utf8_lossy(b).trim().to_string())
        .filter(|s| !s.is_empty())
}

// ---------------------------------------------------------------------------------------
// One mailbox

/// What the envelope fetch told us about one message.
#[derive(Debug, Clone)]
struct Meta {
    uid: u32,
    size: u64,
    message_id: Option<String>,
    from: Option<String>,
    received: Option<chrono::DateTime<Utc>>,
}

/// What to do with one message, decided before its body is fetched.
#[derive(Debug)]
enum Plan {
    /// Already stored: only move it to `target`.
    MoveOnly {
        target: String,
        known: Box<MailboxMessage>,
        note: String,
    },
    Download,
    /// Leave it where it is; it is recorded.
    Skip,
    /// Nothing to do (a `done` row for this very UID).
    Nothing,
}

async fn cmd<T, E>(
    what: &'static str,
    fut: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, ImapError>
where
    ImapError: From<E>,
{
    match tokio::time::timeout(COMMAND_TIMEOUT, fut).await {
        Ok(r) => Ok(r?),
        Err(_) => Err(ImapError::Timeout(what)),
    }
}

/// A running mailbox: configuration, the store thread, and where events go.
pub struct MailboxTask {
    pub mb: Mailbox,
    pub db: StoreThread,
    pub stop: Arc<AtomicBool>,
    pub events: Arc<dyn Fn(MailEvent) + Send + Sync>,
}

impl MailboxTask {
    fn emit(&self, e: MailEvent) {
        (self.events)(e);
    }

    /// Run until `stop` is set: connect, sync, idle; on any error reconnect with backoff.
    pub async fn run(self) {
        let mut attempt: u32 = 0;
        while !self.stop.load(Ordering::Relaxed) {
            let err = match self.session().await {
                Ok(()) => break,
                Err((e, synced)) => {
                    if synced {
                        attempt = 0;
                    }
                    e
                }
            };
            let base = if err.is_auth() {
                Duration::from_secs(30)
            } else {
                Duration::from_secs(1)
            };
            let wait = backoff(attempt, base, self.mb.max_backoff);
            attempt = attempt.saturating_add(1);
            let text = err.to_string();
            tracing::warn!(mailbox = %self.mb.name, "{text}; reconnecting in {wait:.1?}");
            let name = self.mb.name.clone();
            let t2 = text.clone();
            let _ = self
                .db
                .call(move |c| c.store.set_mailbox_health(&name, false, false, Some(&t2)))
                .await;
            self.emit(MailEvent::Disconnected {
                mailbox: self.mb.name.clone(),
                error: text,
                retry_in: wait,
            });
            sleep_unless_stopped(wait, &self.stop).await;
        }
    }

    /// One connection's life. Err carries whether at least one sync completed.
    async fn session(&self) -> Result<(), (ImapError, bool)> {
        let mut synced = false;
        let session = conn::connect(&self.mb).await.map_err(|e| (e, false))?;
        let r = self.connected(session, &mut synced).await;
        match r {
            Ok(mut session) => {
                let _ = tokio::time::timeout(Duration::from_secs(5), session.logout()).await;
                Ok(())
            }
            Err(e) => Err((e, synced)),
        }
    }

    async fn connected(&self, mut s: Session, synced: &mut bool) -> Result<Session, ImapError> {
        let session = &mut s;
        let caps = cmd("CAPABILITY", session.capabilities()).await?;
        let has_idle = caps.has_str("IDLE");
        let has_move = caps.has_str("MOVE");
        let action = if self.mb.on_done == DoneAction::Move && !has_move {
            tracing::warn!(mailbox = %self.mb.name, "the server lacks MOVE: copying and flagging instead");
            DoneAction::CopyFlag
        } else {
            self.mb.on_done
        };
        for f in [&self.mb.processed_folder, &self.mb.failed_folder] {
            ensure_folder(session, f).await?;
        }
        let name = self.mb.name.clone();
        self.db
            .call(move |c| c.store.set_mailbox_health(&name, true, false, None))
            .await??;
        self.emit(MailEvent::Connected {
            mailbox: self.mb.name.clone(),
        });
        loop {
            // Sync until a pass finds nothing new (mail may arrive during a sync).
            loop {
                let n = self.sync(&mut s, action).await?;
                *synced = true;
                let news = drain_news(&s);
                if n == 0 && !news {
                    break;
                }
            }
            let name = self.mb.name.clone();
            self.db
                .call(move |c| c.store.set_mailbox_health(&name, true, true, None))
                .await??;
            if self.stop.load(Ordering::Relaxed) {
                return Ok(s);
            }
            let wait = self.mb.poll_interval.min(self.mb.idle_renew);
            if has_idle && self.mb.idle {
                s = self.idle(s, wait).await?;
            } else {
                sleep_unless_stopped(self.mb.poll_interval, &self.stop).await;
                cmd("NOOP", s.noop()).await?;
            }
        }
    }

    /// IDLE until the server reports something, `wait` passes, or stop is set.
    async fn idle(&self, s: Session, wait: Duration) -> Result<Session, ImapError> {
        let rx = s.unsolicited_responses.clone();
        let mut handle = s.idle();
        cmd("IDLE", handle.init()).await?;
        // Anything the server said while IDLE started went to the unsolicited channel.
        let mut pending = false;
        while let Ok(r) = rx.try_recv() {
            pending |= is_news(&r);
        }
        if !pending {
            let (fut, interrupt) = handle.wait_with_timeout(wait);
            tokio::pin!(fut);
            let stop = &self.stop;
            let res = tokio::select! {
                r = &mut fut => Some(r),
                _ = wait_for_stop(stop) => None,
            };
            drop(interrupt);
            if let Some(r) = res {
                r?;
            }
        }
        cmd("DONE", handle.done()).await
    }

    /// Handle everything above the cursor. Returns how many messages were looked at.
    async fn sync(&self, s: &mut Session, action: DoneAction) -> Result<usize, ImapError> {
        let mbox = cmd("SELECT", s.select(&self.mb.folder))
            .await
            .map_err(|e| match e {
                ImapError::Protocol(async_imap::error::Error::No(d)) => ImapError::Folder {
                    folder: self.mb.folder.clone(),
                    detail: d,
                },
                e => e,
            })?;
        let uv = mbox.uid_validity.ok_or_else(|| ImapError::Folder {
            folder: self.mb.folder.clone(),
            detail: "the server sent no UIDVALIDITY".into(),
        })?;
        let name = self.mb.name.clone();
        let cursor = self
            .db
            .call(move |c| c.store.mailbox_cursor(&name))
            .await??;
        let last = match cursor {
            Some(c) if c.uid_validity == uv => c.last_uid,
            Some(c) => {
                tracing::warn!(mailbox = %self.mb.name, old = c.uid_validity, new = uv,
                    "UIDVALIDITY changed: rescanning the folder; known messages are recognised by Message-ID or hash and only moved");
                self.emit(MailEvent::UidValidityChanged {
                    mailbox: self.mb.name.clone(),
                    old: c.uid_validity,
                    new: uv,
                });
                let name = self.mb.name.clone();
                self.db
                    .call(move |c| {
                        c.store.set_mailbox_cursor(
                            &name,
                            MailboxCursor {
                                uid_validity: uv,
                                last_uid: 0,
                            },
                        )
                    })
                    .await??;
                0
            }
            None => 0,
        };
        let mut query = format!("UID {}:*", last.saturating_add(1));
        if action == DoneAction::CopyFlag {
            query.push_str(&format!(" UNKEYWORD {DONE_KEYWORD}"));
        }
        let found = cmd("UID SEARCH", s.uid_search(&query)).await?;
        // `n:*` always matches the highest UID, even below n.
        let mut uids: Vec<u32> = found.into_iter().filter(|u| *u > last).collect();
        uids.sort_unstable();
        for chunk in uids.chunks(self.mb.fetch_chunk) {
            self.chunk(s, action, uv, chunk).await?;
        }
        Ok(uids.len())
    }

    async fn chunk(
        &self,
        s: &mut Session,
        action: DoneAction,
        uv: u32,
        chunk: &[u32],
    ) -> Result<(), ImapError> {
        let metas = fetch_meta(s, chunk).await?;
        // Decide per message (on the store thread, one call for the chunk).
        let name = self.mb.name.clone();
        let allowed = self.mb.allowed_senders.clone();
        let processed = self.mb.processed_folder.clone();
        let failed = self.mb.failed_folder.clone();
        let metas_c: Vec<Meta> = metas.values().cloned().collect();
        let plans: Vec<(u32, Plan)> = self
            .db
            .call(move |c| -> Result<Vec<(u32, Plan)>, StoreError> {
                let mut out = Vec::new();
                for m in metas_c {
                    out.push((
                        m.uid,
                        plan(c, &name, uv, &m, &allowed, &processed, &failed)?,
                    ));
                }
                Ok(out)
            })
            .await??;
        let mut targets: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        let mut download = Vec::new();
        for (uid, p) in plans {
            match p {
                Plan::MoveOnly {
                    target,
                    known,
                    note,
                } => {
                    self.db
                        .call(move |c| c.store.record_mailbox_message(&known))
                        .await??;
                    self.emit(MailEvent::Message {
                        mailbox: self.mb.name.clone(),
                        uid,
                        target: Some(target.clone()),
                        outcome: None,
                        note: Some(note),
                    });
                    targets.entry(target).or_default().push(uid);
                }
                Plan::Download => download.push(uid),
                Plan::Skip => self.emit(MailEvent::Message {
                    mailbox: self.mb.name.clone(),
                    uid,
                    target: None,
                    outcome: None,
                    note: Some("sender not in allowed_senders: left in place".into()),
                }),
                Plan::Nothing => {}
            }
        }
        // Bodies, in batches bounded by size.
        let mut batch: Vec<u32> = Vec::new();
        let mut bytes: u64 = 0;
        let mut batches = Vec::new();
        for uid in download {
            let size = metas.get(&uid).map(|m| m.size).unwrap_or(0);
            if !batch.is_empty() && bytes + size > BODY_BATCH_BYTES {
                batches.push(std::mem::take(&mut batch));
                bytes = 0;
            }
            bytes += size;
            batch.push(uid);
        }
        if !batch.is_empty() {
            batches.push(batch);
        }
        for b in batches {
            let set = uid_set(&b);
            let fetched: Vec<(u32, Vec<u8>)> = {
                let stream = cmd("UID FETCH BODY", s.uid_fetch(&set, "(UID BODY.PEEK[])")).await?;
                let all: Vec<_> = cmd("UID FETCH BODY", stream.try_collect::<Vec<_>>()).await?;
                all.iter()
                    .filter_map(|f| Some((f.uid?, f.body()?.to_vec())))
                    .collect()
            };
            let mut got: HashMap<u32, Vec<u8>> = fetched.into_iter().collect();
            for uid in b {
                let meta = metas.get(&uid).cloned();
                let body = got.remove(&uid);
                let target = self.store_one(uv, uid, meta, body).await?;
                if let Some(t) = target {
                    targets.entry(t).or_default().push(uid);
                }
            }
        }
        // Move (or copy + flag), then mark done and advance the cursor.
        let mut moved = Vec::new();
        for (target, uids) in &targets {
            let set = uid_set(uids);
            match action {
                DoneAction::Move => cmd("UID MOVE", s.uid_mv(&set, target)).await?,
                DoneAction::CopyFlag => {
                    cmd("UID COPY", s.uid_copy(&set, target)).await?;
                    let st = cmd(
                        "UID STORE",
                        s.uid_store(&set, format!("+FLAGS.SILENT ({DONE_KEYWORD})")),
                    )
                    .await?;
                    let _: Vec<_> = cmd("UID STORE", st.try_collect::<Vec<_>>()).await?;
                }
            }
            moved.extend_from_slice(uids);
        }
        let name = self.mb.name.clone();
        let max = chunk.iter().copied().max().unwrap_or(0);
        self.db
            .call(move |c| {
                c.store.finish_mailbox_messages(
                    &name,
                    uv,
                    &moved,
                    MailboxCursor {
                        uid_validity: uv,
                        last_uid: max,
                    },
                )
            })
            .await??;
        Ok(())
    }

    /// Store and process one downloaded message; record it. Returns the folder to move it to.
    async fn store_one(
        &self,
        uv: u32,
        uid: u32,
        meta: Option<Meta>,
        body: Option<Vec<u8>>,
    ) -> Result<Option<String>, ImapError> {
        let mb = self.mb.clone();
        let message_id = meta.as_ref().and_then(|m| m.message_id.clone());
        let Some(bytes) = body else {
            // Expunged by someone else between the search and the fetch.
            let rec = MailboxMessage {
                mailbox: mb.name.clone(),
                uid_validity: uv,
                uid,
                message_id,
                document_id: None,
                status: "skipped".into(),
                outcome: "vanished".into(),
                target: None,
                error: Some("the server returned no body (expunged meanwhile?)".into()),
            };
            self.db
                .call(move |c| c.store.record_mailbox_message(&rec))
                .await??;
            return Ok(None);
        };
        let (outcome, target) = self
            .db
            .call(move |c| -> Result<(FileOutcome, String), StoreError> {
                let incoming = Incoming {
                    source: SourceKind::Imap,
                    origin: mb.name.clone(),
                    file_name: format!("{}-{uv}-{uid}.eml", mb.folder),
                    sender: meta.as_ref().and_then(|m| m.from.clone()),
                    received_at: meta
                        .as_ref()
                        .and_then(|m| m.received)
                        .unwrap_or_else(Utc::now),
                    bytes,
                };
                // Store with the Message-ID first, then let the pipeline process it.
                c.store
                    .ingest(&incoming, "message/rfc822", message_id.as_deref())?;
                let outcome = c.pipeline.handle(c.store, &incoming)?;
                let doc_id = outcome.document_id;
                let failed = match doc_id {
                    Some(id) => matches!(c.store.document_status(id)?, DocStatus::Failed { .. }),
                    None => outcome.status == FileStatus::Failed,
                };
                let target = if failed {
                    &mb.failed_folder
                } else {
                    &mb.processed_folder
                };
                let rec = MailboxMessage {
                    mailbox: mb.name.clone(),
                    uid_validity: uv,
                    uid,
                    message_id,
                    document_id: doc_id,
                    status: "pending_move".into(),
                    outcome: match outcome.status {
                        FileStatus::Processed => "processed",
                        FileStatus::Duplicate if failed => "failed",
                        FileStatus::Duplicate => "duplicate",
                        FileStatus::Failed => "failed",
                    }
                    .into(),
                    target: Some(target.clone()),
                    error: if failed { outcome.reason.clone() } else { None },
                };
                c.store.record_mailbox_message(&rec)?;
                Ok((outcome, target.clone()))
            })
            .await??;
        self.emit(MailEvent::Message {
            mailbox: self.mb.name.clone(),
            uid,
            target: Some(target.clone()),
            outcome: Some(outcome),
            note: None,
        });
        Ok(Some(target))
    }
}

/// Decide what to do with one message from what the store knows.
fn plan(
    c: &mut StoreCtx<'_>,
    mailbox: &str,
    uv: u32,
    m: &Meta,
    allowed: &[String],
    processed: &str,
    failed: &str,
) -> Result<Plan, StoreError> {
    if let Some(row) = c.store.mailbox_message(mailbox, uv, m.uid)? {
        return Ok(match (row.status.as_str(), row.target.clone()) {
            ("pending_move", Some(target)) => Plan::MoveOnly {
                target,
                note: format!(
                    "recorded before a restart (document {}): completing the move",
                    row.document_id.unwrap_or_default()
                ),
                known: Box::new(row),
            },
            _ => Plan::Nothing,
        });
    }
    if !sender_allowed(allowed, m.from.as_deref()) {
        c.store.record_mailbox_message(&MailboxMessage {
            mailbox: mailbox.into(),
            uid_validity: uv,
            uid: m.uid,
            message_id: m.message_id.clone(),
            document_id: None,
            status: "skipped".into(),
            outcome: "not_allowed".into(),
            target: None,
            error: Some(format!(
                "sender {} is not in allowed_senders",
                m.from.as_deref().unwrap_or("(none)")
            )),
        })?;
        return Ok(Plan::Skip);
    }
    if let Some(mid) = &m.message_id {
        // Known by Message-ID: a crash between storing and recording, or a UIDVALIDITY rescan.
        let doc = match c.store.mailbox_message_by_message_id(mailbox, mid)? {
            Some(r) => r.document_id,
            None => c.store.document_by_message_id(mid)?.map(|d| d.id),
        };
        if let Some(doc_id) = doc {
            let status = c.store.document_status(doc_id)?;
            if status == DocStatus::Stored {
                // A crash during processing: finish it before moving.
                c.pipeline.resume(c.store)?;
            }
            let is_failed = matches!(c.store.document_status(doc_id)?, DocStatus::Failed { .. });
            let target = if is_failed { failed } else { processed }.to_string();
            let known = MailboxMessage {
                mailbox: mailbox.into(),
                uid_validity: uv,
                uid: m.uid,
                message_id: Some(mid.clone()),
                document_id: Some(doc_id),
                status: "pending_move".into(),
                outcome: "duplicate".into(),
                target: Some(target.clone()),
                error: None,
            };
            return Ok(Plan::MoveOnly {
                target,
                known: Box::new(known),
                note: format!("already stored as document {doc_id}: completing the move"),
            });
        }
    }
    if m.size > c.cfg.limits.max_file_bytes {
        // Not downloaded at all: recorded with the reason and moved to the failed folder.
        let reason = format!(
            "too_large: {} bytes is more than limits.max_file_bytes ({})",
            m.size, c.cfg.limits.max_file_bytes
        );
        let known = MailboxMessage {
            mailbox: mailbox.into(),
            uid_validity: uv,
            uid: m.uid,
            message_id: m.message_id.clone(),
            document_id: None,
            status: "pending_move".into(),
            outcome: "failed".into(),
            target: Some(failed.into()),
            error: Some(reason.clone()),
        };
        return Ok(Plan::MoveOnly {
            target: failed.into(),
            known: Box::new(known),
            note: reason,
        });
    }
    Ok(Plan::Download)
}

async fn fetch_meta(s: &mut Session, chunk: &[u32]) -> Result<BTreeMap<u32, Meta>, ImapError> {
    let set = uid_set(chunk);
    let stream = cmd(
        "UID FETCH ENVELOPE",
        s.uid_fetch(&set, "(UID RFC822.SIZE INTERNALDATE ENVELOPE)"),
    )
    .await?;
    let all: Vec<_> = cmd("UID FETCH ENVELOPE", stream.try_collect::<Vec<_>>()).await?;
    let mut out = BTreeMap::new();
    for f in &all {
        let Some(uid) = f.uid else { continue };
        if !chunk.contains(&uid) {
            continue;
        }
        let env = f.envelope();
        let from = env
            .and_then(|e| e.from.as_ref())
            .and_then(|v| v.first())
            .and_then(|a| {
                let mbox = utf8(a.mailbox.as_deref())?;
                let host = utf8(a.host.as_deref())?;
                Some(format!("{mbox}@{host}"))
            });
        out.insert(
            uid,
            Meta {
                uid,
                size: u64::from(f.size.unwrap_or(0)),
                message_id: env.and_then(|e| utf8(e.message_id.as_deref())),
                from,
                received: f.internal_date().map(|d| d.with_timezone(&Utc)),
            },
        );
    }
    Ok(out)
}

/// Create `folder` unless it exists.
async fn ensure_folder(s: &mut Session, folder: &str) -> Result<(), ImapError> {
    let exists = {
        let stream = cmd("LIST", s.list(Some(""), Some(folder))).await?;
        let names: Vec<_> = cmd("LIST", stream.try_collect::<Vec<_>>()).await?;
        names.iter().any(|n| n.name() == folder)
    };
    if !exists {
        tracing::info!(folder, "creating folder");
        cmd("CREATE", s.create(folder))
            .await
            .map_err(|e| ImapError::Folder {
                folder: folder.into(),
                detail: format!("cannot create it: {e}"),
            })?;
    }
    Ok(())
}

fn is_news(r: &async_imap::types::UnsolicitedResponse) -> bool {
    use async_imap::types::UnsolicitedResponse as U;
    matches!(r, U::Exists(_) | U::Recent(_))
}

/// Empty the unsolicited-response channel; true if it held news of new mail.
fn drain_news(s: &Session) -> bool {
    let mut news = false;
    while let Ok(r) = s.unsolicited_responses.try_recv() {
        news |= is_news(&r);
    }
    news
}

async fn wait_for_stop(stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn sleep_unless_stopped(d: Duration, stop: &AtomicBool) {
    tokio::select! {
        _ = tokio::time::sleep(d) => {}
        _ = wait_for_stop(stop) => {}
    }
}

// ---------------------------------------------------------------------------------------
// Running all mailboxes

/// Run every configured mailbox until `stop` is set, on a small tokio runtime of its own.
/// Each mailbox is an independent task: one failing never stops the others. Returns only
/// when stopped (or when the store cannot be opened).
pub fn run_blocking(
    cfg: &Config,
    stop: Arc<AtomicBool>,
    events: Arc<dyn Fn(MailEvent) + Send + Sync>,
) -> Result<(), ImapError> {
    run_blocking_with(cfg, None, stop, events)
}

/// [`run_blocking`] with the extractor of the process (`None`: load one).
pub fn run_blocking_with(
    cfg: &Config,
    extractor: Option<Arc<Extractor>>,
    stop: Arc<AtomicBool>,
    events: Arc<dyn Fn(MailEvent) + Send + Sync>,
) -> Result<(), ImapError> {
    if cfg.mailboxes.is_empty() {
        return Ok(());
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("imap")
        .enable_all()
        .build()?;
    let db = StoreThread::spawn_with(cfg.clone(), extractor)?;
    rt.block_on(async {
        let mut tasks = Vec::new();
        for mb in cfg.mailboxes.clone() {
            // Supervised: a panic in one mailbox's task is logged and the task restarted
            // (with backoff, counted in the store) instead of ending that mailbox silently.
            let (db, stop, events) = (db.clone(), stop.clone(), events.clone());
            let name = format!("mailbox:{}", mb.name);
            let make = move || {
                let task = MailboxTask {
                    mb: mb.clone(),
                    db: db.clone(),
                    stop: stop.clone(),
                    events: events.clone(),
                };
                async move {
                    task.run().await;
                    Ok::<(), std::convert::Infallible>(())
                }
            };
            tasks.push(tokio::spawn(crate::supervise::supervise(
                name,
                cfg.data_dir.clone(),
                crate::supervise::Backoff::default(),
                make,
            )));
        }
        for t in tasks {
            let _ = t.await;
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_sets_are_compact() {
        assert_eq!(uid_set(&[]), "");
        assert_eq!(uid_set(&[7]), "7");
        assert_eq!(uid_set(&[1, 2, 3, 5, 7, 8, 9, 12]), "1:3,5,7:9,12");
        assert_eq!(
            uid_set(&[u32::MAX - 1, u32::MAX]),
            format!("{}:{}", u32::MAX - 1, u32::MAX)
        );
        // 1000 consecutive UIDs are one short range, not a long command line.
        let many: Vec<u32> = (100..1100).collect();
        assert_eq!(uid_set(&many), "100:1099");
    }

    #[test]
    fn allow_list_matches_addresses_and_domains() {
        let allowed = vec!["buyer@a.example".to_string(), "@b.example".to_string()];
        assert!(sender_allowed(&[], None));
        assert!(sender_allowed(&allowed, Some("Buyer@A.example")));
        assert!(sender_allowed(&allowed, Some("x@b.example")));
        assert!(!sender_allowed(&allowed, Some("x@evilb.example")));
        assert!(!sender_allowed(&allowed, Some("other@a.example")));
        assert!(!sender_allowed(&allowed, None));
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let base = Duration::from_secs(1);
        let cap = Duration::from_secs(300);
        for attempt in 0..40 {
            let d = backoff(attempt, base, cap);
            let full = base.saturating_mul(1 << attempt.min(20)).min(cap);
            assert!(
                d <= full && d >= full / 2,
                "attempt {attempt}: {d:?} vs {full:?}"
            );
        }
    }
}
