//! Issue 22 item 9: two writers on one store. Two `ingest` processes at once, and one `watch`
//! with two drop folders (a pipeline thread each), must both finish every file without
//! "database is locked".

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use po_intake::store::Store;

const FILES: u32 = 15;

fn po_text(n: u32) -> String {
    format!(
        "ACME Manufacturing Inc\nPurchase Order No: PO-{n}\nOrder Date: 03/07/2025\n\n\
         Qty   Item          Description            Unit Price    Amount\n\
         {n}    BRG-6204-2RS  Ball bearing 6204      4.50          {}.00\n\nTotal USD {}.00\n",
        n * 4,
        n * 4
    )
}

fn fill(dir: &Path, first: u32) {
    fs::create_dir_all(dir).unwrap();
    for n in first..first + FILES {
        fs::write(dir.join(format!("po-{n}.txt")), po_text(n)).unwrap();
    }
}

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_po-intake"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

/// `po-intake --json ingest <dir>` on the store in `data`, running.
fn spawn_ingest(data: &Path, dir: &Path) -> std::process::Child {
    bin()
        .args(["--json", "--data-dir"])
        .arg(data)
        .arg("ingest")
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn processed(data: &Path) -> i64 {
    let store = Store::open(data).unwrap();
    store
        .document_counts()
        .unwrap()
        .into_iter()
        .find(|(s, _)| s == "processed")
        .map_or(0, |(_, n)| n)
}

#[test]
fn two_ingest_processes_on_one_store() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    // Both runs open a fresh store at once: migrations race too.
    let runs: Vec<_> = [100, 200]
        .into_iter()
        .map(|first| {
            let dir = tmp.path().join(format!("in{first}"));
            fill(&dir, first);
            spawn_ingest(&data, &dir)
        })
        .collect();
    for run in runs {
        let out = run.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            !stderr.contains("locked") && !stdout.contains("locked"),
            "{stderr}\n{stdout}"
        );
        assert_eq!(out.status.code(), Some(0), "{stderr}\n{stdout}");
    }
    assert_eq!(processed(&data), i64::from(2 * FILES));
}

/// The same files in two folders, ingested by two processes at once: each document once.
#[test]
fn two_ingest_processes_with_the_same_files() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    drop(Store::open(&data).unwrap());
    let runs: Vec<_> = ["x", "y"]
        .into_iter()
        .map(|name| {
            let dir = tmp.path().join(name);
            fill(&dir, 300);
            spawn_ingest(&data, &dir)
        })
        .collect();
    for run in runs {
        let out = run.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
    }
    assert_eq!(processed(&data), i64::from(FILES));
}

#[test]
fn one_watch_with_two_drop_folders() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    fs::create_dir_all(&a).unwrap();
    fs::create_dir_all(&b).unwrap();
    let cfg = tmp.path().join("po-intake.toml");
    let folder = |p: &Path| {
        format!(
            "[[drop_folders]]\npath = {:?}\nmode = \"poll\"\npoll_interval_secs = 1\nsettle_ms = 100\n",
            p.display().to_string()
        )
    };
    fs::write(
        &cfg,
        format!(
            "data_dir = {:?}\n{}{}",
            data.display().to_string(),
            folder(&a),
            folder(&b)
        ),
    )
    .unwrap();
    // The store exists before the watcher starts, then both folders fill at once.
    drop(Store::open(&data).unwrap());
    let mut watch = bin()
        .arg("--config")
        .arg(&cfg)
        .arg("watch")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    fill(&a, 100);
    fill(&b, 200);
    let deadline = Instant::now() + Duration::from_secs(120);
    while processed(&data) < i64::from(2 * FILES) && Instant::now() < deadline {
        if watch.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = watch.kill();
    let out = watch.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("locked"), "{stderr}");
    assert_eq!(processed(&data), i64::from(2 * FILES), "{stderr}");
}
