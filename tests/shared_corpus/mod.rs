//! `../shared/corpus`: real-world PDFs and emails that sit beside the project in our workplace
//! and in CI, but not in a user's clone. Tests that need it skip with a printed reason when it
//! is absent, except under CI (`CI` set), where a missing corpus is a failure: CI must keep
//! running them.

use std::path::{Path, PathBuf};

/// The corpus folder, or `None` (after saying why) when this checkout has none.
pub fn dir() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if p.is_dir() {
        return Some(p);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing, and CI must run the corpus tests",
        p.display()
    );
    eprintln!(
        "skipped: {} is absent (a clone without ../shared)",
        p.display()
    );
    None
}
