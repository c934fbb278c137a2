//! The `http` connector: POST the order JSON to the OMS with an `Idempotency-Key` header
//! derived from the order id, so a retry never creates a second order. Auth and extra
//! headers come from config, secrets from environment variables. It classifies the answer
//! and nothing more (the outbox loop owns retries):
//!
//! | answer                                   | outcome          |
//! |------------------------------------------|------------------|
//! | 2xx                                      | `Delivered`      |
//! | 409 Conflict                             | `AlreadyExists`  |
//! | 429 (with `Retry-After` if given), 5xx   | `Retry`          |
//! | connection error, timeout, broken answer | `Retry`          |
//! | any other status (4xx, 3xx)              | `Reject` + body  |
//!
//! An error body is read up to 64 KiB and the attempt as a whole (connect to last byte) is
//! cut at `timeout_ms`, so a hostile or broken OMS costs bounded memory and time.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use reqwest::StatusCode;
use serde_json::Value;

use super::{AuthConfig, Connector, Delivery, HttpConfig, OmsError, SendFuture, SendOutcome};

/// The most of an OMS's error body kept as the reason.
const MAX_REASON: usize = 2000;

/// The most of an error body read at all: the rest is never read (the connection is
/// dropped), so an OMS answering with gigabytes costs 64 KiB.
const MAX_BODY_READ: usize = 64 * 1024;

/// POSTs orders to one URL.
#[derive(Clone)]
pub struct HttpConnector {
    client: reqwest::Client,
    url: reqwest::Url,
    timeout: Duration,
    field_map: BTreeMap<String, String>,
    /// User and password for basic auth (reqwest encodes and marks it sensitive).
    basic: Option<(String, String)>,
}

impl std::fmt::Debug for HttpConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No secrets in logs: the basic-auth password is left out.
        f.debug_struct("HttpConnector")
            .field("url", &self.url.as_str())
            .field("timeout", &self.timeout)
            .field("field_map", &self.field_map)
            .field("basic_auth_user", &self.basic.as_ref().map(|(u, _)| u))
            .finish()
    }
}

fn env_secret(var: &str) -> Result<String, OmsError> {
    std::env::var(var).map_err(|_| {
        OmsError::Config(format!(
            "environment variable {var} (named in [oms.connector.auth]) is not set"
        ))
    })
}

fn header_value(name: &str, value: &str, secret: bool) -> Result<HeaderValue, OmsError> {
    let mut v = HeaderValue::from_str(value).map_err(|_| {
        OmsError::Config(format!(
            "the value for header {name} is not a valid header value"
        ))
    })?;
    v.set_sensitive(secret);
    Ok(v)
}

fn header_name(name: &str) -> Result<HeaderName, OmsError> {
    HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| OmsError::Config(format!("{name:?} is not a valid header name")))
}

impl HttpConnector {
    /// Build the client: validates the URL and headers and reads secrets from the environment.
    pub fn new(cfg: &HttpConfig) -> Result<Self, OmsError> {
        let url = reqwest::Url::parse(&cfg.url)
            .map_err(|e| OmsError::Config(format!("oms url {:?}: {e}", cfg.url)))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(OmsError::Config(format!(
                "oms url {:?} must be http or https",
                cfg.url
            )));
        }
        let mut headers = HeaderMap::new();
        let mut basic = None;
        for (k, v) in &cfg.headers {
            headers.insert(header_name(k)?, header_value(k, v, false)?);
        }
        match &cfg.auth {
            AuthConfig::None => {}
            AuthConfig::Bearer { token_env } => {
                let token = env_secret(token_env)?;
                headers.insert(
                    AUTHORIZATION,
                    header_value("Authorization", &format!("Bearer {token}"), true)?,
                );
            }
            AuthConfig::Basic { user, password_env } => {
                basic = Some((user.clone(), env_secret(password_env)?));
            }
            AuthConfig::Header { name, value_env } => {
                let v = env_secret(value_env)?;
                headers.insert(header_name(name)?, header_value(name, &v, true)?);
            }
        }
        let timeout = Duration::from_millis(cfg.timeout_ms.max(1));
        let connect_timeout = Duration::from_millis(cfg.connect_timeout_ms.max(1)).min(timeout);
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(timeout)
            .connect_timeout(connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("po-intake/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| OmsError::Config(format!("building the HTTP client: {e}")))?;
        Ok(HttpConnector {
            client,
            url,
            timeout,
            field_map: cfg.field_map.clone(),
            basic,
        })
    }

    /// The body sent for a payload: as enqueued, or with keys renamed per `field_map`.
    pub fn body(&self, payload: &str) -> Result<String, String> {
        if self.field_map.is_empty() {
            return Ok(payload.to_string());
        }
        let v: Value = serde_json::from_str(payload)
            .map_err(|e| format!("the stored payload is not JSON: {e}"))?;
        Ok(rename_keys(v, "", &self.field_map).to_string())
    }

    async fn post(&self, d: &Delivery) -> SendOutcome {
        let body = match self.body(&d.payload) {
            Ok(b) => b,
            Err(reason) => {
                return SendOutcome::Reject {
                    status: None,
                    reason,
                }
            }
        };
        let mut req = self
            .client
            .post(self.url.clone())
            .header(CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", d.idempotency_key.as_str())
            .body(body);
        if let Some((user, pw)) = &self.basic {
            req = req.basic_auth(user, Some(pw));
        }
        let resp = req.send().await;
        let resp = match resp {
            Ok(r) => r,
            Err(e) => return transport_error(&e),
        };
        let status = resp.status();
        let code = Some(status.as_u16());
        if status.is_success() {
            return SendOutcome::Delivered { status: code };
        }
        if status == StatusCode::CONFLICT {
            return SendOutcome::AlreadyExists { status: code };
        }
        let after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, chrono::Utc::now()));
        let text = read_capped(resp, MAX_BODY_READ).await;
        let reason = describe_status(status, &text);
        if status == StatusCode::TOO_MANY_REQUESTS {
            SendOutcome::Retry {
                status: code,
                after,
                reason,
            }
        } else if status.is_server_error() {
            SendOutcome::Retry {
                status: code,
                after: None,
                reason,
            }
        } else {
            SendOutcome::Reject {
                status: code,
                reason,
            }
        }
    }
}

/// At most `max` bytes of a response body, as text; a body that breaks off counts up to there.
async fn read_capped(mut resp: reqwest::Response, max: usize) -> String {
    let mut buf = Vec::new();
    while buf.len() < max {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                let room = max - buf.len();
                buf.extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or_default());
            }
            Ok(None) | Err(_) => break,
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

impl Connector for HttpConnector {
    fn send<'a>(&'a self, delivery: &'a Delivery) -> SendFuture<'a> {
        // The whole attempt (connect, send, answer, body) within the timeout, whatever
        // the client library counts: the outbox lease is sized by it.
        Box::pin(async move {
            match tokio::time::timeout(self.timeout, self.post(delivery)).await {
                Ok(outcome) => outcome,
                Err(_) => SendOutcome::Retry {
                    status: None,
                    after: None,
                    reason: format!("timed out: no complete answer within {:?}", self.timeout),
                },
            }
        })
    }

    fn max_duration(&self) -> Duration {
        self.timeout
    }

    fn describe(&self) -> String {
        format!("http:{}", self.url)
    }
}

/// "HTTP 400 Bad Request: <body, trimmed and cut>".
fn describe_status(status: StatusCode, body: &str) -> String {
    let body = body.trim();
    let mut cut: String = body.chars().take(MAX_REASON).collect();
    if cut.len() < body.len() {
        cut.push('…');
    }
    if cut.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status}: {cut}")
    }
}

/// Every transport failure is worth another try: the OMS may or may not have the order,
/// and the idempotency key makes the repeat safe.
fn transport_error(e: &reqwest::Error) -> SendOutcome {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "connection failed"
    };
    // The chain holds the useful part ("connection closed before message completed").
    let mut reason = format!("{kind}: {e}");
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        reason.push_str(&format!(": {s}"));
        src = s.source();
    }
    SendOutcome::Retry {
        status: None,
        after: None,
        reason,
    }
}

/// `Retry-After` as delta-seconds or an HTTP date (RFC 9110 §10.2.3).
pub fn parse_retry_after(v: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    Some(
        (at.with_timezone(&chrono::Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

/// Rename object keys by `map`: a top-level key by its name, a nested one by its dotted path
/// (arrays do not add a segment: `lines.sku` is `sku` inside each element of `lines`).
pub fn rename_keys(v: Value, prefix: &str, map: &BTreeMap<String, String>) -> Value {
    match v {
        Value::Object(obj) => Value::Object(
            obj.into_iter()
                .map(|(k, v)| {
                    let path = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    let v = rename_keys(v, &path, map);
                    (map.get(&path).cloned().unwrap_or(k), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| rename_keys(v, prefix, map))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn retry_after_seconds_and_date() {
        let now = chrono::DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn field_map_renames_top_level_and_line_keys() {
        let map: BTreeMap<String, String> = [
            ("po_number".to_string(), "customerPo".to_string()),
            ("lines.sku".to_string(), "itemCode".to_string()),
            ("lines".to_string(), "items".to_string()),
        ]
        .into_iter()
        .collect();
        let v = json!({"po_number": "P1", "sku": "top", "lines": [{"sku": "A", "quantity": 2}]});
        let out = rename_keys(v, "", &map);
        assert_eq!(
            out,
            json!({"customerPo": "P1", "sku": "top", "items": [{"itemCode": "A", "quantity": 2}]})
        );
    }

    #[test]
    fn missing_secret_env_is_a_config_error() {
        let mut cfg = HttpConfig::new("http://127.0.0.1:9/orders");
        cfg.auth = AuthConfig::Bearer {
            token_env: "PO_INTAKE_TEST_SURELY_UNSET_VAR".into(),
        };
        let err = HttpConnector::new(&cfg).unwrap_err().to_string();
        assert!(err.contains("PO_INTAKE_TEST_SURELY_UNSET_VAR"), "{err}");
        assert!(HttpConnector::new(&HttpConfig::new("ftp://x/")).is_err());
        assert!(HttpConnector::new(&HttpConfig::new("not a url")).is_err());
    }
}
