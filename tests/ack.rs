//! Acknowledgements by SMTP (issue 20 item 4) against a real SMTP server on 127.0.0.1:
//! Debian's python3-aiosmtpd storing into a Maildir (`scripts/setup --test` installs it).
//! An outage first (nothing listens), then the server: every acknowledgement arrives once,
//! threaded as a reply, in plain text and HTML; a customer who did not opt in gets none.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use po_intake::ack::{self, AckConfig, SmtpTls};
use po_intake::domain::{
    CheckResult, Exception, ExceptionCode, Field, Incoming, LineItem, Order, SourceKind,
};
use po_intake::store::{IngestOutcome, NewOrder, Store};

struct Smtp {
    child: Child,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// aiosmtpd with its Maildir handler, up when the port accepts connections.
fn start_smtp(port: u16, maildir: &Path) -> Smtp {
    let child = Command::new("/usr/bin/python3")
        .args(["-m", "aiosmtpd", "-n", "-l"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(maildir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start aiosmtpd ({e}); install the Debian package python3-aiosmtpd (scripts/setup --test)")
        });
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "aiosmtpd did not listen on 127.0.0.1:{port} within 20 s (python3-aiosmtpd installed?)"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Smtp { child }
}

fn messages(maildir: &Path) -> Vec<String> {
    let mut out: Vec<String> = ["new", "cur"]
        .iter()
        .filter_map(|d| std::fs::read_dir(maildir.join(d)).ok())
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect();
    out.sort();
    out
}

fn order(po: &str) -> Order {
    Order {
        po_number: Some(Field::certain(po.to_string())),
        lines: vec![LineItem {
            line_no: 1,
            sku: Some(Field::certain("BRG-6001-2RS".into())),
            description: Some(Field::certain("Ball bearing 6001".into())),
            quantity: Some(Field::certain(12.0)),
            uom: Some(Field::certain("EA".into())),
            unit_price: Some(Field::certain(4.5)),
            ..LineItem::default()
        }],
        ..Order::default()
    }
}

/// A stored e-mail PO from `sender` with one order for `customer`: accepted when `clean`,
/// else in review. Returns the order id.
fn record(store: &mut Store, n: u32, sender: &str, customer: &str, clean: bool) -> i64 {
    let incoming = Incoming {
        source: SourceKind::Imap,
        origin: "imap:INBOX".into(),
        file_name: format!("po-{n}.eml"),
        sender: Some(sender.into()),
        received_at: Utc::now(),
        bytes: format!("PO {n}").into_bytes(),
    };
    let msgid = format!("<po-{n}@customer.example>");
    let IngestOutcome::New(doc) = store
        .ingest(&incoming, "message/rfc822", Some(&msgid))
        .expect("ingest")
    else {
        panic!("stored twice");
    };
    let exceptions = if clean {
        vec![]
    } else {
        vec![Exception {
            code: ExceptionCode::UnknownSku,
            line: Some(1),
            message: "unknown".into(),
            suggestion: None,
        }]
    };
    let check = CheckResult {
        customer_id: Some(customer.into()),
        currency: None,
        exceptions,
        lines: vec![],
    };
    let ids = store
        .record_orders(
            doc.id,
            &[NewOrder {
                order: order(&format!("PO-{n}")),
                check,
            }],
        )
        .expect("record");
    ids[0].0
}

fn cfg(port: u16) -> AckConfig {
    AckConfig {
        enabled: true,
        customers: vec!["C1005".into()],
        from: "orders@supplier.example".into(),
        smtp_host: "127.0.0.1".into(),
        smtp_port: port,
        smtp_tls: SmtpTls::None,
        timeout_secs: 5,
        retry_base_secs: 0,
        ..AckConfig::default()
    }
}

#[test]
fn acknowledgements_survive_an_smtp_outage_and_arrive_once_threaded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let maildir = dir.path().join("maildir");
    let mut store = Store::open(&data).expect("store");
    let port = free_port();
    let cfg = cfg(port);
    // An order decided before acknowledgements were turned on is not mailed.
    let before = record(&mut store, 0, "buyer@customer.example", "C1005", true);
    std::thread::sleep(Duration::from_millis(5));
    let r = ack::run_once(&mut store, &cfg).expect("first round");
    assert_eq!(r.enqueued, 0, "{r:?}");
    std::thread::sleep(Duration::from_millis(5));
    let accepted = record(&mut store, 1, "buyer@customer.example", "C1005", true);
    let to_reject = record(&mut store, 2, "buyer@customer.example", "C1005", false);
    store
        .reject_order(to_reject, None, "alice", "not our products")
        .expect("reject");
    let in_review = record(&mut store, 3, "buyer@customer.example", "C1005", false);
    let not_opted_in = record(&mut store, 4, "someone@other.example", "C2000", true);

    // The outage: nothing listens. Both acknowledgements are kept with the error.
    let r = ack::run_once(&mut store, &cfg).expect("round");
    assert_eq!((r.enqueued, r.sent, r.failed), (2, 0, 2), "{r:?}");
    for id in [accepted, to_reject] {
        let acks = store.acks_for_order(id).expect("acks");
        assert_eq!(acks.len(), 1);
        assert_eq!((acks[0].state.as_str(), acks[0].attempts), ("pending", 1));
        assert!(
            acks[0].last_error.as_deref().unwrap_or("").contains("SMTP"),
            "{acks:?}"
        );
    }

    // The server comes up: each is sent once; later rounds send nothing more.
    let _smtp = start_smtp(port, &maildir);
    let r = ack::run_once(&mut store, &cfg).expect("round");
    assert_eq!((r.enqueued, r.sent, r.failed), (0, 2, 0), "{r:?}");
    for id in [accepted, to_reject] {
        let acks = store.acks_for_order(id).expect("acks");
        assert_eq!((acks[0].state.as_str(), acks[0].attempts), ("sent", 2));
    }
    let r = ack::run_once(&mut store, &cfg).expect("round");
    assert_eq!((r.enqueued, r.sent, r.failed), (0, 0, 0), "{r:?}");
    let mails = messages(&maildir);
    assert_eq!(mails.len(), 2, "{mails:?}");
    let accepted_mail = mails
        .iter()
        .find(|m| m.contains("Subject: Order PO-1 received"))
        .unwrap_or_else(|| panic!("{mails:?}"));
    assert!(
        accepted_mail.contains("In-Reply-To: <po-1@customer.example>"),
        "{accepted_mail}"
    );
    assert!(accepted_mail.contains("References: <po-1@customer.example>"));
    assert!(accepted_mail.contains("To: buyer@customer.example"));
    assert!(accepted_mail.contains("text/plain") && accepted_mail.contains("text/html"));
    assert!(accepted_mail.contains("BRG-6001-2RS"));
    assert!(mails
        .iter()
        .any(|m| m.contains("Subject: Order PO-2 could not be processed")));
    // An order still in review, and a customer who did not opt in: nothing.
    assert!(store.acks_for_order(in_review).expect("acks").is_empty());
    assert!(store.acks_for_order(not_opted_in).expect("acks").is_empty());
    assert!(store.acks_for_order(before).expect("acks").is_empty());
    // Approved later: its acknowledgement follows.
    store
        .approve_order(in_review, None, "alice")
        .expect("approve");
    let r = ack::run_once(&mut store, &cfg).expect("round");
    assert_eq!(r.sent, 1, "{r:?}");
    assert_eq!(messages(&maildir).len(), 3);
}

#[test]
fn acknowledgements_are_off_unless_enabled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(&dir.path().join("data")).expect("store");
    record(&mut store, 1, "buyer@customer.example", "C1005", true);
    let mut cfg = cfg(free_port());
    cfg.enabled = false;
    let r = ack::run_once(&mut store, &cfg).expect("round");
    assert_eq!((r.enqueued, r.sent, r.failed), (0, 0, 0));
}
