//! Drop folders: every file put into the folder is ingested once, then moved to
//! `processed/` or `failed/` (with a `.reason.txt` beside it).
//!
//! Why files are moved only after the store has them: a crash at any point leaves the file
//! in the folder, and the next scan recognises already-stored bytes by hash, so nothing is
//! lost and nothing is doubled. Files still being written are left alone until their size and
//! mtime have stopped changing for the settle time, and temp names (`.part`, `.tmp`, ...) and
//! files with a `<name>.lock` beside them are never touched.
//!
//! A writer can pause longer than the settle time and go on. So size and mtime are checked
//! again after reading (a change: nothing is stored), before the orders are recorded (a
//! change: the document is failed as `changed_while_read`, no orders) and before the move (a
//! change: the file stays); after the move the moved file's hash is compared with the stored
//! one and a file that grew meanwhile is put back; `watch` keeps watching a moved file for a
//! minute and puts it back if it changes. Each time the complete file is read again as a new
//! document. What no check can see: a writer that resumes more than a minute later, or one
//! that resumes after the orders of the prefix were recorded (those orders stay; the
//! complete file's order then meets the duplicate check). Writers should write to a temp
//! name or hold a `.lock`.

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
use crate::parse::ParseError;
use crate::pipeline::{FileOutcome, FileStatus, Pipeline};
use crate::store::{sha256_hex, Store, StoreError};

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
    #[error(
        "{path} changed while it was being read (still being written?); left in place to be read again"
    )]
    Changed { path: PathBuf },
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
        || lower.ends_with(".lock")
        || lower.ends_with(".lck")
        || lower.ends_with('~')
        || lower.ends_with(".reason.txt")
        || lower == "thumbs.db"
        || lower == "desktop.ini"
}

/// The files directly in `dir` that are candidates for ingestion, sorted by name. A file
/// with a lock beside it (`po.pdf.lock`) is still being written and is skipped.
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
        let lock = PathBuf::from(format!("{}.lock", entry.path().display()));
        if lock.exists() {
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
    ingest_and_move(pipeline, store, dir, file, move_after).map(|(o, _)| o)
}

/// A file moved out of the drop folder, watched for a while in case its writer goes on.
#[derive(Debug)]
struct Moved {
    from: PathBuf,
    to: PathBuf,
    sig: (u64, Option<SystemTime>),
    at: Instant,
}

/// How long a moved file is watched for a writer that resumes after a long pause.
const WATCH_AFTER_MOVE: Duration = Duration::from_secs(60);

impl Moved {
    /// Put the file back into the drop folder if it changed after the move (the complete
    /// file is then read as a new document). Returns whether it is done with.
    fn check(&self) -> bool {
        if self.at.elapsed() > WATCH_AFTER_MOVE {
            return true;
        }
        match signature(&self.to) {
            Ok(sig) if sig == self.sig => false,
            Ok(_) if !self.from.exists() => {
                tracing::warn!(file = %self.from.display(), "written to after it was moved: read again");
                let _ = fs::remove_file(PathBuf::from(format!("{}.reason.txt", self.to.display())));
                let _ = fs::rename(&self.to, &self.from);
                true
            }
            _ => true,
        }
    }
}

fn ingest_and_move(
    pipeline: &Pipeline<'_>,
    store: &mut Store,
    dir: &Path,
    file: &Path,
    move_after: bool,
) -> Result<(FileOutcome, Option<Moved>), FolderError> {
    match read_file(pipeline, file)? {
        Read::Refused(outcome) => {
            if move_after {
                finish(dir, file, &outcome)?;
            }
            Ok((outcome, None))
        }
        Read::Bytes { incoming, before } => {
            let unchanged = || signature(file).is_ok_and(|now| now == before);
            let outcome = pipeline.handle_unless_changed(store, &incoming, &unchanged)?;
            settle(dir, file, before, &incoming.bytes, outcome, move_after)
        }
    }
}

/// A drop-folder file, read.
enum Read {
    /// Refused before reading (too large); nothing is stored.
    Refused(FileOutcome),
    /// Its bytes, and its size and mtime when they were read.
    Bytes {
        incoming: Incoming,
        before: (u64, Option<SystemTime>),
    },
}

/// Read a file from a drop folder unless it is too large; a file that changes while it is
/// read is an error ([`FolderError::Changed`]).
fn read_file(pipeline: &Pipeline<'_>, file: &Path) -> Result<Read, FolderError> {
    let dir = file.parent().unwrap_or(Path::new("."));
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let before = signature(file).map_err(io_err(file))?;
    // Too large: refused before a byte is read (nothing is stored; the file goes to failed/).
    let limit = pipeline.config().limits.max_file_bytes;
    if before.0 > limit {
        let e = ParseError::TooLarge {
            size: before.0,
            limit,
        };
        return Ok(Read::Refused(FileOutcome {
            file: name,
            document_id: None,
            status: FileStatus::Failed,
            reason: Some(format!("{}: {e}", e.code())),
            orders: vec![],
        }));
    }
    let bytes = fs::read(file).map_err(io_err(file))?;
    if bytes.len() as u64 != before.0 || signature(file).map_or(true, |now| now != before) {
        return Err(FolderError::Changed {
            path: file.to_path_buf(),
        });
    }
    let received_at = before
        .1
        .map(chrono::DateTime::<Utc>::from)
        .unwrap_or_else(Utc::now);
    Ok(Read::Bytes {
        incoming: Incoming {
            source: SourceKind::Folder,
            origin: dir.display().to_string(),
            file_name: name,
            sender: None,
            received_at,
            bytes,
        },
        before,
    })
}

/// After the outcome is recorded: move the file (if `move_after`) unless it was written to
/// meanwhile, and make sure what landed is what was stored.
fn settle(
    dir: &Path,
    file: &Path,
    before: (u64, Option<SystemTime>),
    stored: &[u8],
    outcome: FileOutcome,
    move_after: bool,
) -> Result<(FileOutcome, Option<Moved>), FolderError> {
    if !move_after {
        return Ok((outcome, None));
    }
    if signature(file).map_or(true, |now| now != before) {
        // Written to again after the orders were recorded: leave it to be read again.
        return Err(FolderError::Changed {
            path: file.to_path_buf(),
        });
    }
    let target = finish(dir, file, &outcome)?;
    // A writer that still holds the file open writes on into the moved file: compare
    // what landed with what was stored, and put a file that grew back to be read again.
    let landed = fs::read(&target).map_err(io_err(&target))?;
    if sha256_hex(&landed) != sha256_hex(stored) {
        let _ = fs::remove_file(PathBuf::from(format!("{}.reason.txt", target.display())));
        fs::rename(&target, file).map_err(io_err(&target))?;
        return Err(FolderError::Changed {
            path: file.to_path_buf(),
        });
    }
    let sig = signature(&target).map_err(io_err(&target))?;
    let moved = Moved {
        from: file.to_path_buf(),
        to: target,
        sig,
        at: Instant::now(),
    };
    Ok((outcome, Some(moved)))
}

/// Take in `files` of the drop folder `dir` with the documents read in parallel
/// ([`Pipeline::handle_batch`]); each file is stored, processed and (if `move_after`) moved
/// exactly as [`ingest_file`] does, and `on_outcome` sees the files in the order given.
/// A store error stops the batch and is returned.
pub fn ingest_files(
    pipeline: &Pipeline<'_>,
    store: &mut Store,
    dir: &Path,
    files: &[PathBuf],
    move_after: bool,
    on_outcome: &mut dyn FnMut(&Path, Result<FileOutcome, FolderError>),
) -> Result<(), FolderError> {
    ingest_batch(
        pipeline,
        store,
        dir,
        files,
        move_after,
        None,
        &mut |file, res| on_outcome(file, res.map(|(o, _)| o)),
    )
}

/// A file of a batch: where it is, and what reading it gave.
struct Item<'f> {
    file: &'f Path,
    read: Result<Read, FolderError>,
}

type Settled = Result<(FileOutcome, Option<Moved>), FolderError>;

fn ingest_batch(
    pipeline: &Pipeline<'_>,
    store: &mut Store,
    dir: &Path,
    files: &[PathBuf],
    move_after: bool,
    stop: Option<&AtomicBool>,
    on_outcome: &mut dyn FnMut(&Path, Settled),
) -> Result<(), FolderError> {
    let stopped = || stop.is_some_and(|s| s.load(Ordering::Relaxed));
    let items = files.iter().take_while(|_| !stopped()).map(|file| {
        let item = Item {
            file,
            read: read_file(pipeline, file),
        };
        let incoming = match &item.read {
            Ok(Read::Bytes { incoming, .. }) => Some(incoming.clone()),
            _ => None,
        };
        (item, incoming)
    });
    let unchanged = |item: &Item<'_>| match &item.read {
        Ok(Read::Bytes { before, .. }) => signature(item.file).is_ok_and(|now| now == *before),
        _ => true,
    };
    let mut done = |_: &mut Store, item: Item<'_>, outcome: Option<FileOutcome>| {
        let res = match (item.read, outcome) {
            (Err(e), _) => Err(e),
            (Ok(Read::Refused(outcome)), _) => {
                let moved = if move_after {
                    finish(dir, item.file, &outcome).map(|_| ())
                } else {
                    Ok(())
                };
                moved.map(|()| (outcome, None))
            }
            (Ok(Read::Bytes { before, incoming }), Some(outcome)) => {
                settle(dir, item.file, before, &incoming.bytes, outcome, move_after)
            }
            (Ok(Read::Bytes { .. }), None) => Err(FolderError::Changed {
                path: item.file.to_path_buf(),
            }),
        };
        on_outcome(item.file, res);
    };
    pipeline.handle_batch(store, items, &unchanged, &mut done)?;
    Ok(())
}

/// Size and mtime: what changes while a writer is at work.
fn signature(file: &Path) -> io::Result<(u64, Option<SystemTime>)> {
    let meta = fs::metadata(file)?;
    Ok((meta.len(), meta.modified().ok()))
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
    let mut moved: Vec<Moved> = Vec::new();
    // While files are settling, look again soon; otherwise wait for an event or the interval.
    let tick = Duration::from_millis(100).min(folder.settle.max(Duration::from_millis(20)));
    while !stop.load(Ordering::Relaxed) {
        moved.retain(|m| !m.check());
        let candidates = scan(&folder.path)?;
        let ready = tracker.ready(&candidates);
        for file in &ready {
            tracker.forget(file);
        }
        // Read in parallel, recorded and moved in order; a stop ends the batch early (the
        // files not begun stay for the next run).
        ingest_batch(
            pipeline,
            store,
            &folder.path,
            &ready,
            true,
            Some(stop),
            &mut |file, res| {
                let res = res.map(|(o, m)| {
                    moved.extend(m);
                    o
                });
                on_outcome(file, res);
            },
        )?;
        let wait = if candidates.is_empty() && moved.is_empty() {
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
            "po.pdf.lock",
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
