//! Drop folders: every file put into the folder is ingested once, then moved to
//! `processed/` or `failed/` (with a `.reason.txt` beside it).
//!
//! Why files are moved only after the store has them: a crash at any point leaves the file
//! in the folder, and the next scan recognises already-stored bytes by hash, so nothing is
//! lost and nothing is doubled. Files still being written are left alone until their size and
//! mtime have stopped changing for the settle time, and temp names are never touched.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use chrono::Utc;

use crate::config::{DropFolder, WatchMode};
use crate::domain::{Incoming, SourceKind};
use crate::pipeline::{FileOutcome, FileStatus, Pipeline};
use crate::store::{Store, StoreError};

/// Sub-folders the drop folder keeps its handled files in.
pub const PROCESSED: &str = "processed";
pub const FAILED: &str = "failed";

#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    #[error("drop folder {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("watching {path}: {detail}")]
    Watch { path: PathBuf, detail: String },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> FolderError + '_ {
    move |source| FolderError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Names that are never picked up: hidden files, editor/Office lock files, partial downloads,
/// OS litter, and our own reason files.
pub fn is_ignored(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name.starts_with('.')
        || name.starts_with("~$")
        || name.starts_with("._")
        || lower.ends_with(".part")
        || lower.ends_with(".partial")
        || lower.ends_with(".tmp")
        || lower.ends_with(".crdownload")
        || lower.ends_with(".download")
        || lower.ends_with(".filepart")
        || lower.ends_with('~')
        || lower.ends_with(".reason.txt")
        || lower == "thumbs.db"
        || lower == "desktop.ini"
}

/// The files directly in `dir` that are candidates for ingestion, sorted by name.
pub fn scan(dir: &Path) -> Result<Vec<PathBuf>, FolderError> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_err(dir))? {
        let entry = entry.map_err(io_err(dir))?;
        let Ok(ft) = entry.file_type() else { continue };
        if !ft.is_file() {
            continue;
        }
        let name = entry.file_name();
        if is_ignored(&name.to_string_lossy()) {
            continue;
        }
        out.push(entry.path());
    }
    out.sort();
    Ok(out)
}

/// Remembers each candidate's size and mtime; a file is ready once both have stayed the
/// same for the settle time (so a slow copy is not read half-written).
#[derive(Debug)]
pub struct StabilityTracker {
    settle: Duration,
    seen: HashMap<PathBuf, (u64, Option<SystemTime>, Instant)>,
}

impl StabilityTracker {
    pub fn new(settle: Duration) -> Self {
        StabilityTracker {
            settle,
            seen: HashMap::new(),
        }
    }

    /// Of `candidates`, those whose size and mtime have not changed for the settle time.
    pub fn ready(&mut self, candidates: &[PathBuf]) -> Vec<PathBuf> {
        let now = Instant::now();
        let mut ready = Vec::new();
        self.seen.retain(|p, _| candidates.contains(p));
        for p in candidates {
            let Ok(meta) = fs::metadata(p) else { continue };
            let sig = (meta.len(), meta.modified().ok());
            match self.seen.get(p) {
                Some(&(len, mtime, since)) if (len, mtime) == sig => {
                    if now.duration_since(since) >= self.settle {
                        ready.push(p.clone());
                    }
                }
                _ => {
                    self.seen.insert(p.clone(), (sig.0, sig.1, now));
                }
            }
        }
        ready
    }

    pub fn forget(&mut self, p: &Path) {
        self.seen.remove(p);
    }
}

/// Move a handled file into `processed/` or `failed/` (never overwriting), writing the
/// reason beside a failed one. Returns the new path.
pub fn finish(dir: &Path, file: &Path, outcome: &FileOutcome) -> Result<PathBuf, FolderError> {
    let failed = outcome.status == FileStatus::Failed
        || (outcome.status == FileStatus::Duplicate
            && outcome
                .reason
                .as_deref()
                .is_some_and(|r| r.contains("(failed:")));
    let sub = dir.join(if failed { FAILED } else { PROCESSED });
    fs::create_dir_all(&sub).map_err(io_err(&sub))?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "unnamed".into());
    let mut target = sub.join(&name);
    let mut n = 1;
    while target.exists() {
        target = sub.join(format!("{name}.{n}"));
        n += 1;
    }
    if failed {
        let reason = outcome.reason.clone().unwrap_or_else(|| "failed".into());
        let reason_path = PathBuf::from(format!("{}.reason.txt", target.display()));
        let text = match outcome.document_id {
            Some(id) => format!(
                "{reason}\n(stored as document {id}; the original is kept in the archive)\n"
            ),
            None => format!("{reason}\n"),
        };
        fs::write(&reason_path, text).map_err(io_err(&reason_path))?;
    }
    fs::rename(file, &target).map_err(io_err(file))?;
    Ok(target)
}

/// Read, store and process one file from a drop folder; moves it afterwards if `move_after`.
pub fn ingest_file(
    pipeline: &Pipeline<'_>,
    store: &mut Store,
    dir: &Path,
    file: &Path,
    move_after: bool,
) -> Result<FileOutcome, FolderError> {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let bytes = fs::read(file).map_err(io_err(file))?;
    let received_at = fs::metadata(file)
        .and_then(|m| m.modified())
        .map(chrono::DateTime::<Utc>::from)
        .unwrap_or_else(|_| Utc::now());
    let incoming = Incoming {
        source: SourceKind::Folder,
        origin: dir.display().to_string(),
        file_name: name,
        sender: None,
        received_at,
        bytes,
    };
    let outcome = pipeline.handle(store, &incoming)?;
    if move_after {
        finish(dir, file, &outcome)?;
    }
    Ok(outcome)
}

/// Watch a drop folder until `stop` is set: file-system events trigger an early scan, and a
/// scan also runs every poll interval (in `poll` mode only the interval). Each ready file
/// is ingested and moved; `on_outcome` sees every result.
pub fn watch(
    pipeline: &Pipeline<'_>,
    store: &mut Store,
    folder: &DropFolder,
    stop: &AtomicBool,
    on_outcome: &mut dyn FnMut(&Path, Result<FileOutcome, FolderError>),
) -> Result<(), FolderError> {
    fs::create_dir_all(&folder.path).map_err(io_err(&folder.path))?;
    let (tx, rx) = mpsc::channel::<()>();
    // Keep the watcher alive for the whole loop; in poll mode there is none.
    let _watcher = match folder.mode {
        WatchMode::Events => {
            use notify::Watcher;
            let mut w = notify::recommended_watcher(move |_res: notify::Result<notify::Event>| {
                let _ = tx.send(());
            })
            .map_err(|e| FolderError::Watch {
                path: folder.path.clone(),
                detail: e.to_string(),
            })?;
            w.watch(&folder.path, notify::RecursiveMode::NonRecursive)
                .map_err(|e| FolderError::Watch {
                    path: folder.path.clone(),
                    detail: e.to_string(),
                })?;
            Some(w)
        }
        WatchMode::Poll => None,
    };
    let mut tracker = StabilityTracker::new(folder.settle);
    // While files are settling, look again soon; otherwise wait for an event or the interval.
    let tick = Duration::from_millis(100).min(folder.settle.max(Duration::from_millis(20)));
    while !stop.load(Ordering::Relaxed) {
        let candidates = scan(&folder.path)?;
        for file in tracker.ready(&candidates) {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            tracker.forget(&file);
            let res = ingest_file(pipeline, store, &folder.path, &file, true);
            on_outcome(&file, res);
        }
        let wait = if candidates.is_empty() {
            folder.poll_interval
        } else {
            tick
        };
        let deadline = Instant::now() + wait;
        while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
            let slice =
                Duration::from_millis(100).min(deadline.saturating_duration_since(Instant::now()));
            match rx.recv_timeout(slice) {
                Ok(()) => {
                    // Drain the burst, then scan.
                    while rx.try_recv().is_ok() {}
                    break;
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    std::thread::sleep(slice);
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_and_hidden_names_are_ignored() {
        for n in [
            ".hidden.pdf",
            "~$order.docx",
            "po.pdf.part",
            "x.tmp",
            "Thumbs.db",
            "a.pdf.reason.txt",
            "._po.pdf",
        ] {
            assert!(is_ignored(n), "{n}");
        }
        for n in ["po.pdf", "order.eml", "list.txt", "PO 123.PDF"] {
            assert!(!is_ignored(n), "{n}");
        }
    }

    #[test]
    fn a_growing_file_is_not_ready_until_it_settles() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("po.pdf");
        fs::write(&p, b"%PDF-1.4 partial").unwrap();
        let mut t = StabilityTracker::new(Duration::from_millis(150));
        let c = vec![p.clone()];
        assert!(t.ready(&c).is_empty(), "first sight is never ready");
        std::thread::sleep(Duration::from_millis(100));
        fs::write(&p, b"%PDF-1.4 partial and more bytes").unwrap();
        assert!(t.ready(&c).is_empty(), "size changed: clock restarts");
        std::thread::sleep(Duration::from_millis(100));
        assert!(t.ready(&c).is_empty(), "only 100 ms since the last change");
        std::thread::sleep(Duration::from_millis(80));
        assert_eq!(t.ready(&c), c);
    }
}
