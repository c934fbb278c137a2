//! The `file` connector, the embedded default: one JSON file per order in a folder, named by
//! the order's idempotency key and written atomically (temp file, fsync, rename). A
//! re-delivery after a crash overwrites the same file, so a folder-watching OMS import never
//! sees an order twice.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{Connector, Delivery, SendFuture, SendOutcome};

/// Writes `<dir>/<idempotency key>.json`.
#[derive(Debug, Clone)]
pub struct FileConnector {
    dir: PathBuf,
}

impl FileConnector {
    pub fn new(dir: PathBuf) -> Self {
        FileConnector { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file an order is written to, or None if the key is not a safe file name.
    pub fn path_for(&self, key: &str) -> Option<PathBuf> {
        let safe = !key.is_empty()
            && key.len() <= 200
            && !key.starts_with('.')
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
        safe.then(|| self.dir.join(format!("{key}.json")))
    }

    fn write(&self, d: &Delivery) -> SendOutcome {
        let Some(path) = self.path_for(&d.idempotency_key) else {
            return SendOutcome::Reject {
                status: None,
                reason: format!(
                    "idempotency key {:?} is not a safe file name",
                    d.idempotency_key
                ),
            };
        };
        let retry = |what: &str, e: std::io::Error| SendOutcome::Retry {
            status: None,
            after: None,
            reason: format!("{what} {}: {e}", path.display()),
        };
        if let Err(e) = fs::create_dir_all(&self.dir) {
            return retry("creating the folder for", e);
        }
        let tmp = self.dir.join(format!(".{}.json.tmp", d.idempotency_key));
        let written = fs::File::create(&tmp).and_then(|mut f| {
            f.write_all(d.payload.as_bytes())?;
            f.write_all(b"\n")?;
            f.sync_all()
        });
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return retry("writing", e);
        }
        if let Err(e) = fs::rename(&tmp, &path) {
            let _ = fs::remove_file(&tmp);
            return retry("renaming into", e);
        }
        // Make the rename itself durable; a failure here is not worth a re-delivery.
        if let Ok(dir) = fs::File::open(&self.dir) {
            let _ = dir.sync_all();
        }
        SendOutcome::Delivered { status: None }
    }
}

impl Connector for FileConnector {
    fn send<'a>(&'a self, delivery: &'a Delivery) -> SendFuture<'a> {
        let this = self.clone();
        let d = delivery.clone();
        Box::pin(async move {
            match tokio::task::spawn_blocking(move || this.write(&d)).await {
                Ok(outcome) => outcome,
                Err(e) => SendOutcome::Retry {
                    status: None,
                    after: None,
                    reason: format!("file writer task failed: {e}"),
                },
            }
        })
    }

    fn max_duration(&self) -> Duration {
        Duration::from_secs(30)
    }

    fn describe(&self) -> String {
        format!("file:{}", self.dir.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_are_not_plain_names_are_refused() {
        let c = FileConnector::new(PathBuf::from("/tmp/x"));
        assert!(c.path_for("po-intake-1-2").is_some());
        assert!(c.path_for("../etc/passwd").is_none());
        assert!(c.path_for("a/b").is_none());
        assert!(c.path_for(".hidden").is_none());
        assert!(c.path_for("").is_none());
    }
}
