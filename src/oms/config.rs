//! The `[oms]` table of the config file: where accepted orders go and how hard to try.
//! Every key has a default; secrets are never in the file, only the names of the
//! environment variables that hold them.
//!
//! ```toml
//! [oms]
//! max_in_flight = 8
//! [oms.connector]
//! type = "http"
//! url = "https://oms.example.com/api/orders"
//! timeout_ms = 10000
//! auth = { type = "bearer", token_env = "PO_INTAKE_OMS_TOKEN" }
//! headers = { "X-Tenant" = "acme" }
//! field_map = { po_number = "customerPoNumber", "lines.sku" = "itemCode" }
//! [oms.retry]
//! max_attempts = 8
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Where accepted orders go; the `[oms]` table of the config file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OmsConfig {
    /// Which connector delivers orders. Default: `file`, writing into `<data_dir>/outbox/`.
    pub connector: ConnectorConfig,
    /// When and how often a failed delivery is tried again.
    pub retry: RetryConfig,
    /// How many deliveries may be in flight at once. Default 8.
    pub max_in_flight: usize,
    /// How often the background worker looks for due entries when it is idle, in ms.
    /// Default 1000.
    pub poll_interval_ms: u64,
    /// `po-intake push` keeps going (waiting for retries) until every entry is delivered,
    /// parked, or next due later than this many ms after the push started. Default 60000.
    pub push_max_wait_ms: u64,
}

impl Default for OmsConfig {
    fn default() -> Self {
        OmsConfig {
            connector: ConnectorConfig::default(),
            retry: RetryConfig::default(),
            max_in_flight: 8,
            poll_interval_ms: 1000,
            push_max_wait_ms: 60_000,
        }
    }
}

impl OmsConfig {
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms.max(10))
    }

    pub fn push_max_wait(&self) -> Duration {
        Duration::from_millis(self.push_max_wait_ms)
    }

    /// `max_in_flight`, at least 1.
    pub fn in_flight(&self) -> usize {
        self.max_in_flight.clamp(1, 1024)
    }
}

/// The connector, picked by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ConnectorConfig {
    /// One JSON file per order, named `<idempotency key>.json`, written atomically.
    File {
        /// Folder to write into; relative paths are taken from the data dir.
        /// Default: `<data_dir>/outbox`.
        #[serde(default)]
        dir: Option<PathBuf>,
    },
    /// HTTP POST of the order JSON.
    Http(HttpConfig),
}

impl Default for ConnectorConfig {
    fn default() -> Self {
        ConnectorConfig::File { dir: None }
    }
}

/// The `http` connector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Where to POST each order (http or https). Required.
    pub url: String,
    /// Timeout for one whole request (connect, send, response), in ms. Default 10000.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Timeout for establishing the connection, in ms. Default 5000 (never above timeout_ms).
    #[serde(default = "default_connect_timeout_ms")]
    pub connect_timeout_ms: u64,
    /// How to authenticate. Default: none.
    #[serde(default)]
    pub auth: AuthConfig,
    /// Extra static headers sent with every request (no secrets here: use `auth`).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Rename payload keys for the OMS: `po_number = "customerPo"` renames a top-level key,
    /// `"lines.sku" = "itemCode"` a key inside each line. Unmapped keys keep their names.
    #[serde(default)]
    pub field_map: BTreeMap<String, String>,
}

fn default_timeout_ms() -> u64 {
    10_000
}

fn default_connect_timeout_ms() -> u64 {
    5_000
}

impl HttpConfig {
    /// A config for `url` with every other key at its default.
    pub fn new(url: impl Into<String>) -> Self {
        HttpConfig {
            url: url.into(),
            timeout_ms: default_timeout_ms(),
            connect_timeout_ms: default_connect_timeout_ms(),
            auth: AuthConfig::None,
            headers: BTreeMap::new(),
            field_map: BTreeMap::new(),
        }
    }
}

/// Authentication for the `http` connector; secrets come from environment variables.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum AuthConfig {
    /// No authentication.
    #[default]
    None,
    /// `Authorization: Bearer <token>`.
    Bearer {
        /// The environment variable holding the token.
        token_env: String,
    },
    /// HTTP basic auth.
    Basic {
        /// The user name (not a secret).
        user: String,
        /// The environment variable holding the password.
        password_env: String,
    },
    /// A custom header such as `X-Api-Key`.
    Header {
        /// The header name.
        name: String,
        /// The environment variable holding its value.
        value_env: String,
    },
}

/// The retry policy of the outbox loop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryConfig {
    /// Attempts in all (the first included) before an entry is parked as
    /// `delivery_failed`. Default 8.
    pub max_attempts: u32,
    /// Wait before the 2nd attempt, in ms; doubles with each further attempt. Default 1000.
    pub base_backoff_ms: u64,
    /// The longest wait between attempts, in ms. Default 300000 (5 minutes).
    pub max_backoff_ms: u64,
    /// Random share (0.0 ..= 1.0) taken off each wait so that many failed entries do not
    /// retry in lock-step: a wait `w` becomes a random value in `[w * (1 - jitter), w]`.
    /// Default 0.5.
    pub jitter: f64,
    /// The longest `Retry-After` (from a 429) that is honoured, in ms; longer ones are cut
    /// to this. Default 3600000 (1 hour).
    pub max_retry_after_ms: u64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_attempts: 8,
            base_backoff_ms: 1000,
            max_backoff_ms: 300_000,
            jitter: 0.5,
            max_retry_after_ms: 3_600_000,
        }
    }
}

impl RetryConfig {
    /// How long to wait after failed attempt number `attempt` (1-based), before jitter.
    pub fn backoff(&self, attempt: u32) -> Duration {
        crate::backoff::exponential(
            attempt.saturating_sub(1),
            Duration::from_millis(self.base_backoff_ms),
            Duration::from_millis(self.max_backoff_ms),
        )
    }

    /// `backoff(attempt)` with jitter applied; `r` is a random number in `[0, 1)`.
    pub fn jittered(&self, attempt: u32, r: f64) -> Duration {
        crate::backoff::jitter(self.backoff(attempt), self.jitter, r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_table_is_the_default_file_connector() {
        let cfg: OmsConfig = toml::from_str("").unwrap();
        assert_eq!(cfg, OmsConfig::default());
        assert_eq!(cfg.connector, ConnectorConfig::File { dir: None });
    }

    #[test]
    fn http_config_from_toml() {
        let cfg: OmsConfig = toml::from_str(
            r#"
            max_in_flight = 4
            [connector]
            type = "http"
            url = "http://127.0.0.1:9/orders"
            auth = { type = "basic", user = "po", password_env = "OMS_PW" }
            headers = { "X-Tenant" = "acme" }
            field_map = { po_number = "customerPo", "lines.sku" = "itemCode" }
            [retry]
            max_attempts = 3
            "#,
        )
        .unwrap();
        assert_eq!(cfg.max_in_flight, 4);
        assert_eq!(cfg.retry.max_attempts, 3);
        assert_eq!(cfg.retry.base_backoff_ms, 1000);
        let ConnectorConfig::Http(h) = cfg.connector else {
            panic!("not http")
        };
        assert_eq!(h.timeout_ms, 10_000);
        assert_eq!(
            h.auth,
            AuthConfig::Basic {
                user: "po".into(),
                password_env: "OMS_PW".into()
            }
        );
        assert_eq!(h.field_map["lines.sku"], "itemCode");
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(toml::from_str::<OmsConfig>("max_inflight = 3").is_err());
        assert!(toml::from_str::<OmsConfig>("[connector]\ntype = \"ftp\"").is_err());
        assert!(toml::from_str::<OmsConfig>(
            "[connector]\ntype = \"http\"\nurl = \"http://x/\"\ntimeout = 5"
        )
        .is_err());
        assert!(toml::from_str::<OmsConfig>("[connector]\ntype = \"file\"\npath = \"x\"").is_err());
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let r = RetryConfig {
            base_backoff_ms: 100,
            max_backoff_ms: 1000,
            jitter: 0.5,
            ..RetryConfig::default()
        };
        assert_eq!(r.backoff(1), Duration::from_millis(100));
        assert_eq!(r.backoff(2), Duration::from_millis(200));
        assert_eq!(r.backoff(4), Duration::from_millis(800));
        assert_eq!(r.backoff(5), Duration::from_millis(1000));
        assert_eq!(r.backoff(200), Duration::from_millis(1000));
        assert_eq!(r.jittered(1, 0.0), Duration::from_millis(100));
        let j = r.jittered(1, 0.999_999);
        assert!(
            j >= Duration::from_millis(50) && j < Duration::from_millis(51),
            "{j:?}"
        );
        assert!(r.jittered(3, f64::NAN) == Duration::from_millis(400));
    }
}
