//! The shipped extraction model: it loads, it is what the pipeline uses, and its accuracy on
//! the held-out evaluation set (layout families it never trained on) stays above a floor.

use std::path::Path;

use po_intake::config::{Config, ExtractConfig};
use po_intake::eval::evaluate_dir;
use po_intake::extract::Extractor;

/// Floors a little under the figures in models/MODEL.md, so a regression fails CI.
/// `fixtures/eval` (model 0.4.0, decoder of 2026-12-02, fourth session: header 1.000,
/// lines 0.997).
const LINES_F1_FLOOR: f64 = 0.97;
const HEADER_F1_FLOOR: f64 = 0.97;
/// `fixtures/eval_fresh`, scored only until 2026-12-02, when three of its documents were read
/// for errors (0.983 / 0.982).
/// Lowered from 0.96 when the generic table pass landed (0.956 here, real-dev line F1 0.463
/// -> 0.706: see models/MODEL.md).
const FRESH_LINES_F1_FLOOR: f64 = 0.95;
const FRESH_HEADER_F1_FLOOR: f64 = 0.96;
/// `fixtures/eval_blind`, never opened, only scored (0.981 / 0.983).
const BLIND_LINES_F1_FLOOR: f64 = 0.96;
const BLIND_HEADER_F1_FLOOR: f64 = 0.96;
/// `fixtures/eval_sealed`, never opened (0.977 / 0.980).
const SEALED_LINES_F1_FLOOR: f64 = 0.95;
const SEALED_HEADER_F1_FLOOR: f64 = 0.95;
/// `fixtures/eval_final`, made after the last rule and only scored to report it (0.977 /
/// 0.987).
const FINAL_LINES_F1_FLOOR: f64 = 0.96;
const FINAL_HEADER_F1_FLOOR: f64 = 0.95;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn extractor() -> Extractor {
    let dir = root().join("models");
    assert!(
        dir.join("model.onnx").is_file(),
        "models/model.onnx must ship with the crate"
    );
    let cfg = ExtractConfig {
        model_dir: Some(dir),
        threads: 2,
        ..ExtractConfig::default()
    };
    match Extractor::from_config(&cfg) {
        Ok(e) => e,
        Err(e) => panic!("the model did not load: {e}"),
    }
}

#[test]
fn the_default_extractor_is_the_shipped_model() {
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("models/model.json")).unwrap())
            .unwrap();
    let default = Extractor::from_config(&ExtractConfig::default()).unwrap();
    assert_eq!(default.version(), meta["version"].as_str().unwrap());
    assert_eq!(extractor().version(), default.version());
}

#[test]
fn a_missing_model_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = ExtractConfig {
        model_dir: Some(dir.path().to_path_buf()),
        threads: 1,
        ..ExtractConfig::default()
    };
    let err = Extractor::from_config(&cfg)
        .err()
        .expect("no model, no extractor")
        .to_string();
    assert!(err.contains("model.onnx"), "{err}");
}

fn f1_on(set: &str, min_docs: usize) -> (f64, f64) {
    let ex = extractor();
    let cfg = Config::embedded_default();
    let dir = root().join(set);
    let report = evaluate_dir(&dir.join("docs"), &dir.join("gold"), &cfg, &ex).unwrap();
    println!("{set}:\n{}", report.render());
    assert!(
        report.documents >= min_docs,
        "the eval set {set} shrank: {}",
        report.documents
    );
    (report.header_total.f1(), report.lines_total.f1())
}

/// Scores `set` and fails when header or line-item F1 is under its floor.
fn assert_floors(set: &str, min_docs: usize, header_floor: f64, lines_floor: f64) {
    let (h, l) = f1_on(set, min_docs);
    assert!(
        l >= lines_floor,
        "{set}: line-item F1 {l:.3} < {lines_floor}"
    );
    assert!(
        h >= header_floor,
        "{set}: header F1 {h:.3} < {header_floor}"
    );
}

#[test]
fn accuracy_on_held_out_families_stays_above_the_floor() {
    assert_floors("fixtures/eval", 20, HEADER_F1_FLOOR, LINES_F1_FLOOR);
}

#[test]
fn accuracy_on_the_second_held_out_set_stays_above_the_floor() {
    assert_floors(
        "fixtures/eval_fresh",
        30,
        FRESH_HEADER_F1_FLOOR,
        FRESH_LINES_F1_FLOOR,
    );
}

#[test]
fn accuracy_on_the_never_opened_set_stays_above_the_floor() {
    assert_floors(
        "fixtures/eval_blind",
        30,
        BLIND_HEADER_F1_FLOOR,
        BLIND_LINES_F1_FLOOR,
    );
}

#[test]
fn accuracy_on_the_sealed_set_stays_above_the_floor() {
    assert_floors(
        "fixtures/eval_sealed",
        30,
        SEALED_HEADER_F1_FLOOR,
        SEALED_LINES_F1_FLOOR,
    );
}

#[test]
fn accuracy_on_the_set_made_after_the_last_rule_stays_above_the_floor() {
    assert_floors(
        "fixtures/eval_final",
        30,
        FINAL_HEADER_F1_FLOOR,
        FINAL_LINES_F1_FLOOR,
    );
}

/// `fixtures/email_dev` (orders written in generated emails; body rules were chosen on it:
/// line 0.950, header 0.913 by `po-intake eval` at the email branch) and
/// `fixtures/email_heldout` (only scored: 0.861 / 0.878).
const EMAIL_DEV_LINES_F1_FLOOR: f64 = 0.93;
const EMAIL_DEV_HEADER_F1_FLOOR: f64 = 0.89;
const EMAIL_HELDOUT_LINES_F1_FLOOR: f64 = 0.84;
const EMAIL_HELDOUT_HEADER_F1_FLOOR: f64 = 0.85;

#[test]
fn accuracy_on_orders_written_in_emails_stays_above_the_floor() {
    assert_floors(
        "fixtures/email_dev",
        60,
        EMAIL_DEV_HEADER_F1_FLOOR,
        EMAIL_DEV_LINES_F1_FLOOR,
    );
    assert_floors(
        "fixtures/email_heldout",
        60,
        EMAIL_HELDOUT_HEADER_F1_FLOOR,
        EMAIL_HELDOUT_LINES_F1_FLOOR,
    );
}

/// (code, quantity) of every line of every order read from `bytes`.
fn lines_of(bytes: &[u8], name: &str) -> Vec<Vec<(String, f64)>> {
    let input =
        po_intake::parse::parse(bytes, name, &po_intake::parse::Limits::default()).expect("parse");
    extractor()
        .extract(&input)
        .orders
        .iter()
        .map(|o| {
            o.lines
                .iter()
                .map(|l| {
                    (
                        l.sku.as_ref().map(|f| f.value.clone()).unwrap_or_default(),
                        l.quantity.as_ref().map(|f| f.value).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .collect()
}

#[test]
fn orders_written_in_recorded_emails_are_read_without_their_history() {
    let read = |name: &str| {
        let bytes = std::fs::read(root().join("tests/data/email").join(name)).unwrap();
        lines_of(&bytes, name)
    };
    // An Outlook reply: its HTML table, not the quoted offer below it.
    assert_eq!(
        read("outlook_reply_de.eml"),
        [vec![("FST-M6-20".into(), 200.0), ("BRG-6205".into(), 12.0)]]
    );
    // A forward with no note: the forwarded message's list.
    assert_eq!(
        read("gmail_forward_only_fr.eml"),
        [vec![("SPK-14".into(), 12.0), ("GL-NIT-L".into(), 3.0)]]
    );
    // Free text above "> " quoted lines.
    assert_eq!(
        read("plain_reply_free_text_en.eml"),
        [vec![
            ("AB-100".into(), 10.0),
            ("CD-200".into(), 5.0),
            ("CHN-08B".into(), 4.0)
        ]]
    );
}

#[test]
fn a_cover_email_beside_a_po_attachment_gives_exactly_one_order() {
    let pdf = std::fs::read(root().join("tests/data/parse/po_reportlab.pdf")).unwrap();
    let mut b64 = String::new();
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (i, chunk) in pdf.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            b64.push_str("\r\n");
        }
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            b64.push(if k <= chunk.len() {
                A[((n >> (18 - 6 * k)) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    for note in [
        "Hello,\r\n\r\nplease find attached PO 4711.\r\n\r\nRegards,\r\nAnna\r\nMueller Anlagenbau GmbH\r\n",
        "FYI\r\n\r\n-----Original Message-----\r\nFrom: Anna <a@x.example>\r\nSent: Monday\r\nSubject: PO 4711\r\n\r\nPlease find our order attached.\r\n",
    ] {
        let mail = format!(
            "From: Anna <a@x.example>\r\nTo: orders@y.example\r\nSubject: FW: PO 4711\r\n\
             Date: Tue, 5 Mar 2024 09:15:00 +0100\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
             --b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{note}\r\n\
             --b1\r\nContent-Type: application/pdf; name=\"po.pdf\"\r\n\
             Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"po.pdf\"\r\n\r\n\
             {b64}\r\n--b1--\r\n"
        );
        let orders = lines_of(mail.as_bytes(), "cover.eml");
        assert_eq!(orders.len(), 1, "{note}: {orders:?}");
        assert!(!orders[0].is_empty(), "{note}: {orders:?}");
    }
}
