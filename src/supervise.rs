//! Nothing dies silently: panic logging with context, and supervision of the long-running
//! workers (the OMS delivery worker, drop-folder watchers, mailbox tasks).
//!
//! - [`log_panic`] / [`install_panic_hook`]: every panic is logged at ERROR with the thread
//!   name and, where known, what the thread was working on (a document or order id set with
//!   [`enter`] or [`scope`]). Panics that are caught (a reader crashing on a hostile PDF) are
//!   logged too: a panic is a bug even when the pipeline survives it.
//! - [`supervise`] (async) and [`supervise_blocking`] (a thread): run a worker, and when it
//!   panics or returns an error, log it, record the restart in the store (so `po-intake
//!   status` and `/metrics` show it, whichever process asks) and start it again after a
//!   capped exponential backoff. A worker that returns `Ok` has finished (shutdown) and is
//!   not restarted.

use std::cell::RefCell;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::store::Store;

thread_local! {
    /// What this thread is working on, innermost last (e.g. `["document 12", "order 40"]`).
    static CONTEXT: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Removes its label from the thread's context when dropped.
#[must_use = "the context lasts as long as the guard"]
pub struct ContextGuard {
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Drop for ContextGuard {
    fn drop(&mut self) {
        CONTEXT.with(|c| {
            c.borrow_mut().pop();
        });
    }
}

/// Name what this thread works on until the guard drops, so a panic meanwhile is logged
/// with it (e.g. `enter(format!("document {id}"))`).
pub fn enter(label: impl Into<String>) -> ContextGuard {
    CONTEXT.with(|c| c.borrow_mut().push(label.into()));
    ContextGuard {
        _not_send: std::marker::PhantomData,
    }
}

/// The current context, `"; "`-joined (empty when nothing was named).
pub fn current_context() -> String {
    CONTEXT.with(|c| c.borrow().join("; "))
}

/// A future that carries a context label into every poll. Async tasks move between threads,
/// so a thread-local guard held across an `.await` would name the wrong task; this sets the
/// label only while the inner future runs.
pub struct Scoped<F> {
    label: String,
    inner: Pin<Box<F>>,
}

/// Run `fut` with `label` as its panic context (see [`Scoped`]).
pub fn scope<F: Future>(label: impl Into<String>, fut: F) -> Scoped<F> {
    Scoped {
        label: label.into(),
        inner: Box::pin(fut),
    }
}

impl<F: Future> Future for Scoped<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let _g = enter(self.label.clone());
        self.inner.as_mut().poll(cx)
    }
}

/// Log one panic at ERROR: message, location, thread name and context. The body of the
/// process-wide panic hook; tests that keep the default hook as well can call it directly.
pub fn log_panic(info: &std::panic::PanicHookInfo<'_>) {
    let msg = info
        .payload()
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| info.payload().downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into());
    let location = info
        .location()
        .map(|l| format!("{}:{}", l.file(), l.line()))
        .unwrap_or_default();
    let thread = std::thread::current();
    let thread = thread.name().unwrap_or("unnamed").to_string();
    let context = current_context();
    tracing::error!(thread = %thread, context = %context, location = %location, "panic: {msg}");
}

/// Replace the panic hook with [`log_panic`]. The default hook prints to stderr outside the
/// log; this one goes through `tracing`, at ERROR, so JSON logs and filters see it.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(log_panic));
}

/// Capped exponential backoff between restarts: `base`, 2×`base`, ... up to `max`. A worker
/// that ran for at least `healthy_after` before it failed starts again from `base`.
#[derive(Debug, Clone)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
    pub healthy_after: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_secs(1),
            max: Duration::from_secs(60),
            healthy_after: Duration::from_secs(60),
        }
    }
}

impl Backoff {
    /// The wait before restart number `n` (0-based) of a run of quick failures.
    pub fn delay(&self, n: u32) -> Duration {
        crate::backoff::exponential(n, self.base, self.max)
    }

    /// After a failed run that began at `started`: log it at ERROR and return the wait before
    /// the restart, counting the run in `quick_failures` (reset after a healthy run).
    fn after_failure(
        &self,
        quick_failures: &mut u32,
        started: Instant,
        name: &str,
        why: &str,
    ) -> Duration {
        if started.elapsed() >= self.healthy_after {
            *quick_failures = 0;
        }
        let wait = self.delay(*quick_failures);
        *quick_failures = quick_failures.saturating_add(1);
        tracing::error!(worker = %name, restart_in = ?wait, "worker {why}; restarting");
        wait
    }
}

/// Record a restart of `worker` in the store at `data_dir` (best effort: a store that cannot
/// be opened is logged, the restart goes ahead).
fn record_restart(data_dir: &Path, worker: &str, error: &str) {
    let r = Store::open(data_dir).and_then(|s| s.record_worker_restart(worker, error));
    if let Err(e) = r {
        tracing::error!(worker, error = %e, "could not record a worker restart in the store");
    }
}

/// Why a supervised run ended.
fn describe_end<E: std::fmt::Display>(r: &Result<Result<(), E>, String>) -> Option<String> {
    match r {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(format!("stopped with an error: {e}")),
        Err(panic) => Some(format!("panicked: {panic}")),
    }
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

/// Run the async worker `make()` builds, restarting it after a panic or an error with
/// [`Backoff`], until it returns `Ok(())`. Each restart is logged at ERROR and recorded in the
/// store at `data_dir` under `name`. The worker runs as its own tokio task so a panic in it
/// unwinds only that task.
pub async fn supervise<F, Fut, E>(name: String, data_dir: PathBuf, backoff: Backoff, mut make: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    let mut quick_failures = 0u32;
    loop {
        let started = Instant::now();
        let r = tokio::spawn(scope(name.clone(), make()))
            .await
            .map_err(|e| match e.try_into_panic() {
                Ok(p) => panic_message(p.as_ref()),
                Err(e) => e.to_string(),
            });
        let Some(why) = describe_end(&r) else {
            return;
        };
        let wait = backoff.after_failure(&mut quick_failures, started, &name, &why);
        let (dir, n, w) = (data_dir.clone(), name.clone(), why.clone());
        let _ = tokio::task::spawn_blocking(move || record_restart(&dir, &n, &w)).await;
        tokio::time::sleep(wait).await;
    }
}

/// [`supervise`] for a worker that runs on the calling thread (a drop-folder watcher):
/// panics are caught with `catch_unwind`. `stop()` is asked before each restart, so a
/// shutdown during the backoff ends the loop.
pub fn supervise_blocking<E: std::fmt::Display>(
    name: &str,
    data_dir: &Path,
    backoff: &Backoff,
    stop: &dyn Fn() -> bool,
    mut run: impl FnMut() -> Result<(), E>,
) {
    let mut quick_failures = 0u32;
    loop {
        let started = Instant::now();
        let r = {
            let _g = enter(name.to_string());
            catch_unwind(AssertUnwindSafe(&mut run)).map_err(|p| panic_message(p.as_ref()))
        };
        let Some(why) = describe_end(&r) else {
            return;
        };
        let wait = backoff.after_failure(&mut quick_failures, started, name, &why);
        record_restart(data_dir, name, &why);
        let until = Instant::now() + wait;
        while Instant::now() < until {
            if stop() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100).min(wait));
        }
        if stop() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let b = Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
            healthy_after: Duration::from_secs(60),
        };
        let d: Vec<u128> = (0..6).map(|n| b.delay(n).as_millis()).collect();
        assert_eq!(d, vec![100, 200, 400, 800, 1000, 1000]);
        assert_eq!(b.delay(u32::MAX), Duration::from_secs(1));
    }

    #[test]
    fn context_nests_and_unwinds() {
        assert_eq!(current_context(), "");
        let _a = enter("document 7");
        {
            let _b = enter("order 9");
            assert_eq!(current_context(), "document 7; order 9");
        }
        assert_eq!(current_context(), "document 7");
    }

    #[test]
    fn a_blocking_worker_that_panics_is_restarted_and_the_restart_recorded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let b = Backoff {
            base: Duration::from_millis(1),
            max: Duration::from_millis(5),
            healthy_after: Duration::from_secs(60),
        };
        let mut runs = 0;
        supervise_blocking::<String>("folder:test", dir.path(), &b, &|| false, || {
            runs += 1;
            match runs {
                1 => panic!("boom"),
                2 => Err("disk gone".into()),
                _ => Ok(()),
            }
        });
        assert_eq!(runs, 3);
        let store = Store::open(dir.path()).expect("store");
        let w = store.worker_health().expect("health");
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].worker, "folder:test");
        assert_eq!(w[0].restarts, 2);
        assert!(w[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("disk gone")));
    }
}
