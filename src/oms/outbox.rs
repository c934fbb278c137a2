//! The outbox loop: claims due entries oldest first, keeps at most `max_in_flight` sends
//! going, and decides what each [`SendOutcome`] means for the entry (the retry policy lives
//! here and only here): delivered, retry later with exponential backoff and jitter (or after
//! the OMS's `Retry-After`), or parked for a person.
//!
//! SQLite is synchronous, so all store calls go to one database thread that owns a
//! [`Store`]; the async side sends it closures and awaits the answers.
//!
//! Crash safety: claiming an entry moves its `next_at` forward by a lease (the connector's
//! longest send plus a margin; every attempt is cut at that longest send, so a lease never
//! runs out under a live attempt). If the process dies mid-send, the entry becomes due again
//! when the lease runs out and is sent again with the same idempotency key, so the OMS sees
//! it once.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::task::JoinSet;

use super::{Connector, Delivery, OmsConfig, OmsError, RetryConfig, SendOutcome};
use crate::store::outbox::{AttemptOutcome, AttemptRecord, Claimed};
use crate::store::{Store, StoreError};

/// Added to the connector's longest send to make the claim lease.
const LEASE_MARGIN: Duration = Duration::from_secs(2);

/// The longest wait between attempts, whatever the config says (a year).
const LONGEST_WAIT: Duration = Duration::from_secs(365 * 24 * 3600);

/// What one `push` did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PushReport {
    /// Attempts made (each send to the OMS).
    pub attempts: u64,
    /// Entries the OMS took.
    pub delivered: u64,
    /// Of `delivered`, those the OMS already had (409).
    pub already_existed: u64,
    /// Failed attempts that were scheduled for another try.
    pub retried: u64,
    /// Entries parked as `delivery_failed` for a person.
    pub parked: u64,
    /// Attempts whose result could not be written to the store (the entry is sent again
    /// when its lease runs out).
    pub store_errors: u64,
    /// Entries still pending when the push stopped (next due after the wait bound).
    pub still_pending: i64,
    /// When the next of those is due.
    pub next_due: Option<DateTime<Utc>>,
    /// Wall time of the push, in ms.
    pub elapsed_ms: u64,
}

impl std::fmt::Display for PushReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} delivered ({} already at the OMS), {} parked for a person, {} attempts, {} retries scheduled",
            self.delivered, self.already_existed, self.parked, self.attempts, self.retried
        )?;
        if self.still_pending > 0 {
            write!(f, ", {} still pending", self.still_pending)?;
            if let Some(t) = self.next_due {
                write!(f, " (next due {})", t.to_rfc3339())?;
            }
        }
        if self.store_errors > 0 {
            write!(f, ", {} results not recorded", self.store_errors)?;
        }
        Ok(())
    }
}

impl PushReport {
    fn add(&mut self, done: Done) {
        self.attempts += 1;
        match done {
            Done::Recorded(AttemptOutcome::Delivered) => self.delivered += 1,
            Done::Recorded(AttemptOutcome::AlreadyExists) => {
                self.delivered += 1;
                self.already_existed += 1;
            }
            Done::Recorded(AttemptOutcome::RetryAt(_)) => self.retried += 1,
            Done::Recorded(AttemptOutcome::Parked) => self.parked += 1,
            Done::StoreError => self.store_errors += 1,
        }
    }
}

/// How one attempt ended, for the tally.
enum Done {
    Recorded(AttemptOutcome),
    StoreError,
}

/// Decide what a connector's outcome means for an entry on its `attempt`-th attempt.
/// `r` is a random number in `[0, 1)` for the jitter. Returns the outcome to record and the
/// error to keep on the row.
pub fn decide(
    outcome: &SendOutcome,
    attempt: u32,
    policy: &RetryConfig,
    r: f64,
    now: DateTime<Utc>,
) -> (AttemptOutcome, Option<String>) {
    match outcome {
        SendOutcome::Delivered { .. } => (AttemptOutcome::Delivered, None),
        SendOutcome::AlreadyExists { .. } => (AttemptOutcome::AlreadyExists, None),
        SendOutcome::Reject { reason, .. } => (AttemptOutcome::Parked, Some(reason.clone())),
        SendOutcome::Retry { after, reason, .. } => {
            if attempt >= policy.max_attempts.max(1) {
                return (
                    AttemptOutcome::Parked,
                    Some(format!("gave up after {attempt} attempts: {reason}")),
                );
            }
            let wait = match after {
                Some(a) => (*a).min(Duration::from_millis(policy.max_retry_after_ms)),
                None => policy.jittered(attempt, r),
            };
            // Bounded so the arithmetic below cannot overflow whatever the config says.
            let wait = chrono::Duration::from_std(wait.min(LONGEST_WAIT))
                .unwrap_or(chrono::Duration::days(365));
            let at = now
                .checked_add_signed(wait)
                .unwrap_or(DateTime::<Utc>::MAX_UTC);
            (AttemptOutcome::RetryAt(at), Some(reason.clone()))
        }
    }
}

type Job = Box<dyn FnOnce(&mut Store) + Send>;

/// A handle to the database thread. Cloneable; the thread ends when the last handle drops.
#[derive(Clone)]
struct Db {
    tx: mpsc::Sender<Job>,
}

impl Db {
    async fn open(data_dir: &Path) -> Result<Db, OmsError> {
        let (tx, rx) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let dir = data_dir.to_path_buf();
        std::thread::Builder::new()
            .name("po-intake-outbox-db".into())
            .spawn(move || {
                let mut store = match Store::open(&dir) {
                    Ok(s) => {
                        let _ = ready_tx.send(Ok(()));
                        s
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                while let Ok(job) = rx.recv() {
                    job(&mut store);
                }
            })
            .map_err(|_| OmsError::DbThread)?;
        ready_rx.await.map_err(|_| OmsError::DbThread)??;
        Ok(Db { tx })
    }

    async fn call<R, F>(&self, f: F) -> Result<R, OmsError>
    where
        F: FnOnce(&mut Store) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        let (otx, orx) = tokio::sync::oneshot::channel();
        self.tx
            .send(Box::new(move |s: &mut Store| {
                let _ = otx.send(f(s));
            }))
            .map_err(|_| OmsError::DbThread)?;
        Ok(orx.await.map_err(|_| OmsError::DbThread)??)
    }
}

/// One attempt: send, classify, decide, record.
async fn attempt(db: Db, connector: Arc<dyn Connector>, policy: RetryConfig, c: Claimed) -> Done {
    let delivery = Delivery {
        order_id: c.order_id,
        idempotency_key: c.idempotency_key,
        payload: c.payload,
    };
    let started = Instant::now();
    // The claim's lease is the connector's longest send plus a margin: a send that ran on past
    // it could be claimed and sent again by another worker while this one is still live.
    let limit = connector.max_duration();
    let outcome = match tokio::time::timeout(limit, connector.send(&delivery)).await {
        Ok(outcome) => outcome,
        Err(_) => SendOutcome::Retry {
            status: None,
            after: None,
            reason: format!("timed out: the attempt ran past the connector's {limit:?} limit"),
        },
    };
    let latency_ms = started.elapsed().as_millis().min(u64::MAX as u128) as u64;
    let (decided, error) = decide(&outcome, c.attempt, &policy, rand::random(), Utc::now());
    match &decided {
        AttemptOutcome::Parked => tracing::warn!(
            order_id = c.order_id,
            attempt = c.attempt,
            status = outcome.status(),
            error = error.as_deref().unwrap_or(""),
            "delivery parked for a person"
        ),
        AttemptOutcome::RetryAt(at) => tracing::info!(
            order_id = c.order_id,
            attempt = c.attempt,
            status = outcome.status(),
            error = error.as_deref().unwrap_or(""),
            next_at = %at,
            "delivery failed, will retry"
        ),
        _ => tracing::debug!(order_id = c.order_id, latency_ms, "delivered"),
    }
    let rec = AttemptRecord {
        outcome: decided.clone(),
        status: outcome.status(),
        error,
        latency_ms,
        attempt: c.attempt,
    };
    let id = c.id;
    match db.call(move |s| s.record_attempt(id, &rec)).await {
        Ok(_) => Done::Recorded(decided),
        Err(e) => {
            tracing::error!(order_id = c.order_id, error = %e, "could not record a delivery attempt");
            Done::StoreError
        }
    }
}

enum Mode {
    /// Drain once; stop when nothing is due before `deadline`.
    Push { deadline: Instant },
    /// Run until shut down.
    Worker,
}

type Shutdown = Pin<Box<dyn Future<Output = ()> + Send>>;

async fn drive(
    db: Db,
    connector: Arc<dyn Connector>,
    cfg: &OmsConfig,
    mode: Mode,
    mut shutdown: Shutdown,
) -> Result<PushReport, OmsError> {
    let lease = connector.max_duration() + LEASE_MARGIN;
    let max = cfg.in_flight();
    let poll = cfg.poll_interval();
    let is_worker = matches!(mode, Mode::Worker);
    let mut set: JoinSet<Done> = JoinSet::new();
    let mut report = PushReport::default();
    let mut stopping = false;
    loop {
        let past_deadline = match mode {
            Mode::Push { deadline } => Instant::now() >= deadline,
            Mode::Worker => false,
        };
        let free = max.saturating_sub(set.len());
        if !stopping && !past_deadline && free > 0 {
            match db.call(move |s| s.claim_due_deliveries(free, lease)).await {
                Ok(claimed) => {
                    for c in claimed {
                        // A panic in a connector unwinds only this task; the hook logs it
                        // with the order id, and the entry is sent again when its lease ends.
                        let label = format!("order {}", c.order_id);
                        set.spawn(crate::supervise::scope(
                            label,
                            attempt(db.clone(), connector.clone(), cfg.retry.clone(), c),
                        ));
                    }
                }
                Err(e) if is_worker => {
                    tracing::error!(error = %e, "outbox: could not claim due entries; trying again");
                    tokio::select! {
                        _ = tokio::time::sleep(poll) => {}
                        _ = &mut shutdown => stopping = true,
                    }
                    continue;
                }
                Err(e) => {
                    // Let what is in flight finish and be recorded, then report the error.
                    while let Some(r) = set.join_next().await {
                        if let Ok(done) = r {
                            report.add(done);
                        }
                    }
                    return Err(e);
                }
            }
        }
        if set.is_empty() {
            if stopping {
                break;
            }
            match mode {
                Mode::Push { deadline } => {
                    let Some(next) = db.call(|s| s.next_delivery_due()).await? else {
                        break;
                    };
                    let wait = (next - Utc::now()).to_std().unwrap_or(Duration::ZERO);
                    if Instant::now()
                        .checked_add(wait)
                        .is_none_or(|t| t > deadline)
                    {
                        break;
                    }
                    tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
                }
                Mode::Worker => {
                    tokio::select! {
                        _ = tokio::time::sleep(poll) => {}
                        _ = &mut shutdown => stopping = true,
                    }
                }
            }
            continue;
        }
        // Something is in flight: wait for one to finish, for the poll interval (newly due
        // entries fill free slots), or for shutdown (stop claiming; let in-flight finish).
        tokio::select! {
            r = set.join_next() => {
                match r {
                    Some(Ok(done)) => report.add(done),
                    Some(Err(e)) => {
                        tracing::error!(error = %e, "outbox: a delivery task failed");
                        report.store_errors += 1;
                    }
                    None => {}
                }
            }
            _ = tokio::time::sleep(poll), if set.len() < max && !stopping => {}
            _ = &mut shutdown, if is_worker && !stopping => stopping = true,
        }
    }
    Ok(report)
}

/// Drain the outbox once (`po-intake push`), using the connector from `cfg`.
///
/// Sends every due entry, oldest first, at most `max_in_flight` at a time, and keeps going
/// through retries until every entry is delivered or parked, or the next attempt of what
/// is left is due later than `push_max_wait_ms` after the start (then it stops and reports
/// those as `still_pending`; a later push or the worker sends them). Entries claimed by
/// another process (or one that crashed) are waited for in the same way, until their lease
/// runs out. Nothing is sent after the wait bound, but attempts in flight then are finished.
pub async fn push_once(data_dir: &Path, cfg: &OmsConfig) -> Result<PushReport, OmsError> {
    let connector: Arc<dyn Connector> = Arc::from(super::connector(cfg, data_dir)?);
    push_with_connector(data_dir, cfg, connector).await
}

/// [`push_once`] with a connector of the caller's (a custom OMS, or a test double).
pub async fn push_with_connector(
    data_dir: &Path,
    cfg: &OmsConfig,
    connector: Arc<dyn Connector>,
) -> Result<PushReport, OmsError> {
    let started = Instant::now();
    let db = Db::open(data_dir).await?;
    let mode = Mode::Push {
        deadline: started
            .checked_add(cfg.push_max_wait().min(LONGEST_WAIT))
            .unwrap_or(started),
    };
    let never: Shutdown = Box::pin(std::future::pending());
    let mut report = drive(db.clone(), connector, cfg, mode, never).await?;
    let (counts, next) = db
        .call(|s| Ok((s.outbox_counts()?, s.next_delivery_due()?)))
        .await?;
    report.still_pending = counts.pending;
    report.next_due = if counts.pending > 0 { next } else { None };
    report.elapsed_ms = started.elapsed().as_millis().min(u64::MAX as u128) as u64;
    Ok(report)
}

/// [`push_once`] for synchronous callers: runs it on a runtime of its own. Must not be
/// called from inside a tokio runtime (that is reported as an error, not a panic).
pub fn push_once_blocking(data_dir: &Path, cfg: &OmsConfig) -> Result<PushReport, OmsError> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(OmsError::Config(
            "push_once_blocking called inside a tokio runtime; use push_once".into(),
        ));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| OmsError::Config(format!("starting the async runtime: {e}")))?;
    rt.block_on(push_once(data_dir, cfg))
}

/// The background delivery worker for `watch`/`serve`: sends due entries as they come
/// (looking every `poll_interval_ms` when idle) until `shutdown` completes; then it stops
/// claiming, lets the sends in flight finish (each bounded by the connector's timeout) and
/// returns what it did. Store errors while claiming are logged and retried, not fatal; a
/// config the connector cannot be built from, or a store that cannot be opened, is.
///
/// Spawn it: `tokio::spawn(oms::run_worker(data_dir, cfg, async move { let _ = rx.changed().await; }))`.
pub async fn run_worker(
    data_dir: PathBuf,
    cfg: OmsConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<PushReport, OmsError> {
    let connector: Arc<dyn Connector> = Arc::from(super::connector(&cfg, &data_dir)?);
    run_worker_with(data_dir, cfg, connector, shutdown).await
}

/// [`run_worker`] with a connector of the caller's (a custom OMS, or a test double).
pub async fn run_worker_with(
    data_dir: PathBuf,
    cfg: OmsConfig,
    connector: Arc<dyn Connector>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<PushReport, OmsError> {
    let db = Db::open(&data_dir).await?;
    tracing::info!(connector = %connector.describe(), "OMS delivery worker started");
    let report = drive(db, connector, &cfg, Mode::Worker, Box::pin(shutdown)).await?;
    tracing::info!(%report, "OMS delivery worker stopped");
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryConfig {
        RetryConfig {
            max_attempts: 3,
            base_backoff_ms: 100,
            max_backoff_ms: 1000,
            jitter: 0.0,
            max_retry_after_ms: 5000,
        }
    }

    fn retry(after: Option<Duration>) -> SendOutcome {
        SendOutcome::Retry {
            status: Some(503),
            after,
            reason: "HTTP 503".into(),
        }
    }

    #[test]
    fn classify_then_act() {
        let now = Utc::now();
        let p = policy();
        let d = |o: &SendOutcome, n| decide(o, n, &p, 0.0, now);
        assert_eq!(
            d(&SendOutcome::Delivered { status: Some(201) }, 1).0,
            AttemptOutcome::Delivered
        );
        assert_eq!(
            d(&SendOutcome::AlreadyExists { status: Some(409) }, 3).0,
            AttemptOutcome::AlreadyExists
        );
        let (o, e) = d(
            &SendOutcome::Reject {
                status: Some(400),
                reason: "bad sku".into(),
            },
            1,
        );
        assert_eq!((o, e.as_deref()), (AttemptOutcome::Parked, Some("bad sku")));
        assert_eq!(
            d(&retry(None), 1).0,
            AttemptOutcome::RetryAt(now + chrono::Duration::milliseconds(100))
        );
        assert_eq!(
            d(&retry(None), 2).0,
            AttemptOutcome::RetryAt(now + chrono::Duration::milliseconds(200))
        );
        // Retry-After wins over the backoff, capped by max_retry_after_ms.
        assert_eq!(
            d(&retry(Some(Duration::from_secs(2))), 1).0,
            AttemptOutcome::RetryAt(now + chrono::Duration::seconds(2))
        );
        assert_eq!(
            d(&retry(Some(Duration::from_secs(60))), 1).0,
            AttemptOutcome::RetryAt(now + chrono::Duration::seconds(5))
        );
        let (o, e) = d(&retry(None), 3);
        assert_eq!(o, AttemptOutcome::Parked);
        assert!(e
            .unwrap_or_default()
            .contains("gave up after 3 attempts: HTTP 503"));
    }
}
