//! `--log-format json` (issue 21 item 4): the real binary's stderr is JSON lines, every one
//! of them, with the event's fields typed.

mod store_common;

use std::process::Command;

use serde_json::Value;

#[test]
fn json_logs_parse_line_by_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let order_id = store_common::one_accepted_order(&data, "PO-LOG-1");
    // `push` with the default file connector: the delivery is logged at debug with its order.
    let out = Command::new(env!("CARGO_BIN_EXE_po-intake"))
        .args(["--log-format", "json", "--data-dir"])
        .arg(&data)
        .arg("push")
        .env("RUST_LOG", "debug")
        .output()
        .expect("run po-intake");
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(!lines.is_empty(), "no log lines at debug");
    let mut events = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("stderr line {n} is not JSON ({e}): {line}"));
        for key in ["timestamp", "level", "target", "thread", "message"] {
            assert!(v[key].is_string(), "line {n} lacks {key}: {line}");
        }
        events.push(v);
    }
    let delivered = events
        .iter()
        .find(|v| v["message"] == "delivered")
        .unwrap_or_else(|| panic!("no 'delivered' event in:\n{stderr}"));
    assert_eq!(delivered["level"], "DEBUG");
    assert_eq!(delivered["fields"]["order_id"], order_id);
}

#[test]
fn an_unknown_log_format_is_a_usage_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_po-intake"))
        .args(["--log-format", "xml", "status"])
        .output()
        .expect("run po-intake");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn under_json_logs_the_commands_own_notices_are_json_lines_too() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).expect("inbox");
    std::fs::write(inbox.join("broken.pdf"), b"%PDF-1.4 not really a pdf").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_po-intake"))
        .args(["--log-format", "json", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("ingest")
        .arg(&inbox)
        .arg("--keep")
        .env("RUST_LOG", "info")
        .output()
        .expect("run po-intake");
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    let events: Vec<Value> = stderr
        .lines()
        .enumerate()
        .map(|(n, line)| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("stderr line {n} is not JSON ({e}): {line}"))
        })
        .collect();
    // The ingest summary, once plain lines, is one event now.
    assert!(
        events.iter().any(|v| v["target"] == "po_intake::cli"
            && v["message"].as_str().is_some_and(|m| m.contains("files"))),
        "{stderr}"
    );
}
