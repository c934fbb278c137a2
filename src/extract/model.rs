//! The ONNX token classifier: finding the ONNX Runtime library, loading the model once, and
//! running batched windows.
//!
//! Model contract (written by `models/training/`, described in `models/MODEL.md`):
//! inputs `input_ids` i64 [B,T], `attention_mask` i64 [B,T], `bbox` i64 [B,T,4] (x0,y0,x1,y1
//! scaled to 0..=1000 of the page); output `logits` f32 [B,T,L]; `model.json` beside it names
//! the L labels and the window length.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, TryLockError};

use ort::session::builder::PrepackedWeights;
use ort::session::Session;
use serde::Deserialize;

use super::ExtractError;

/// `models/model.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct ModelMeta {
    pub version: String,
    pub labels: Vec<String>,
    /// Tokens per window, special tokens included.
    pub max_len: usize,
    /// Tokens shared by consecutive windows.
    pub stride: usize,
}

/// The ONNX Runtime version the model and the `ort` crate are built for.
pub const ORT_VERSION: &str = "1.31.1";

/// Where the ONNX Runtime shared library is: `ORT_DYLIB_PATH`, next to the binary, then
/// Python's installed `onnxruntime` package.
pub fn find_ort_library() -> Result<PathBuf, ExtractError> {
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH") {
        let p = PathBuf::from(p);
        if p.is_file() {
            return Ok(p);
        }
        return Err(ExtractError::Setup(format!(
            "ORT_DYLIB_PATH points to {}, which is not a file",
            p.display()
        )));
    }
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(exe_dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        dirs.push(exe_dir.clone());
        dirs.push(exe_dir.join("lib"));
    }
    if let Some(p) = newest_library_in(&dirs) {
        return Ok(p);
    }
    // Then where Python's package was found the last time: asking Python again costs every
    // process start an interpreter (40 ms, over 100 behind pyenv's shims), which a
    // one-file `po-intake extract` would pay on every call.
    let cache = cache_file();
    if let Some(p) = cache.as_deref().and_then(cached_library) {
        return Ok(p);
    }
    // Only then ask Python where its onnxruntime package lives (pip install
    // onnxruntime==1.31.1).
    for py in ["python3", "python"] {
        let out = std::process::Command::new(py)
            .args([
                "-c",
                // find_spec locates the package without importing it (and numpy with it).
                "import importlib.util as u; print(u.find_spec('onnxruntime').submodule_search_locations[0])",
            ])
            .stderr(std::process::Stdio::null())
            .output();
        if let Ok(out) = out {
            if out.status.success() {
                let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
                if !dir.is_empty() {
                    if let Some(p) = newest_library_in(&[PathBuf::from(dir).join("capi")]) {
                        if let Some(cache) = &cache {
                            remember_library(cache, &p);
                        }
                        return Ok(p);
                    }
                    break;
                }
            }
        }
    }
    Err(ExtractError::Setup(format!(
        "the ONNX Runtime library was not found. Install it with `pip install onnxruntime=={ORT_VERSION}` \
         (po-intake finds it through python3), or set ORT_DYLIB_PATH to libonnxruntime.so.{ORT_VERSION}, \
         or put it next to the po-intake binary"
    )))
}

/// Where the path of the library Python found is remembered: `$XDG_CACHE_HOME/po-intake/`,
/// else `~/.cache/po-intake/`.
fn cache_file() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("po-intake").join("onnxruntime-library"))
}

/// The library path written in `cache`, while it still names a library file (a removed or
/// moved Python package sends the search back to Python).
fn cached_library(cache: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(cache).ok()?;
    let p = PathBuf::from(text.trim());
    let is_library = p
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("libonnxruntime.so"));
    (is_library && p.is_file()).then_some(p)
}

/// Best effort: a read-only home only costs the next start the Python probe again.
fn remember_library(cache: &Path, lib: &Path) {
    let written = cache
        .parent()
        .map(std::fs::create_dir_all)
        .transpose()
        .and_then(|_| std::fs::write(cache, lib.to_string_lossy().as_bytes()));
    if let Err(e) = written {
        tracing::debug!(
            "remembering the ONNX Runtime path in {}: {e}",
            cache.display()
        );
    }
}

/// The first of `dirs` holding a `libonnxruntime.so*`: its fully versioned name
/// (libonnxruntime.so.1.31.1) when there are several.
fn newest_library_in(dirs: &[PathBuf]) -> Option<PathBuf> {
    for d in dirs {
        let Ok(rd) = std::fs::read_dir(d) else {
            continue;
        };
        let mut found: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .map(|n| n.to_string_lossy().starts_with("libonnxruntime.so"))
                    .unwrap_or(false)
            })
            .collect();
        found.sort();
        if let Some(p) = found.pop() {
            return Some(p);
        }
    }
    None
}

static ENV: OnceLock<Result<ort::environment::Environment, String>> = OnceLock::new();

fn environment() -> Result<&'static ort::environment::Environment, ExtractError> {
    let env = ENV.get_or_init(|| {
        let lib = find_ort_library().map_err(|e| e.to_string())?;
        let builder = ort::init_from(&lib)
            .map_err(|e| format!("loading ONNX Runtime from {}: {e}", lib.display()))?;
        builder
            .with_name("po-intake")
            .build()
            .map_err(|e| format!("starting ONNX Runtime: {e}"))
    });
    env.as_ref().map_err(|e| ExtractError::Setup(e.clone()))
}

/// A loaded model: the weights once, and `sessions` ONNX Runtime sessions over them (they
/// share the prepacked weights), so that as many documents can be labelled at once. A run
/// takes a free session, or waits for one; inside a run ONNX Runtime parallelises with
/// `threads` threads.
pub struct Model {
    sessions: Vec<Mutex<Session>>,
    /// Round-robin start for the search of a free session.
    next: AtomicUsize,
    pub meta: ModelMeta,
}

impl Model {
    /// Load `model.onnx` and `model.json` from `dir` with `sessions` sessions (at least one)
    /// for parallel runs. `threads` = 0 lets the runtime pick.
    pub fn load_sessions(
        dir: &Path,
        threads: usize,
        sessions: usize,
    ) -> Result<Model, ExtractError> {
        let meta_path = dir.join("model.json");
        let meta_text = std::fs::read_to_string(&meta_path)
            .map_err(|e| ExtractError::Setup(format!("reading {}: {e}", meta_path.display())))?;
        let meta: ModelMeta = serde_json::from_str(&meta_text)
            .map_err(|e| ExtractError::Setup(format!("{} is invalid: {e}", meta_path.display())))?;
        let env = environment()?;
        let onnx = dir.join("model.onnx");
        let setup = |e: String| ExtractError::Setup(format!("loading {}: {e}", onnx.display()));
        let weights = PrepackedWeights::new();
        let build = || -> Result<Session, ExtractError> {
            let mut builder = Session::builder(env)
                .map_err(|e| setup(e.to_string()))?
                .with_prepacked_weights(&weights)
                .map_err(|e| setup(e.to_string()))?;
            if threads > 0 {
                builder = builder
                    .with_intra_threads(threads)
                    .map_err(|e| setup(e.to_string()))?;
            }
            builder
                .commit_from_file(&onnx)
                .map_err(|e| setup(e.to_string()))
        };
        // Each session parses and optimises the graph on its own: build them side by side
        // (a process start waits for the slowest, not for all of them in turn).
        let built: Vec<Result<Session, ExtractError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..sessions.max(1)).map(|_| scope.spawn(build)).collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(setup("a thread loading a model session panicked".into()))
                    })
                })
                .collect()
        });
        let mut pool = Vec::new();
        for session in built {
            pool.push(Mutex::new(session?));
        }
        Ok(Model {
            sessions: pool,
            next: AtomicUsize::new(0),
            meta,
        })
    }

    /// How many runs can go at once.
    pub fn sessions(&self) -> usize {
        self.sessions.len()
    }

    /// A free session, else the next one in turn (waiting for it).
    fn session(&self) -> Result<MutexGuard<'_, Session>, ExtractError> {
        let poisoned =
            || ExtractError::Inference("the model session was poisoned by a panic".into());
        let n = self.sessions.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for k in 0..n {
            if let Some(m) = self.sessions.get((start + k) % n) {
                match m.try_lock() {
                    Ok(guard) => return Ok(guard),
                    Err(TryLockError::Poisoned(_)) => return Err(poisoned()),
                    Err(TryLockError::WouldBlock) => {}
                }
            }
        }
        self.sessions
            .get(start % n)
            .ok_or_else(|| ExtractError::Inference("no model session".into()))?
            .lock()
            .map_err(|_| poisoned())
    }

    /// Run a batch of `batch` windows of `seq` tokens. Returns logits, row-major
    /// [batch, seq, labels].
    pub fn run(
        &self,
        input_ids: Vec<i64>,
        attention_mask: Vec<i64>,
        bbox: Vec<i64>,
        batch: usize,
        seq: usize,
    ) -> Result<Vec<f32>, ExtractError> {
        let err = |e: ort::Error| ExtractError::Inference(e.to_string());
        let ids = ort::value::Tensor::from_array((vec![batch as i64, seq as i64], input_ids))
            .map_err(err)?;
        let mask = ort::value::Tensor::from_array((vec![batch as i64, seq as i64], attention_mask))
            .map_err(err)?;
        let boxes = ort::value::Tensor::from_array((vec![batch as i64, seq as i64, 4], bbox))
            .map_err(err)?;
        let mut session = self.session()?;
        let outputs = session
            .run(ort::inputs!["input_ids" => ids, "attention_mask" => mask, "bbox" => boxes])
            .map_err(err)?;
        let (shape, data) = outputs["logits"].try_extract_tensor::<f32>().map_err(err)?;
        let want = batch * seq * self.meta.labels.len();
        if data.len() != want {
            return Err(ExtractError::Inference(format!(
                "the model returned logits of shape {shape:?}, expected [{batch}, {seq}, {}]",
                self.meta.labels.len()
            )));
        }
        Ok(data.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_library_is_used_while_it_exists() {
        let dir = tempfile::tempdir().unwrap();
        let lib = dir.path().join("capi").join("libonnxruntime.so.1.31.1");
        std::fs::create_dir_all(lib.parent().unwrap()).unwrap();
        std::fs::write(&lib, b"ELF").unwrap();
        let cache = dir
            .path()
            .join("cache")
            .join("po-intake")
            .join("onnxruntime-library");
        assert_eq!(cached_library(&cache), None, "nothing remembered yet");
        remember_library(&cache, &lib);
        assert_eq!(cached_library(&cache), Some(lib.clone()));
        // The package was removed or upgraded away: ask Python again.
        std::fs::remove_file(&lib).unwrap();
        assert_eq!(cached_library(&cache), None);
    }

    #[test]
    fn a_cache_naming_anything_but_the_library_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let other = dir.path().join("notes.txt");
        std::fs::write(&other, b"x").unwrap();
        let cache = dir.path().join("onnxruntime-library");
        std::fs::write(&cache, other.to_string_lossy().as_bytes()).unwrap();
        assert_eq!(cached_library(&cache), None);
    }
}
