//! Acknowledgements: when an order of a customer who opted in is accepted (by the rules or
//! a reviewer) or rejected, the sender of the PO gets a short e-mail with the PO number and
//! the lines as understood, in plain text and HTML, threaded as a reply (`In-Reply-To`,
//! `References`) when the PO came by e-mail.
//!
//! They go through an outbox like the OMS deliveries: [`run_once`] first writes the due
//! acknowledgements from the orders' committed state (`Store::enqueue_acks`, one per order and
//! kind), then sends what is due with `lettre` over SMTP (STARTTLS, implicit TLS, or plain on
//! a trusted network; password from an environment variable). A failed attempt (the server
//! is down, refuses) is recorded with its error and tried again after a growing delay, up to
//! `max_attempts`; nothing is lost and nothing is sent twice by a sweep.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};
use serde::{Deserialize, Serialize};

use crate::domain::Order;
use crate::store::{DueAck, Store, StoreError};

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// STARTTLS on the submission port (587), required.
    #[default]
    Starttls,
    /// TLS from the first byte (465).
    Implicit,
    /// No TLS: only for a relay on localhost or a trusted network.
    None,
}

/// `[acknowledgements]` in the config.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AckConfig {
    /// Off unless set.
    pub enabled: bool,
    /// Customer ids (as in customers.csv) that want acknowledgements; `"*"` for all.
    pub customers: Vec<String>,
    /// The From address.
    pub from: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_tls: SmtpTls,
    pub smtp_user: Option<String>,
    /// Name of the environment variable holding the SMTP password.
    pub smtp_password_env: Option<String>,
    /// Seconds before an SMTP attempt is given up.
    pub timeout_secs: u64,
    /// Attempts before an acknowledgement is given up (`failed`, shown by `status`).
    pub max_attempts: u32,
    /// Delay before the second attempt, doubling after each failure (capped at an hour).
    pub retry_base_secs: u64,
    /// Subject templates: `{po}` is the PO number.
    pub subject_accepted: String,
    pub subject_rejected: String,
    /// First paragraph of the message: `{po}` is the PO number.
    pub text_accepted: String,
    pub text_rejected: String,
}

impl Default for AckConfig {
    fn default() -> Self {
        AckConfig {
            enabled: false,
            customers: vec![],
            from: String::new(),
            smtp_host: "localhost".into(),
            smtp_port: 587,
            smtp_tls: SmtpTls::Starttls,
            smtp_user: None,
            smtp_password_env: None,
            timeout_secs: 30,
            max_attempts: 10,
            retry_base_secs: 60,
            subject_accepted: "Order {po} received".into(),
            subject_rejected: "Order {po} could not be processed".into(),
            text_accepted: "Thank you for your order {po}. We have received it as follows:".into(),
            text_rejected:
                "We could not process your order {po} as sent. Our order desk will contact you."
                    .into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AckError {
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("acknowledgements: {0}")]
    Config(String),
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AckReport {
    pub enqueued: usize,
    pub sent: usize,
    pub failed: usize,
    pub errors: Vec<String>,
}

/// The message for one order: (subject, plain text, HTML).
pub fn compose(cfg: &AckConfig, kind: &str, order: &Order) -> (String, String, String) {
    let po = order
        .po_number
        .as_ref()
        .map(|f| f.value.clone())
        .unwrap_or_else(|| "(no number)".into());
    let (subject, intro) = if kind == "rejected" {
        (&cfg.subject_rejected, &cfg.text_rejected)
    } else {
        (&cfg.subject_accepted, &cfg.text_accepted)
    };
    let subject = subject.replace("{po}", &po);
    let intro = intro.replace("{po}", &po);
    let mut text = format!("{intro}\n\n");
    let mut rows = String::new();
    if kind != "rejected" {
        for l in &order.lines {
            let s = |f: &Option<crate::domain::Field<String>>| {
                f.as_ref().map(|f| f.value.clone()).unwrap_or_default()
            };
            let n = |f: &Option<crate::domain::Field<f64>>| {
                f.as_ref().map(|f| f.value.to_string()).unwrap_or_default()
            };
            let code = if l.sku.is_some() {
                s(&l.sku)
            } else {
                s(&l.customer_part)
            };
            text.push_str(&format!(
                "{:>3}  {:<20} {:>8} {:<4} {}\n",
                l.line_no,
                code,
                n(&l.quantity),
                s(&l.uom),
                s(&l.description)
            ));
            rows.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                l.line_no,
                escape(&code),
                escape(&n(&l.quantity)),
                escape(&s(&l.uom)),
                escape(&s(&l.description))
            ));
        }
    }
    let table = if rows.is_empty() {
        String::new()
    } else {
        format!("<table><tr><th>#</th><th>Item</th><th>Qty</th><th>Unit</th><th>Description</th></tr>{rows}</table>")
    };
    let html = format!(
        "<!doctype html><html><body><p>{}</p>{table}</body></html>",
        escape(&intro)
    );
    (subject, text, html)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn transport(cfg: &AckConfig) -> Result<SmtpTransport, AckError> {
    let host = cfg.smtp_host.as_str();
    let tls = |required: bool| {
        TlsParameters::new(host.to_string())
            .map_err(|e| AckError::Config(format!("TLS for {host}: {e}")))
            .map(|p| {
                if required {
                    Tls::Required(p)
                } else {
                    Tls::Wrapper(p)
                }
            })
    };
    let mut b = SmtpTransport::builder_dangerous(host)
        .port(cfg.smtp_port)
        .timeout(Some(Duration::from_secs(cfg.timeout_secs)));
    b = match cfg.smtp_tls {
        SmtpTls::Starttls => b.tls(tls(true)?),
        SmtpTls::Implicit => b.tls(tls(false)?),
        SmtpTls::None => b.tls(Tls::None),
    };
    if let Some(user) = &cfg.smtp_user {
        let var = cfg.smtp_password_env.as_deref().ok_or_else(|| {
            AckError::Config("smtp_user is set but smtp_password_env is not".into())
        })?;
        let pw = std::env::var(var)
            .map_err(|_| AckError::Config(format!("the environment variable {var} is not set")))?;
        b = b.credentials(Credentials::new(user.clone(), pw));
    }
    Ok(b.build())
}

/// A stable Message-ID per acknowledgement, so a resend after a crash is the same message.
fn message_id(ack: &DueAck, from: &str) -> String {
    let domain = from.rsplit_once('@').map(|(_, d)| d).unwrap_or("po-intake");
    format!(
        "<po-intake-ack-{}-{}-{}@{domain}>",
        ack.order_id, ack.kind, ack.id
    )
}

fn build(cfg: &AckConfig, ack: &DueAck, order: &Order) -> Result<Message, String> {
    let from: Mailbox = cfg
        .from
        .parse()
        .map_err(|e| format!("from address '{}': {e}", cfg.from))?;
    let to: Mailbox = ack
        .to_addr
        .parse()
        .map_err(|e| format!("recipient '{}': {e}", ack.to_addr))?;
    let (subject, text, html) = compose(cfg, &ack.kind, order);
    let mut b = Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .message_id(Some(message_id(ack, &cfg.from)));
    if let Some(parent) = ack.in_reply_to.as_deref().filter(|p| !p.trim().is_empty()) {
        let parent = if parent.starts_with('<') {
            parent.to_string()
        } else {
            format!("<{parent}>")
        };
        b = b.in_reply_to(parent.clone()).references(parent);
    }
    b.multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|e| format!("building the message: {e}"))
}

/// Enqueue what is due, then send what is pending and due. Store errors end the round;
/// SMTP errors are recorded on their acknowledgement.
pub fn run_once(store: &mut Store, cfg: &AckConfig) -> Result<AckReport, AckError> {
    let mut report = AckReport::default();
    if !cfg.enabled {
        return Ok(report);
    }
    report.enqueued = store.enqueue_acks(&cfg.customers)?;
    let due = store.due_acks(100)?;
    if due.is_empty() {
        return Ok(report);
    }
    let mailer = transport(cfg)?;
    for ack in due {
        let order = store
            .order(ack.order_id)?
            .map(|o| o.order)
            .unwrap_or_default();
        let outcome = build(cfg, &ack, &order).and_then(|m| {
            mailer
                .send(&m)
                .map(|_| ())
                .map_err(|e| format!("SMTP: {e}"))
        });
        match outcome {
            Ok(()) => {
                store.ack_sent(ack.id)?;
                report.sent += 1;
            }
            Err(e) => {
                let attempts = ack.attempts + 1;
                let give_up = attempts >= cfg.max_attempts;
                let delay = cfg
                    .retry_base_secs
                    .saturating_mul(1u64 << attempts.saturating_sub(1).min(12))
                    .min(3600);
                store.ack_failed(ack.id, &e, chrono::Duration::seconds(delay as i64), give_up)?;
                tracing::warn!(order = ack.order_id, attempts, error = %e, "acknowledgement not sent");
                report.failed += 1;
                report.errors.push(format!("order {}: {e}", ack.order_id));
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Field, LineItem};

    #[test]
    fn the_message_names_the_po_and_the_lines_and_escapes_them() {
        let order = Order {
            po_number: Some(Field::certain("PO-1".into())),
            lines: vec![LineItem {
                line_no: 1,
                sku: Some(Field::certain("A<1>".into())),
                quantity: Some(Field::certain(2.0)),
                uom: Some(Field::certain("EA".into())),
                ..LineItem::default()
            }],
            ..Order::default()
        };
        let cfg = AckConfig::default();
        let (subject, text, html) = compose(&cfg, "accepted", &order);
        assert_eq!(subject, "Order PO-1 received");
        assert!(text.contains("A<1>") && text.contains("Thank you for your order PO-1"));
        assert!(html.contains("A&lt;1&gt;") && !html.contains("A<1>"));
        let (subject, text, _) = compose(&cfg, "rejected", &order);
        assert_eq!(subject, "Order PO-1 could not be processed");
        assert!(!text.contains("A<1>"));
    }
}
