//! EDI intake (issue 20 item 1): X12 850 and EDIFACT ORDERS read by the standard, several
//! messages per interchange, broken interchanges kept with a reason. Public samples and their
//! licences: `tests/data/edi/README.md`.

use std::path::{Path, PathBuf};
use std::process::Command;

use po_intake::domain::{DocKind, Order};
use po_intake::parse::edi::{EdiRead, DAMAGED_CONFIDENCE};
use po_intake::parse::{self, Limits, ParseError, PartContent};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/edi")
        .join(name)
}

fn read_bytes(name: &str, bytes: &[u8]) -> Result<EdiRead, ParseError> {
    let input = parse::parse(bytes, name, &Limits::default())?;
    assert_eq!(input.kind, DocKind::Edi, "{name}");
    match input.parts.into_iter().next().map(|p| p.content) {
        Some(PartContent::Parsed { doc }) => Ok(*doc.edi.expect("an EDI read")),
        other => panic!("{name}: {other:?}"),
    }
}

fn read(name: &str) -> EdiRead {
    let bytes = std::fs::read(data(name)).expect("fixture");
    read_bytes(name, &bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A line as (sku, customer_part, description, quantity, uom, unit_price, price_unit, amount).
type Row = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<f64>,
    Option<String>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
);

fn rows(o: &Order) -> Vec<Row> {
    o.lines
        .iter()
        .map(|l| {
            (
                l.sku.as_ref().map(|f| f.value.clone()),
                l.customer_part.as_ref().map(|f| f.value.clone()),
                l.description.as_ref().map(|f| f.value.clone()),
                l.quantity.as_ref().map(|f| f.value),
                l.uom.as_ref().map(|f| f.value.clone()),
                l.unit_price.as_ref().map(|f| f.value),
                l.price_unit.as_ref().map(|f| f.value),
                l.amount.as_ref().map(|f| f.value),
            )
        })
        .collect()
}

/// One expected line, every field named in the order of [`Row`].
#[allow(clippy::too_many_arguments)]
fn row(
    sku: Option<&str>,
    part: Option<&str>,
    desc: Option<&str>,
    qty: f64,
    uom: &str,
    price: Option<f64>,
    per: Option<f64>,
    amount: Option<f64>,
) -> Row {
    (
        sku.map(str::to_string),
        part.map(str::to_string),
        desc.map(str::to_string),
        Some(qty),
        Some(uom.to_string()),
        price,
        per,
        amount,
    )
}

fn po(o: &Order) -> Option<&str> {
    o.po_number.as_ref().map(|f| f.value.as_str())
}

fn date(o: &Order) -> Option<String> {
    o.order_date.as_ref().map(|f| f.value.to_string())
}

/// Every value of every order is certain (or every one is damaged).
fn confidences(o: &Order) -> Vec<f32> {
    let mut v: Vec<f32> = [
        o.po_number.as_ref().map(|f| f.confidence),
        o.order_date.as_ref().map(|f| f.confidence),
        o.buyer.as_ref().map(|f| f.confidence),
    ]
    .into_iter()
    .flatten()
    .collect();
    for l in &o.lines {
        v.extend(
            [
                l.sku.as_ref().map(|f| f.confidence),
                l.quantity.as_ref().map(|f| f.confidence),
                l.unit_price.as_ref().map(|f| f.confidence),
            ]
            .into_iter()
            .flatten(),
        );
    }
    v
}

#[test]
fn an_x12_interchange_with_three_sets_gives_one_order_per_850() {
    let r = read("x12-850-three-sets.edi");
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    // Two 850s and one 810 invoice: two orders.
    assert_eq!(r.orders.len(), 2);
    let (a, b) = (&r.orders[0], &r.orders[1]);
    assert_eq!(po(a), Some("PO-77001"));
    assert_eq!(date(a).as_deref(), Some("2026-11-30"));
    assert_eq!(
        a.buyer.as_ref().map(|f| f.value.as_str()),
        Some("Acme Retail GmbH")
    );
    assert_eq!(a.currency.as_ref().map(|f| f.value.as_str()), Some("EUR"));
    assert_eq!(
        a.ship_to.as_ref().map(|f| f.value.as_str()),
        Some("Acme Lager Nord, Hafenstrasse 12, Hamburg 20457, DE")
    );
    assert_eq!(a.total.as_ref().map(|f| f.value), Some(144.0));
    assert_eq!(
        rows(a),
        vec![
            row(
                Some("BRG-6001-2RS"),
                Some("ACME-778"),
                Some("Deep groove ball bearing 6001 2RS"),
                12.0,
                "EA",
                Some(4.5),
                None,
                None
            ),
            row(
                Some("GLV-NIT-L"),
                Some("ACME-1203"),
                Some("Nitrile gloves L box of 100"),
                3.0,
                "CS",
                Some(20.0),
                None,
                None
            ),
            row(
                Some("SCR-M4-20"),
                None,
                Some("Screw M4x20 A2"),
                250.0,
                "EA",
                Some(12.0),
                Some(100.0),
                None
            ),
        ]
    );
    assert_eq!(po(b), Some("PO-77002"));
    assert_eq!(
        rows(b),
        vec![row(
            Some("TOOL-KIT-A"),
            None,
            Some("Tool kit A"),
            1.0,
            "EA",
            Some(99.9),
            None,
            None
        )]
    );
    for o in &r.orders {
        assert!(confidences(o).iter().all(|c| *c == 1.0), "{o:?}");
    }
}

#[test]
fn x12_separators_come_from_the_envelope() {
    // `|` elements, `:` components, a line break ends each segment, X12 5010.
    let r = read("x12-850-pipe-newline.edi");
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(r.orders.len(), 1);
    let o = &r.orders[0];
    assert_eq!(po(o), Some("4500123"));
    assert_eq!(
        o.buyer.as_ref().map(|f| f.value.as_str()),
        Some("Northwind Traders")
    );
    assert_eq!(
        rows(o),
        vec![
            row(
                Some("PEN-BLUE-10"),
                Some("NW-55"),
                Some("Ballpoint pens, blue, box of 10"),
                5.0,
                "BX",
                Some(18.75),
                None,
                None
            ),
            row(
                Some("CLIP-STEEL"),
                None,
                None,
                2.5,
                "KG",
                Some(7.4),
                None,
                None
            ),
        ]
    );
}

#[test]
fn the_public_x12_850_samples_give_every_line() {
    let r = read("x12-850-edinet.edi");
    assert_eq!(r.orders.len(), 1);
    let o = &r.orders[0];
    assert_eq!(po(o), Some("1000012"));
    assert_eq!(date(o).as_deref(), Some("2009-08-27"));
    assert_eq!(
        o.ship_to.as_ref().map(|f| f.value.as_str()),
        Some("John Doe, 126 Any St, Hauppauge NY 11788-1234, US")
    );
    assert_eq!(
        rows(o),
        vec![row(
            Some("0054321"),
            None,
            None,
            1.0,
            "EA",
            Some(19.95),
            None,
            None
        )]
    );
    // The sample's IEA02 repeats another control number: noted, but no data is missing, so
    // the values stay certain.
    assert!(
        r.problems.iter().any(|p| p.contains("IEA02")),
        "{:?}",
        r.problems
    );
    assert!(confidences(o).iter().all(|c| *c == 1.0));

    let r = read("x12-850a-edinet.edi");
    // The same sample habit: only the IEA02 reference differs.
    assert!(
        r.problems.iter().all(|p| p.contains("IEA02")),
        "{:?}",
        r.problems
    );
    let o = &r.orders[0];
    assert_eq!(po(o), Some("4600000406"));
    assert_eq!(o.currency.as_ref().map(|f| f.value.as_str()), Some("USD"));
    // N1*BY names no one: the bill-to party is the buyer.
    assert_eq!(
        o.buyer.as_ref().map(|f| f.value.as_str()),
        Some("Test Inc.")
    );
    let vn = Some("SINGLE LINE DIAMOND PATTERN");
    assert_eq!(
        rows(o),
        vec![
            row(
                vn,
                Some("A_QU001-BLK"),
                Some("4.4oz 3\" Diamond Quilt"),
                2500.0,
                "YD",
                Some(2.53),
                None,
                None
            ),
            row(
                vn,
                Some("A_QF001-BLK"),
                Some("8oz Quilted Flannel"),
                2000.0,
                "YD",
                Some(3.41),
                None,
                None
            ),
            row(
                vn,
                Some("A_QF001-RED"),
                Some("8oz Quilted Flannel"),
                1000.0,
                "YD",
                Some(3.41),
                None,
                None
            ),
        ]
    );
}

#[test]
fn an_x12_invoice_alone_is_no_order() {
    let r = read("x12-810a-edinet.edi");
    assert!(r.orders.is_empty());
}

#[test]
fn the_public_edifact_d01b_orders_gives_all_146_lines() {
    let r = read("edifact-orders-d01b-phpedifact.edi");
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(r.orders.len(), 1);
    let o = &r.orders[0];
    assert_eq!(po(o), Some("2019265563"));
    assert_eq!(date(o).as_deref(), Some("2018-12-05"));
    // The sample's umlauts were already lost upstream (U+FFFD in the file); the release
    // character in "A?+A" is honoured.
    let buyer = o
        .buyer
        .as_ref()
        .map(|f| f.value.clone())
        .unwrap_or_default();
    assert!(buyer.starts_with("A+A K"), "{buyer}");
    assert_eq!(o.lines.len(), 146);
    let all = rows(o);
    assert_eq!(
        all[0],
        row(
            Some("1001"),
            Some("6001001"),
            Some("Butter 40x250g Alu"),
            2.0,
            "GBND",
            None,
            None,
            None
        )
    );
    assert_eq!(
        all[50],
        row(
            Some("5519"),
            Some("6005519"),
            Some("Gouda gerieben 48% 3-4mm 1kg Beutel"),
            12.0,
            "BTL",
            None,
            None,
            None
        )
    );
    assert_eq!(
        all[145],
        row(
            Some("983253"),
            Some("6983253"),
            Some("Sauce zu Braten Grundso\u{fffd}e Basic Line Eimer"),
            2.0,
            "GBND",
            None,
            None,
            None
        )
    );
    // Every line has its code, customer part, description and quantity.
    assert!(all
        .iter()
        .all(|r| r.0.is_some() && r.1.is_some() && r.2.is_some() && r.3.is_some()));
    let qty: f64 = all.iter().filter_map(|r| r.3).sum();
    assert!(qty > 146.0, "{qty}");
}

#[test]
fn an_edifact_d96a_interchange_with_two_orders_messages() {
    let r = read("edifact-orders-d96a-two-messages.edi");
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(r.orders.len(), 2);
    let (a, b) = (&r.orders[0], &r.orders[1]);
    assert_eq!(po(a), Some("BST-2026-0101"));
    assert_eq!(date(a).as_deref(), Some("2026-12-03"));
    assert_eq!(
        a.buyer.as_ref().map(|f| f.value.as_str()),
        Some("Baeckerei Korn & S+hne KG")
    );
    assert_eq!(
        a.ship_to.as_ref().map(|f| f.value.as_str()),
        Some("Filiale Altstadt, Markt 3, 50667 Koeln, DE")
    );
    assert_eq!(a.currency.as_ref().map(|f| f.value.as_str()), Some("EUR"));
    assert_eq!(a.subtotal.as_ref().map(|f| f.value), Some(92.1));
    assert_eq!(a.total.as_ref().map(|f| f.value), Some(109.6));
    // Decimal comma from UNA; a price per 100 from PRI's unit price basis.
    assert_eq!(
        rows(a),
        vec![
            row(
                Some("MEHL-405-25"),
                Some("K-17"),
                Some("Weizenmehl Type 405 25 kg Sack"),
                4.0,
                "PCE",
                Some(19.9),
                None,
                Some(79.6)
            ),
            row(
                Some("HEFE-500"),
                None,
                Some("Frischhefe 500 g"),
                10.0,
                "PCE",
                Some(125.0),
                Some(100.0),
                Some(12.5)
            ),
        ]
    );
    assert_eq!(po(b), Some("BST-2026-0102"));
    assert_eq!(
        rows(b),
        vec![row(
            Some("ZUCKER-1"),
            None,
            Some("Zucker 1 kg"),
            20.0,
            "PCE",
            Some(1.15),
            None,
            None
        )]
    );
    for o in &r.orders {
        assert!(confidences(o).iter().all(|c| *c == 1.0), "{o:?}");
    }
}

fn fixture_text(name: &str) -> String {
    std::fs::read_to_string(data(name)).expect("fixture")
}

#[test]
fn a_truncated_x12_interchange_keeps_what_it_has_for_review() {
    let text = fixture_text("x12-850-three-sets.edi");
    let cut = text.find("PID*F****Tool kit A~").expect("cut point");
    let r = read_bytes("cut.edi", &text.as_bytes()[..cut]).expect("readable");
    assert_eq!(r.orders.len(), 2);
    assert!(
        r.problems.iter().any(|p| p.contains("0002: no SE trailer")),
        "{:?}",
        r.problems
    );
    assert!(
        r.problems.iter().any(|p| p.contains("no IEA")),
        "{:?}",
        r.problems
    );
    // Nothing of a damaged interchange is trusted: every order goes to a person.
    for o in &r.orders {
        assert!(
            confidences(o).iter().all(|c| *c <= DAMAGED_CONFIDENCE),
            "{o:?}"
        );
    }
    assert_eq!(rows(&r.orders[1]).len(), 1);
}

#[test]
fn wrong_counts_are_named_and_the_message_is_not_trusted() {
    let text = fixture_text("x12-850-three-sets.edi").replace("CTT*3*265~", "CTT*4*265~");
    let r = read_bytes("counts.edi", text.as_bytes()).expect("readable");
    assert!(
        r.problems
            .iter()
            .any(|p| p.contains("CTT01 says 4 line items, 3 PO1 found")),
        "{:?}",
        r.problems
    );
    assert!(confidences(&r.orders[0])
        .iter()
        .all(|c| *c <= DAMAGED_CONFIDENCE));
    // The other transaction set is intact and stays certain.
    assert!(confidences(&r.orders[1]).iter().all(|c| *c == 1.0));

    let text = fixture_text("x12-850-three-sets.edi").replace("SE*11*0002~", "SE*12*0002~");
    let r = read_bytes("se.edi", text.as_bytes()).expect("readable");
    assert!(
        r.problems
            .iter()
            .any(|p| p.contains("SE says 12 segments, 11 found")),
        "{:?}",
        r.problems
    );

    let text =
        fixture_text("edifact-orders-d96a-two-messages.edi").replace("UNT+12+M2'", "UNT+13+M2'");
    let r = read_bytes("unt.edi", text.as_bytes()).expect("readable");
    assert!(
        r.problems
            .iter()
            .any(|p| p.contains("UNT says 13 segments, 12 found")),
        "{:?}",
        r.problems
    );
    assert!(confidences(&r.orders[0]).iter().all(|c| *c == 1.0));
    assert!(confidences(&r.orders[1])
        .iter()
        .all(|c| *c <= DAMAGED_CONFIDENCE));

    let text = fixture_text("edifact-orders-d96a-two-messages.edi").replace("CNT+2:2'", "CNT+2:3'");
    let r = read_bytes("cnt.edi", text.as_bytes()).expect("readable");
    assert!(
        r.problems.iter().any(|p| p.contains("CNT says 3 lines")),
        "{:?}",
        r.problems
    );

    let text = fixture_text("edifact-orders-d96a-two-messages.edi").replace("UNZ+2+", "UNZ+3+");
    let r = read_bytes("unz.edi", text.as_bytes()).expect("readable");
    assert!(
        r.problems
            .iter()
            .any(|p| p.contains("UNZ says 3 messages, 2 found")),
        "{:?}",
        r.problems
    );
}

#[test]
fn a_truncated_edifact_message_is_kept_for_review() {
    let text = fixture_text("edifact-orders-d96a-two-messages.edi");
    let cut = text.find("LIN+2++HEFE").expect("cut point");
    let r = read_bytes("cut.edi", &text.as_bytes()[..cut]).expect("readable");
    assert_eq!(r.orders.len(), 1);
    assert_eq!(r.orders[0].lines.len(), 1);
    assert!(
        r.problems.iter().any(|p| p.contains("no UNT")),
        "{:?}",
        r.problems
    );
    assert!(
        r.problems.iter().any(|p| p.contains("no UNZ")),
        "{:?}",
        r.problems
    );
    assert!(confidences(&r.orders[0])
        .iter()
        .all(|c| *c <= DAMAGED_CONFIDENCE));
}

#[test]
fn unknown_versions_and_broken_envelopes_are_rejected_with_a_reason() {
    let text = fixture_text("x12-850-three-sets.edi").replace("*00401*", "*09901*");
    let err = read_bytes("v.edi", text.as_bytes()).expect_err("unknown version");
    assert_eq!(err.code(), "malformed");
    assert!(err.to_string().contains("ISA12 version '09901'"), "{err}");

    let text = fixture_text("edifact-orders-d96a-two-messages.edi")
        .replace("ORDERS:D:96A", "ORDERS:D:77X");
    let err = read_bytes("d.edi", text.as_bytes()).expect_err("unknown directory");
    assert!(err.to_string().contains("'D:77X' is not one"), "{err}");

    let err = read_bytes("isa.edi", b"ISA*00*    *00*").expect_err("truncated ISA");
    assert!(err.to_string().contains("truncated ISA"), "{err}");
}

#[test]
fn edi_is_recognised_by_content_under_any_name_and_in_an_email() {
    let bytes = std::fs::read(data("x12-850-three-sets.edi")).expect("fixture");
    for name in ["order.txt", "PO", "export.dat"] {
        assert_eq!(
            parse::detect_kind(&bytes, name),
            Some(DocKind::Edi),
            "{name}"
        );
    }
    // An EDI attachment of an email (the mailbox channel), sent as octet-stream under a name
    // that says nothing.
    let edi = String::from_utf8(bytes).expect("ASCII");
    let eml = format!(
        "From: edi@acme.example\r\nTo: orders@example.com\r\nSubject: EDI\r\nMessage-ID: <e1@acme.example>\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n\
Please find our orders attached.\r\n--b\r\nContent-Type: application/octet-stream; name=\"orders.dat\"\r\n\
Content-Disposition: attachment; filename=\"orders.dat\"\r\nContent-Transfer-Encoding: 7bit\r\n\r\n{edi}\r\n--b--\r\n"
    );
    let input = parse::parse(eml.as_bytes(), "mail.eml", &Limits::default()).expect("email");
    let part = input
        .parts
        .iter()
        .find(|p| p.name == "orders.dat")
        .expect("the attachment is a part");
    assert_eq!(part.kind, DocKind::Edi);
    match &part.content {
        PartContent::Parsed { doc } => {
            let edi = doc.edi.as_ref().expect("read as EDI");
            assert_eq!(edi.orders.len(), 2);
            // The reviewer sees the segments, one per line.
            assert!(doc.text().contains("BEG*00*SA*PO-77001**20261130"));
        }
        other => panic!("{other:?}"),
    }
}

/// Through the real binary: a drop folder with a two-order interchange and a broken one.
#[test]
fn ingest_stores_edi_orders_and_keeps_broken_edi_with_its_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inbox = dir.path().join("in");
    std::fs::create_dir_all(&inbox).expect("inbox");
    std::fs::copy(data("x12-850-three-sets.edi"), inbox.join("orders.x12")).expect("copy");
    let broken = fixture_text("x12-850-three-sets.edi").replace("*00401*", "*09901*");
    std::fs::write(inbox.join("broken.edi"), broken).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_po-intake"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args(["--json", "ingest"])
        .arg(&inbox)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let by_file = |f: &str| {
        lines
            .iter()
            .find(|v| v["file"] == f)
            .unwrap_or_else(|| panic!("{f} in {stdout}\n{}", String::from_utf8_lossy(&out.stderr)))
    };
    let ok = by_file("orders.x12");
    assert_eq!(ok["status"], "processed", "{ok}");
    let pos: Vec<&str> = ok["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .filter_map(|o| o["po_number"].as_str())
        .collect();
    assert_eq!(pos, vec!["PO-77001", "PO-77002"]);
    let bad = by_file("broken.edi");
    assert_eq!(bad["status"], "failed", "{bad}");
    let reason = bad["reason"].as_str().unwrap_or("");
    assert!(reason.contains("ISA12 version '09901'"), "{reason}");
    // Nothing lost: the broken file is in failed/ with its reason beside it.
    assert!(inbox.join("failed/broken.edi").is_file());
    assert_eq!(out.status.code(), Some(3));
}
