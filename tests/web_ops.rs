//! The operator endpoints on a real server on 127.0.0.1 (issue 21 item 4): `/healthz`,
//! `/readyz`, and `/metrics` scraped and parsed line by line as Prometheus text.

mod store_common;
mod web_common;

use std::collections::{BTreeMap, BTreeSet};

use po_intake::config::Config;
use reqwest::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::json;
use web_common::{start, Env, PASSWORD};

/// One sample line: `name{k="v",...} value`.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

fn is_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_' || f == ':')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_' || x == ':')
}

fn parse_value(v: &str) -> Result<f64, String> {
    match v {
        "+Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        _ => v.parse().map_err(|e| format!("value {v:?}: {e}")),
    }
}

/// Parse one sample line strictly (label values with `\\`, `\"`, `\n` escapes; no timestamp).
fn parse_sample(line: &str) -> Result<Sample, String> {
    let end = line.find(['{', ' ']).ok_or("no value")?;
    let name = &line[..end];
    if !is_name(name) {
        return Err(format!("bad metric name {name:?}"));
    }
    let mut labels = BTreeMap::new();
    let mut rest = &line[end..];
    if let Some(mut r) = rest.strip_prefix('{') {
        loop {
            if let Some(after) = r.strip_prefix('}') {
                rest = after;
                break;
            }
            let eq = r.find('=').ok_or("label without '='")?;
            let key = &r[..eq];
            if !is_name(key) {
                return Err(format!("bad label name {key:?}"));
            }
            let quoted = r[eq + 1..]
                .strip_prefix('"')
                .ok_or("label value not quoted")?;
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let close = loop {
                match chars.next().ok_or("unterminated label value")? {
                    (_, '\\') => match chars.next().ok_or("dangling escape")?.1 {
                        'n' => value.push('\n'),
                        '\\' => value.push('\\'),
                        '"' => value.push('"'),
                        other => return Err(format!("bad escape \\{other}")),
                    },
                    (i, '"') => break i,
                    (_, c) => value.push(c),
                }
            };
            labels.insert(key.to_string(), value);
            r = &quoted[close + 1..];
            if let Some(after) = r.strip_prefix(',') {
                r = after;
            } else if !r.starts_with('}') {
                return Err(format!("expected ',' or '}}' in {line:?}"));
            }
        }
    }
    let value = rest.strip_prefix(' ').ok_or("no space before the value")?;
    if value.contains(' ') {
        return Err(format!(
            "extra fields (no timestamps are written): {value:?}"
        ));
    }
    Ok(Sample {
        name: name.to_string(),
        labels,
        value: parse_value(value)?,
    })
}

/// Parse a whole exposition: every line a `# HELP`, a `# TYPE` or a sample, every sample in
/// a family whose TYPE came first.
fn parse_exposition(body: &str) -> Vec<Sample> {
    let mut types: BTreeMap<String, String> = BTreeMap::new();
    let mut samples = Vec::new();
    for (n, line) in body.lines().enumerate() {
        if let Some(h) = line.strip_prefix("# HELP ") {
            let (name, help) = h.split_once(' ').expect("HELP name and text");
            assert!(is_name(name) && !help.is_empty(), "line {n}: {line}");
        } else if let Some(t) = line.strip_prefix("# TYPE ") {
            let (name, kind) = t.split_once(' ').expect("TYPE name and kind");
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "line {n}: {line}"
            );
            assert!(
                types.insert(name.to_string(), kind.to_string()).is_none(),
                "line {n}: TYPE twice for {name}"
            );
        } else {
            let s = parse_sample(line).unwrap_or_else(|e| panic!("line {n}: {line:?}: {e}"));
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suf| {
                    s.name
                        .strip_suffix(suf)
                        .filter(|f| types.get(*f).is_some_and(|k| k == "histogram"))
                })
                .unwrap_or(&s.name)
                .to_string();
            assert!(
                types.contains_key(&family),
                "line {n}: sample of {family} before its TYPE"
            );
            samples.push(s);
        }
    }
    samples
}

fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
}

async fn session(env: &Env) -> String {
    let r = reqwest::Client::new()
        .post(format!("{}/api/login", env.base))
        .json(&json!({"name": "alice", "password": PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), StatusCode::OK);
    let token = r
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|kv| kv.starts_with("po_session="))
        .expect("session cookie")
        .to_string();
    token
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_answers_and_metrics_are_prometheus_text_behind_a_login() {
    let env = start().await;
    let c = reqwest::Client::new();

    let r = c
        .get(format!("{}/healthz", env.base))
        .send()
        .await
        .expect("healthz");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.expect("body"), "ok\n");

    // web.metrics_public is false by default: no session, no token, no metrics.
    let r = c
        .get(format!("{}/metrics", env.base))
        .send()
        .await
        .expect("metrics");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // A worker restart recorded by another process shows up in the scrape.
    let d = env.data.clone();
    tokio::task::spawn_blocking(move || {
        let mut s = po_intake::store::Store::open(&d).expect("store");
        s.record_worker_restart("oms-delivery", "panicked: \"quoted\"\nand a newline")
            .expect("restart");
        // Latencies: one document read in 0.3 s whose order the rules accepted (touchless),
        // one read in 1.2 s, stored two hours ago, whose order a reviewer approved now.
        let ms = std::time::Duration::from_millis;
        store_common::record_order(&mut s, "fast.pdf", "L-1", Some("C1"), false, Some(ms(300)));
        let (doc, order) =
            store_common::record_order(&mut s, "slow.pdf", "L-2", Some("C1"), true, Some(ms(1200)));
        let conn = rusqlite::Connection::open(d.join("po-intake.db")).expect("db");
        let two_hours_ago = (chrono::Utc::now() - chrono::Duration::hours(2))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        conn.execute(
            "UPDATE documents SET created_at = ?2 WHERE id = ?1",
            rusqlite::params![doc, two_hours_ago],
        )
        .expect("backdate");
        s.approve_order(order, None, "alice").expect("approve");
    })
    .await
    .expect("record");

    let r = c
        .get(format!("{}/metrics", env.base))
        .header(COOKIE, session(&env).await)
        .send()
        .await
        .expect("metrics");
    assert_eq!(r.status(), StatusCode::OK);
    let ctype = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(ctype.starts_with("text/plain; version=0.0.4"), "{ctype}");
    let body = r.text().await.expect("body");
    let samples = parse_exposition(&body);

    // The seeded store: documents from the folder, orders in review with open exceptions.
    let docs: f64 = samples
        .iter()
        .filter(|s| s.name == "po_intake_documents")
        .map(|s| s.value)
        .sum();
    assert!(docs >= 2.0, "{body}");
    assert!(samples.iter().any(|s| s.name == "po_intake_documents"
        && s.labels.get("source").is_some_and(|v| v == "folder")));
    let in_review = value(&samples, "po_intake_orders", &[("state", "review")]).expect("review");
    assert!(in_review >= 1.0, "{body}");
    assert_eq!(
        value(&samples, "po_intake_orders", &[("state", "delivered")]),
        Some(0.0)
    );
    assert!(value(
        &samples,
        "po_intake_open_exceptions",
        &[("code", "unknown_sku")]
    )
    .is_some_and(|v| v >= 1.0));
    assert!(value(
        &samples,
        "po_intake_outbox_entries",
        &[("state", "pending")]
    )
    .is_some());
    assert!(
        value(&samples, "po_intake_outbox_oldest_pending_age_seconds", &[])
            .is_some_and(|v| v >= 0.0)
    );
    assert_eq!(
        value(
            &samples,
            "po_intake_worker_restarts_total",
            &[("worker", "oms-delivery")]
        ),
        Some(1.0)
    );
    // The histogram's buckets are cumulative and end at +Inf = _count.
    let buckets: Vec<f64> = samples
        .iter()
        .filter(|s| s.name == "po_intake_document_processing_seconds_bucket")
        .map(|s| s.value)
        .collect();
    assert!(buckets.len() >= 2 && buckets.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(
        buckets.last().copied(),
        value(&samples, "po_intake_document_processing_seconds_count", &[])
    );
    let names: BTreeSet<&str> = samples.iter().map(|s| s.name.as_str()).collect();
    assert!(names.contains("po_intake_document_processing_seconds_sum"));

    // Extraction latency: only the two documents whose read time was recorded (the seeded
    // ones were recorded without it), 0.3 s and 1.2 s.
    let h = histogram(&samples, "po_intake_extraction_seconds", &[]);
    assert_eq!(h.count, 2.0, "{body}");
    assert!((h.sum - 1.5).abs() < 1e-9, "{body}");
    assert_eq!(h.at(0.25), 0.0);
    assert_eq!(h.at(0.5), 1.0);
    assert_eq!(h.at(1.0), 1.0);
    assert_eq!(h.at(2.5), 2.0);

    // End to end, per path: the touchless order decided within a second of its document
    // stored; the reviewed one two hours after (the seeded orders are still in review).
    let t = histogram(
        &samples,
        "po_intake_order_decision_seconds",
        &[("path", "touchless")],
    );
    assert_eq!((t.count, t.at(1.0)), (1.0, 1.0), "{body}");
    let r = histogram(
        &samples,
        "po_intake_order_decision_seconds",
        &[("path", "reviewed")],
    );
    assert_eq!(r.count, 1.0, "{body}");
    assert_eq!(r.at(3600.0), 0.0, "{body}");
    assert_eq!(r.at(14400.0), 1.0, "{body}");
    assert!((7190.0..7300.0).contains(&r.sum), "{body}");
}

/// One histogram series (the samples whose labels include `labels`), checked for shape:
/// buckets ascending by `le` and cumulative, `+Inf` last and equal to `_count`.
struct Hist {
    buckets: Vec<(f64, f64)>,
    count: f64,
    sum: f64,
}

impl Hist {
    /// The cumulative count at bucket bound `le` (which must exist).
    fn at(&self, le: f64) -> f64 {
        self.buckets
            .iter()
            .find(|(b, _)| *b == le)
            .map(|(_, n)| *n)
            .unwrap_or_else(|| panic!("no bucket le={le}"))
    }
}

fn histogram(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Hist {
    let matches = |s: &&Sample| {
        labels
            .iter()
            .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
    };
    let bucket = format!("{name}_bucket");
    let buckets: Vec<(f64, f64)> = samples
        .iter()
        .filter(|s| s.name == bucket)
        .filter(matches)
        .map(|s| (parse_value(&s.labels["le"]).expect("le"), s.value))
        .collect();
    assert!(buckets.len() >= 2, "{name}: no buckets");
    assert!(
        buckets
            .windows(2)
            .all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1),
        "{name}: buckets not ascending and cumulative: {buckets:?}"
    );
    let one = |suffix: &str| {
        let v: Vec<f64> = samples
            .iter()
            .filter(|s| s.name == format!("{name}{suffix}"))
            .filter(matches)
            .map(|s| s.value)
            .collect();
        assert_eq!(v.len(), 1, "{name}{suffix}: {v:?}");
        v[0]
    };
    let (count, sum) = (one("_count"), one("_sum"));
    assert_eq!(buckets.last(), Some(&(f64::INFINITY, count)), "{name}");
    Hist {
        buckets,
        count,
        sum,
    }
}

#[test]
fn the_sample_parser_rejects_what_prometheus_rejects() {
    assert!(parse_sample("m 1").is_ok());
    let s = parse_sample(r#"m{a="x\"y",b="2"} 3.5"#).expect("ok");
    assert_eq!(s.labels["a"], "x\"y");
    assert_eq!(s.labels["b"], "2");
    assert_eq!(s.value, 3.5);
    assert!(parse_sample("m{a=x} 1").is_err());
    assert!(parse_sample("1m 1").is_err());
    assert!(parse_sample("m one").is_err());
    assert!(parse_sample(r#"m{a="x"} 1 2"#).is_err());
}

/// A server on `cfg`, for the cases `web_common::start` does not cover.
async fn serve(cfg: Config) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = po_intake::web::serve(listener, cfg).await;
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_is_503_without_a_model_and_a_bearer_token_or_public_flag_opens_metrics() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = Config::embedded_default();
    cfg.data_dir = dir.path().join("data");
    cfg.extract.model_dir = Some(dir.path().join("no-model-here"));
    let base = serve(cfg.clone()).await;
    let c = reqwest::Client::new();
    let r = c
        .get(format!("{base}/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = r.text().await.expect("body");
    assert!(
        body.contains("store: ok") && body.contains("model: "),
        "{body}"
    );

    // The token comes from the environment; this is the only test in this binary reading it.
    std::env::set_var("PO_INTAKE_METRICS_TOKEN", "s3cret-token");
    let r = c
        .get(format!("{base}/metrics"))
        .header(AUTHORIZATION, "Bearer wrong")
        .send()
        .await
        .expect("metrics");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = c
        .get(format!("{base}/metrics"))
        .header(AUTHORIZATION, "Bearer s3cret-token")
        .send()
        .await
        .expect("metrics");
    assert_eq!(r.status(), StatusCode::OK);
    parse_exposition(&r.text().await.expect("body"));

    cfg.web.metrics_public = true;
    let base = serve(cfg).await;
    let r = c
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("metrics");
    assert_eq!(r.status(), StatusCode::OK);
    parse_exposition(&r.text().await.expect("body"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_is_200_when_the_store_opens_and_the_model_loads() {
    let env = start().await;
    let r = reqwest::Client::new()
        .get(format!("{}/readyz", env.base))
        .send()
        .await
        .expect("readyz");
    let status = r.status();
    let body = r.text().await.expect("body");
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("model: ok ("), "{body}");
}
