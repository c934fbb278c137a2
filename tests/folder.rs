//! The foundation end to end: store, drop folder, crash recovery, bad inputs, CLI contract.

mod shared_corpus;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use po_intake::config::{Config, DropFolder, WatchMode};
use po_intake::domain::{Incoming, OrderState, SourceKind};
use po_intake::extract::Extractor;
use po_intake::intake::folder;
use po_intake::pipeline::{FileStatus, Pipeline};
use po_intake::store::{migrations, sha256_hex, DocStatus, IngestOutcome, Store, StoreError};

const PO_TEXT: &str = "ACME Manufacturing Inc\n\
Purchase Order No: PO-4711\n\
Order Date: 03/07/2025\n\
\n\
Qty   Item          Description            Unit Price    Amount\n\
10    BRG-6204-2RS  Ball bearing 6204      4.50          45.00\n\
\n\
Total USD 45.00\n";

fn po_text(n: u32) -> String {
    PO_TEXT.replace("PO-4711", &format!("PO-{n}"))
}

fn cfg(data: &Path) -> Config {
    let mut c = Config::embedded_default();
    c.data_dir = data.to_path_buf();
    c
}

fn incoming(name: &str, bytes: &[u8]) -> Incoming {
    Incoming {
        source: SourceKind::Folder,
        origin: "test".into(),
        file_name: name.into(),
        sender: None,
        received_at: Utc::now(),
        bytes: bytes.to_vec(),
    }
}

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_po-intake"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn migrations_on_a_fresh_and_an_existing_database() {
    let dir = tempfile::tempdir().unwrap();
    // An "existing" database made by an older build: only migration 1 applied, with data.
    {
        let conn = rusqlite::Connection::open(dir.path().join("po-intake.db")).unwrap();
        conn.execute_batch(migrations::MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO documents (sha256, source, origin, file_name, received_at, media_type, size, created_at)
             VALUES ('abc', 'folder', 'x', 'old.pdf', '2025-01-01T00:00:00Z', 'application/pdf', 3, '2025-01-01T00:00:00Z')",
            [],
        )
        .unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(
        store.schema_version().unwrap(),
        migrations::MIGRATIONS.len() as u32
    );
    assert_eq!(
        store.document_counts().unwrap(),
        vec![("stored".to_string(), 1)]
    );
    drop(store);
    // Reopening is a no-op.
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(
        store.schema_version().unwrap(),
        migrations::MIGRATIONS.len() as u32
    );

    let fresh = tempfile::tempdir().unwrap();
    let s = Store::open(fresh.path()).unwrap();
    assert_eq!(
        s.schema_version().unwrap(),
        migrations::MIGRATIONS.len() as u32
    );
    assert!(s.document_counts().unwrap().is_empty());
}

#[test]
fn a_database_from_a_newer_build_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let conn = rusqlite::Connection::open(dir.path().join("po-intake.db")).unwrap();
        conn.pragma_update(None, "user_version", 999).unwrap();
    }
    assert!(matches!(
        Store::open(dir.path()),
        Err(StoreError::SchemaTooNew { found: 999, .. })
    ));
}

#[test]
fn same_bytes_twice_is_one_document() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let a = store
        .ingest(&incoming("a.txt", b"hello"), "text/plain", None)
        .unwrap();
    let b = store
        .ingest(&incoming("copy-of-a.txt", b"hello"), "text/plain", None)
        .unwrap();
    let IngestOutcome::New(doc) = a else {
        panic!("first ingest must be new")
    };
    assert_eq!(b, IngestOutcome::Duplicate(doc.clone()));
    // The original is archived byte for byte under its hash.
    assert_eq!(doc.sha256, sha256_hex(b"hello"));
    assert_eq!(store.read_original(&doc.sha256).unwrap(), b"hello");

    // Through the pipeline the duplicate says which document it is.
    let config = cfg(dir.path());
    let extractor = Extractor::from_config(&config.extract).unwrap();
    let pipeline = Pipeline::new(&store, &config, &extractor).unwrap();
    let first = pipeline
        .handle(&mut store, &incoming("po.txt", po_text(1).as_bytes()))
        .unwrap();
    assert_eq!(first.status, FileStatus::Processed);
    assert_eq!(first.orders.len(), 1);
    let again = pipeline
        .handle(&mut store, &incoming("po-again.txt", po_text(1).as_bytes()))
        .unwrap();
    assert_eq!(again.status, FileStatus::Duplicate);
    let id = first.document_id.unwrap();
    assert_eq!(
        again.reason.as_deref(),
        Some(format!("already seen as document {id}").as_str())
    );
    assert_eq!(
        store.orders_for_document(id).unwrap().len(),
        1,
        "no second order"
    );
}

#[test]
fn crash_between_stored_and_moved_loses_and_doubles_nothing() {
    let data = tempfile::tempdir().unwrap();
    let dropdir = tempfile::tempdir().unwrap();
    let config = cfg(data.path());
    let extractor = Extractor::from_config(&config.extract).unwrap();
    fs::write(dropdir.path().join("a.txt"), po_text(1)).unwrap();
    fs::write(dropdir.path().join("b.txt"), po_text(2)).unwrap();
    {
        // Crash 1: a.txt stored and processed, the process dies before the move.
        let mut store = Store::open(data.path()).unwrap();
        let pipeline = Pipeline::new(&store, &config, &extractor).unwrap();
        let o = folder::ingest_file(
            &pipeline,
            &mut store,
            dropdir.path(),
            &dropdir.path().join("a.txt"),
            false,
        )
        .unwrap();
        assert_eq!(o.status, FileStatus::Processed);
        // Crash 2: b.txt's bytes are stored, the process dies before processing.
        let bytes = fs::read(dropdir.path().join("b.txt")).unwrap();
        let out = store
            .ingest(&incoming("b.txt", &bytes), "text/plain", None)
            .unwrap();
        assert_eq!(
            store.document_status(out.document().id).unwrap(),
            DocStatus::Stored
        );
    }
    // Restart: resume unfinished documents, then scan the folder again.
    let mut store = Store::open(data.path()).unwrap();
    let pipeline = Pipeline::new(&store, &config, &extractor).unwrap();
    let resumed = pipeline.resume(&mut store).unwrap();
    assert_eq!(resumed.len(), 1);
    assert_eq!(resumed[0].status, FileStatus::Processed);
    for f in folder::scan(dropdir.path()).unwrap() {
        let o = folder::ingest_file(&pipeline, &mut store, dropdir.path(), &f, true).unwrap();
        assert_eq!(o.status, FileStatus::Duplicate, "{}", o.file);
    }
    assert_eq!(files_in(dropdir.path()), Vec::<String>::new());
    assert_eq!(
        files_in(&dropdir.path().join("processed")),
        vec!["a.txt", "b.txt"]
    );
    assert_eq!(
        store.document_counts().unwrap(),
        vec![("processed".to_string(), 2)]
    );
    let accepted = store.orders_in_state(OrderState::Accepted).unwrap().len();
    let review = store.orders_in_state(OrderState::Review).unwrap().len();
    assert_eq!(accepted + review, 2, "exactly one order per PO");
}

#[test]
fn bad_files_end_in_failed_with_a_reason_and_the_batch_goes_on() {
    let data = tempfile::tempdir().unwrap();
    let dropdir = tempfile::tempdir().unwrap();
    let d = dropdir.path();
    fs::write(d.join("empty.pdf"), b"").unwrap();
    let random: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    fs::write(d.join("random.bin"), &random).unwrap();
    fs::write(d.join("broken.pdf"), b"%PDF-1.7\n1 0 obj << /Type /Catalog").unwrap();
    fs::write(
        d.join("image.png"),
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01",
    )
    .unwrap();
    fs::write(d.join("chat.txt"), "Thanks for the delivery!\nBest, Jo\n").unwrap();
    fs::write(d.join("good.txt"), po_text(7)).unwrap();
    fs::write(d.join("partial.pdf.part"), b"%PDF-1.4 still copying").unwrap();

    let out = bin()
        .args(["--json", "--data-dir"])
        .arg(data.path())
        .arg("ingest")
        .arg(d)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(3),
        "some files failed: exit 3\n{stdout}"
    );
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(
        lines.len(),
        6,
        "one line per input file (the .part file is skipped)"
    );
    for l in &lines {
        for k in ["file", "document_id", "status", "reason", "orders"] {
            assert!(l.get(k).is_some(), "key {k} missing in {l}");
        }
        let status = l["status"].as_str().unwrap();
        if l["file"] == "good.txt" {
            assert_eq!(status, "processed");
            let o = &l["orders"][0];
            assert_eq!(o["po_number"], "PO-7");
            for k in [
                "order_id",
                "po_number",
                "customer_id",
                "decision",
                "exceptions",
            ] {
                assert!(o.get(k).is_some(), "order key {k} missing");
            }
        } else {
            assert_eq!(status, "failed", "{l}");
            assert!(l["reason"].as_str().is_some_and(|r| !r.is_empty()));
        }
    }
    assert_eq!(files_in(&d.join("processed")), vec!["good.txt"]);
    let failed = files_in(&d.join("failed"));
    for f in [
        "empty.pdf",
        "random.bin",
        "broken.pdf",
        "image.png",
        "chat.txt",
    ] {
        assert!(
            failed.contains(&f.to_string()),
            "{f} in failed/: {failed:?}"
        );
        let reason = fs::read_to_string(d.join("failed").join(format!("{f}.reason.txt"))).unwrap();
        assert!(reason.len() > 5, "{f}: reason {reason:?}");
    }
    let chat = fs::read_to_string(d.join("failed/chat.txt.reason.txt")).unwrap();
    assert!(chat.starts_with("no_order"), "{chat}");
    let empty = fs::read_to_string(d.join("failed/empty.pdf.reason.txt")).unwrap();
    assert!(empty.starts_with("empty"), "{empty}");
    // Still being written: left alone.
    assert_eq!(files_in(d), vec!["partial.pdf.part"]);
    // Every original is kept, the failed ones too.
    let store = Store::open(data.path()).unwrap();
    let counts = store.document_counts().unwrap();
    assert_eq!(
        counts,
        vec![("failed".to_string(), 5), ("processed".to_string(), 1)]
    );
}

#[test]
fn watch_waits_for_a_slowly_written_file() {
    let data = tempfile::tempdir().unwrap();
    let dropdir = tempfile::tempdir().unwrap();
    let config = cfg(data.path());
    let folder_cfg = DropFolder {
        path: dropdir.path().to_path_buf(),
        mode: WatchMode::Events,
        poll_interval: Duration::from_secs(1),
        settle: Duration::from_millis(400),
    };
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(std::sync::Mutex::new(Vec::<(
        PathBuf,
        Option<i64>,
        FileStatus,
    )>::new()));
    let handle = {
        let (stop, seen, config) = (stop.clone(), seen.clone(), config.clone());
        std::thread::spawn(move || {
            let mut store = Store::open(&config.data_dir).unwrap();
            let extractor = Extractor::from_config(&config.extract).unwrap();
            let pipeline = Pipeline::new(&store, &config, &extractor).unwrap();
            folder::watch(&pipeline, &mut store, &folder_cfg, &stop, &mut |p, r| {
                let o = r.unwrap();
                seen.lock()
                    .unwrap()
                    .push((p.to_path_buf(), o.document_id, o.status));
            })
            .unwrap();
        })
    };
    // Write the PO in pieces, 150 ms apart (each gap shorter than the settle time).
    let text = po_text(42);
    let path = dropdir.path().join("slow.txt");
    let mut f = fs::File::create(&path).unwrap();
    for chunk in text.as_bytes().chunks(text.len() / 6 + 1) {
        f.write_all(chunk).unwrap();
        f.flush().unwrap();
        std::thread::sleep(Duration::from_millis(150));
    }
    drop(f);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while seen.lock().unwrap().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    stop.store(true, Ordering::Relaxed);
    handle.join().unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "picked up exactly once: {seen:?}");
    assert_eq!(seen[0].2, FileStatus::Processed);
    let store = Store::open(data.path()).unwrap();
    let doc = store.document(seen[0].1.unwrap()).unwrap().unwrap();
    assert_eq!(
        doc.sha256,
        sha256_hex(text.as_bytes()),
        "the whole file, not a prefix"
    );
    assert_eq!(
        files_in(&dropdir.path().join("processed")),
        vec!["slow.txt"]
    );
}

#[test]
fn audit_log_is_append_only_and_review_is_optimistically_locked() {
    let data = tempfile::tempdir().unwrap();
    let config = cfg(data.path());
    let mut store = Store::open(data.path()).unwrap();
    let extractor = Extractor::from_config(&config.extract).unwrap();
    let pipeline = Pipeline::new(&store, &config, &extractor).unwrap();
    // Missing unit price and amount: the order goes to review once rules exist; put it there.
    let o = pipeline
        .handle(&mut store, &incoming("po.txt", po_text(9).as_bytes()))
        .unwrap();
    let order_id = o.orders[0].order_id;
    let conn = rusqlite::Connection::open(data.path().join("po-intake.db")).unwrap();
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM audit_log", [], |r| r.get(0))
        .unwrap();
    assert!(n >= 3, "stored, order, processed: {n}");
    assert!(conn
        .execute("UPDATE audit_log SET actor = 'mallory'", [])
        .is_err());
    assert!(conn.execute("DELETE FROM audit_log", []).is_err());
    // Force the order into review to exercise the approve race.
    conn.execute(
        "UPDATE orders SET state = 'review' WHERE id = ?1",
        [order_id],
    )
    .unwrap();
    conn.execute("DELETE FROM outbox WHERE order_id = ?1", [order_id])
        .unwrap();
    let row = store.order(order_id).unwrap().unwrap();
    store
        .approve_order(order_id, Some(row.version), "alice")
        .unwrap();
    let second = store.approve_order(order_id, Some(row.version), "bob");
    assert!(matches!(second, Err(StoreError::Conflict(_))), "{second:?}");
    let outbox: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM outbox WHERE order_id = ?1",
            [order_id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(outbox, 1);
    let history = store.audit_for("order", order_id).unwrap();
    assert!(history
        .iter()
        .any(|h| h.actor == "alice" && h.action == "accepted"));
}

#[test]
fn extract_prints_the_contract_and_no_order_is_exit_zero() {
    let dir = tempfile::tempdir().unwrap();
    let po = dir.path().join("po.txt");
    fs::write(&po, po_text(5)).unwrap();
    let out = bin().arg("extract").arg(&po).output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["file"], "po.txt");
    assert_eq!(v["kind"], "txt");
    assert_eq!(v["orders"][0]["po_number"], "PO-5");
    assert_eq!(v["orders"][0]["order_date"], "2025-03-07");
    assert_eq!(v["orders"][0]["lines"][0]["quantity"], 10.0);

    let chat = dir.path().join("chat.txt");
    fs::write(&chat, "see you at the trade fair\n").unwrap();
    let out = bin().arg("extract").arg(&chat).output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["orders"], serde_json::json!([]));

    let broken = dir.path().join("broken.pdf");
    fs::write(&broken, b"%PDF-1.4 garbage").unwrap();
    let out = bin().arg("extract").arg(&broken).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.pdf"));
}

/// Every real-world file in ../shared/corpus goes through the whole pipeline (parse, extract,
/// rules, store): each ends processed or failed with a reason, and the batch never stops.
#[test]
fn the_wild_corpus_goes_through_the_pipeline() {
    let Some(corpus) = shared_corpus::dir() else {
        return;
    };
    for sub in ["pdf-wild", "eml-wild"] {
        let data = tempfile::tempdir().unwrap();
        let dir = corpus.join(sub);
        let out = bin()
            .args(["--json", "--data-dir"])
            .arg(data.path())
            .arg("ingest")
            .arg(&dir)
            .arg("--keep")
            .output()
            .unwrap();
        let code = out.status.code();
        assert!(
            code == Some(0) || code == Some(3),
            "{sub}: exit {code:?}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let n_files = folder::scan(&dir).unwrap().len();
        let mut n = 0;
        for l in stdout.lines() {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let status = v["status"].as_str().unwrap();
            assert!(
                status == "processed" || status == "failed" || status == "duplicate",
                "{v}"
            );
            if status == "failed" {
                assert!(v["reason"].as_str().is_some_and(|r| !r.is_empty()), "{v}");
            }
            n += 1;
        }
        assert_eq!(n, n_files, "{sub}: one line per file");
        // Nothing lost: every distinct file is a stored document.
        let store = Store::open(data.path()).unwrap();
        let stored: i64 = store
            .document_counts()
            .unwrap()
            .iter()
            .map(|(_, c)| c)
            .sum();
        assert!(stored as usize <= n_files && stored > 0);
    }
}

/// Issue 22 item 2: a document that kills the process (here by an abort injected when its
/// processing starts) stays `stored`; the next run resumes it and dies again; the run after
/// that sets it aside as `failed` ("crashed the reader twice") and processes the rest.
#[test]
fn a_document_that_crashes_the_reader_twice_is_quarantined() {
    let data = tempfile::tempdir().unwrap();
    let dropdir = tempfile::tempdir().unwrap();
    let d = dropdir.path();
    fs::write(d.join("poison.txt"), po_text(1)).unwrap();
    let run = || {
        bin()
            .args(["--json", "--data-dir"])
            .arg(data.path())
            .arg("ingest")
            .arg(d)
            .env("PO_INTAKE_TEST_ABORT_ON", "poison.txt")
            .output()
            .unwrap()
    };
    let status_of = |name: &str| {
        let store = Store::open(data.path()).unwrap();
        let bytes = fs::read(d.join(name))
            .or_else(|_| fs::read(d.join("failed").join(name)))
            .unwrap();
        let doc = store.document_by_sha(&sha256_hex(&bytes)).unwrap().unwrap();
        store.document_status(doc.id).unwrap()
    };
    for crash in 1..=2 {
        let out = run();
        assert!(!out.status.success(), "crash {crash}: {out:?}");
        assert_eq!(status_of("poison.txt"), DocStatus::Stored, "crash {crash}");
        // A good file dropped later must not wait behind the poison forever.
        fs::write(d.join(format!("good{crash}.txt")), po_text(10 + crash)).unwrap();
    }
    let out = run();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(3),
        "the poison file failed\n{stdout}"
    );
    match status_of("poison.txt") {
        DocStatus::Failed { code, reason } => {
            assert_eq!(code, "crashed");
            assert_eq!(reason, "crashed the reader twice");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        files_in(&d.join("processed")),
        vec!["good1.txt", "good2.txt"]
    );
}

/// Issue 22 item 6: the writer stops half-way for longer than the settle time, then goes on.
/// Whatever the watcher did with the half it saw, the complete file ends up stored and in
/// `processed/` (before the fix the half was stored and the rest written into the moved file).
#[test]
fn a_writer_that_pauses_longer_than_the_settle_time_loses_nothing() {
    let data = tempfile::tempdir().unwrap();
    let dropdir = tempfile::tempdir().unwrap();
    let config = cfg(data.path());
    let folder_cfg = DropFolder {
        path: dropdir.path().to_path_buf(),
        mode: WatchMode::Poll,
        poll_interval: Duration::from_millis(100),
        settle: Duration::from_millis(200),
    };
    let stop = Arc::new(AtomicBool::new(false));
    let handle = {
        let (stop, config) = (stop.clone(), config.clone());
        std::thread::spawn(move || {
            let mut store = Store::open(&config.data_dir).unwrap();
            let extractor = Extractor::from_config(&config.extract).unwrap();
            let pipeline = Pipeline::new(&store, &config, &extractor).unwrap();
            folder::watch(&pipeline, &mut store, &folder_cfg, &stop, &mut |_, _| {}).unwrap();
        })
    };
    let text = po_text(77);
    let (head, tail) = text.as_bytes().split_at(text.len() / 2);
    let path = dropdir.path().join("paused.txt");
    let mut f = fs::File::create(&path).unwrap();
    f.write_all(head).unwrap();
    f.flush().unwrap();
    // Seven settle times: the watcher reads the half, and has time to process and move it.
    std::thread::sleep(Duration::from_millis(1400));
    for chunk in tail.chunks(tail.len() / 4 + 1) {
        f.write_all(chunk).unwrap();
        f.flush().unwrap();
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(f);
    let full = sha256_hex(text.as_bytes());
    let done = || {
        let store = Store::open(data.path()).unwrap();
        let stored = store.document_by_sha(&full).unwrap().is_some();
        let moved = fs::read(dropdir.path().join("processed/paused.txt")).ok();
        stored && moved.as_deref() == Some(text.as_bytes())
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !done() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    stop.store(true, Ordering::Relaxed);
    handle.join().unwrap();
    assert!(done(), "the complete file is stored and moved");
}

/// Issue 22 item 11: a file over `max_file_bytes` is refused from its size alone: not read,
/// not archived, moved to failed/ with the reason. (A 600 MB sparse file; before, it was
/// read whole and archived, then rejected.)
#[test]
fn a_file_over_the_size_limit_is_refused_before_it_is_read() {
    let data = tempfile::tempdir().unwrap();
    let dropdir = tempfile::tempdir().unwrap();
    let d = dropdir.path();
    let big = fs::File::create(d.join("huge.pdf")).unwrap();
    big.set_len(600 << 20).unwrap();
    drop(big);
    fs::write(d.join("good.txt"), po_text(5)).unwrap();
    let out = bin()
        .args(["--json", "--data-dir"])
        .arg(data.path())
        .arg("ingest")
        .arg(d)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    let huge: serde_json::Value = stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|l| l["file"] == "huge.pdf")
        .expect("a line for huge.pdf");
    assert_eq!(huge["status"], "failed");
    assert_eq!(huge["document_id"], serde_json::Value::Null);
    assert!(
        huge["reason"].as_str().unwrap().starts_with("too_large"),
        "{huge}"
    );
    let reason = fs::read_to_string(d.join("failed/huge.pdf.reason.txt")).unwrap();
    assert!(reason.starts_with("too_large"), "{reason}");
    // Nothing of it in the store or the archive.
    let store = Store::open(data.path()).unwrap();
    assert_eq!(
        store.document_counts().unwrap(),
        vec![("processed".to_string(), 1)]
    );
    let archived: u64 = walk(&data.path().join("archive"));
    assert!(archived < 1 << 20, "{archived} bytes archived");
}

/// Total size of the files under `dir`.
fn walk(dir: &Path) -> u64 {
    fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| match e.file_type() {
                    Ok(t) if t.is_dir() => walk(&e.path()),
                    _ => e.metadata().map_or(0, |m| m.len()),
                })
                .sum()
        })
        .unwrap_or(0)
}

/// Issue 22 item 5: extraction time grows faster than the words, so an input over
/// `limits.max_words` is rejected with the reason before the model sees it.
#[test]
fn a_document_over_the_word_limit_is_rejected_before_extraction() {
    let data = tempfile::tempdir().unwrap();
    let mut config = cfg(data.path());
    config.limits.max_words = 2000;
    let extractor = Extractor::from_config(&config.extract).unwrap();
    let mut store = Store::open(data.path()).unwrap();
    let pipeline = Pipeline::new(&store, &config, &extractor).unwrap();
    let notes = "please deliver to the back door of the warehouse after noon\n".repeat(300);
    let long = format!("{}\n{notes}", po_text(9));
    let o = pipeline
        .handle(&mut store, &incoming("long.txt", long.as_bytes()))
        .unwrap();
    assert_eq!(o.status, FileStatus::Failed, "{o:?}");
    let reason = o.reason.unwrap_or_default();
    assert!(
        reason.starts_with("limit_exceeded") && reason.contains("max_words"),
        "{reason}"
    );
    // The same PO without the notes is read.
    let o = pipeline
        .handle(&mut store, &incoming("short.txt", po_text(9).as_bytes()))
        .unwrap();
    assert_eq!(o.status, FileStatus::Processed, "{o:?}");
}

/// Issue 22 item 12: `review approve` refuses an order flagged `duplicate_po` unless
/// `--force` says the reviewer means it.
#[test]
fn approving_a_possible_duplicate_from_the_cli_needs_force() {
    use po_intake::domain::{CheckResult, Exception, ExceptionCode, Field, Order};
    use po_intake::store::NewOrder;
    let data = tempfile::tempdir().unwrap();
    let id = {
        let mut store = Store::open(data.path()).unwrap();
        let doc = store
            .ingest(
                &incoming("po.txt", po_text(3).as_bytes()),
                "text/plain",
                None,
            )
            .unwrap();
        let order = Order {
            po_number: Some(Field::certain("PO-3".to_string())),
            ..Order::default()
        };
        let check = CheckResult {
            customer_id: None,
            currency: None,
            exceptions: vec![Exception {
                code: ExceptionCode::DuplicatePo,
                line: None,
                message: "PO PO-3 was already received.".into(),
                suggestion: None,
            }],
            lines: vec![],
        };
        store
            .record_orders(doc.document().id, &[NewOrder { order, check }])
            .unwrap()[0]
            .0
    };
    let approve = |force: bool| {
        let mut c = bin();
        c.arg("--data-dir")
            .arg(data.path())
            .args(["review", "approve", &id.to_string()]);
        if force {
            c.arg("--force");
        }
        c.output().unwrap()
    };
    let state = || {
        Store::open(data.path())
            .unwrap()
            .order(id)
            .unwrap()
            .unwrap()
            .state
    };
    let out = approve(false);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("duplicate_po"));
    assert_eq!(state(), OrderState::Review);
    let out = approve(true);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(state(), OrderState::Accepted);
}

/// A batch read by several readers at once (issue 21 item 6) is recorded as a one-by-one run
/// records it: the same outcomes, document and order ids in file order, and the same bytes
/// twice in one batch (the copy arriving while the first is still being read) is one document.
#[test]
fn a_batch_read_in_parallel_is_recorded_as_one_by_one() {
    let work = tempfile::tempdir().unwrap();
    let inbox = work.path().join("inbox");
    fs::create_dir_all(&inbox).unwrap();
    let texts = [
        po_text(1),
        po_text(2),
        po_text(1), // the bytes of 00: read while 00 may still be in a reader
        "Thank you for your order.\n".to_string(),
        po_text(3),
        PO_TEXT.replace("Total USD 45.00", "Total USD 45.00\n"), // PO-4711 twice by content
        PO_TEXT.to_string(),
        po_text(4),
    ];
    let mut files = Vec::new();
    for (i, t) in texts.iter().enumerate() {
        let f = inbox.join(format!("{i:02}.txt"));
        fs::write(&f, t).unwrap();
        files.push(f);
    }
    let summarise = |o: &po_intake::pipeline::FileOutcome| {
        let orders: Vec<String> = o
            .orders
            .iter()
            .map(|x| {
                format!(
                    "{} {:?} {} {:?}",
                    x.order_id, x.po_number, x.decision, x.exceptions
                )
            })
            .collect();
        format!("{} {:?} {:?} {:?}", o.file, o.status, o.document_id, orders)
    };

    // One by one, one model session.
    let one_dir = work.path().join("one");
    let one_cfg = cfg(&one_dir);
    let mut store = Store::open(&one_dir).unwrap();
    let extractor = Extractor::from_config(&one_cfg.extract).unwrap();
    let pipeline = Pipeline::new(&store, &one_cfg, &extractor).unwrap();
    let one: Vec<String> = files
        .iter()
        .map(|f| summarise(&folder::ingest_file(&pipeline, &mut store, &inbox, f, false).unwrap()))
        .collect();

    // In parallel: three readers, each with its own session.
    let par_dir = work.path().join("par");
    let mut par_cfg = cfg(&par_dir);
    par_cfg.extract.workers = 3;
    let mut store = Store::open(&par_dir).unwrap();
    let extractor = Extractor::for_workers(&par_cfg.extract).unwrap();
    assert_eq!(extractor.sessions(), 3);
    let pipeline = Pipeline::new(&store, &par_cfg, &extractor).unwrap();
    let mut par = Vec::new();
    folder::ingest_files(
        &pipeline,
        &mut store,
        &inbox,
        &files,
        false,
        &mut |_, res| par.push(summarise(&res.unwrap())),
    )
    .unwrap();

    assert_eq!(par, one);
    assert!(
        par[0].contains("Processed") && par[2].contains("Duplicate"),
        "{par:#?}"
    );
    assert!(par[3].contains("Failed"), "{par:#?}");
    // Every document is finished: nothing left `stored` for a resume to redo.
    assert!(store.unfinished_documents().unwrap().is_empty());
    // The reader threads' time is kept for every processed document (the extraction
    // latency histogram of /metrics).
    let processed = store
        .document_counts()
        .unwrap()
        .into_iter()
        .find(|(k, _)| k == "processed")
        .map_or(0, |(_, n)| n);
    let h = store.extraction_seconds_histogram(&[60.0]).unwrap();
    assert!(processed >= 5, "{par:#?}");
    assert_eq!((h.count, h.buckets[0]), (processed, processed));
    assert!(h.sum > 0.0, "{h:?}");
}

/// Issue 21 item 5: what the reviewer's page shows of an email is kept when it is read.
#[test]
fn an_emails_sender_body_and_attachments_are_kept_when_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let config = cfg(dir.path());
    let mut store = Store::open(dir.path()).unwrap();
    let extractor = Extractor::from_config(&config.extract).unwrap();
    let pipeline = Pipeline::new(&store, &config, &extractor).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bytes = fs::read(root.join("fixtures/inbox/email_pdf_octet.eml")).unwrap();
    let out = pipeline
        .handle(&mut store, &incoming("email_pdf_octet.eml", &bytes))
        .unwrap();
    let id = out.document_id.unwrap();
    let kept = store.stored_email(id).unwrap().expect("an email summary");
    let parsed = po_intake::parse::parse(&bytes, "x.eml", &config.limits).unwrap();
    let meta = parsed.email.unwrap();
    assert_eq!(
        (&kept.meta.from, &kept.meta.subject),
        (&meta.from, &meta.subject)
    );
    assert!(!kept.body.trim().is_empty());
    let attachments = po_intake::parse::mime::email_attachments(&bytes, &config.limits).unwrap();
    let names: Vec<&str> = attachments.iter().map(|a| a.name.as_str()).collect();
    let kept_names: Vec<&str> = kept
        .meta
        .attachments
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(kept_names, names);
    assert!(kept
        .meta
        .attachments
        .iter()
        .any(|a| a.media_type == "application/pdf"));
    // Anything else keeps nothing.
    let txt = pipeline
        .handle(&mut store, &incoming("po.txt", po_text(9).as_bytes()))
        .unwrap();
    assert_eq!(store.stored_email(txt.document_id.unwrap()).unwrap(), None);
}

/// Issue 21 item 7: `po-intake backup DEST` copies a store in use into a data folder that
/// opens with every document and its original; a second backup copies only new originals.
#[test]
fn backup_makes_a_data_folder_that_opens_with_every_document() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let dest = work.path().join("backup");
    let mut store = Store::open(&data).unwrap();
    for n in 0..3 {
        store
            .ingest(
                &incoming(&format!("{n}.txt"), po_text(n).as_bytes()),
                "text/plain",
                None,
            )
            .unwrap();
    }
    let backup = || -> serde_json::Value {
        let out = bin()
            .args(["--data-dir", data.to_str().unwrap(), "--json", "backup"])
            .arg(&dest)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    // Another connection holds the database open while the backup runs.
    let reader = Store::open(&data).unwrap();
    assert_eq!(backup()["archive_copied"], 3);
    drop(reader);
    store
        .ingest(
            &incoming("3.txt", po_text(3).as_bytes()),
            "text/plain",
            None,
        )
        .unwrap();
    let report = backup();
    assert_eq!(
        (
            report["archive_copied"].as_u64(),
            report["archive_kept"].as_u64()
        ),
        (Some(1), Some(3))
    );
    let restored = Store::open(&dest).unwrap();
    for n in 0..4u32 {
        let doc = restored
            .document_by_sha(&sha256_hex(po_text(n).as_bytes()))
            .unwrap()
            .unwrap_or_else(|| panic!("document {n} not in the backup"));
        assert_eq!(
            restored.read_original(&doc.sha256).unwrap(),
            po_text(n).into_bytes()
        );
    }
    // Backing up onto the data folder itself is refused.
    let out = bin()
        .args(["--data-dir", data.to_str().unwrap(), "backup"])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}
