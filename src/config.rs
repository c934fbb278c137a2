//! Configuration: `RawConfig` is the TOML file as typed; `Config` is validated with defaults
//! applied and paths resolved. Secrets never live in the file: it names environment variables.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::oms::OmsConfig;
use crate::parse::Limits;
use crate::rules::RulesConfig;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("config file {path} is invalid: {source}")]
    Parse {
        path: PathBuf,
        #[source]
        source: Box<toml::de::Error>,
    },
    #[error("config: {0}")]
    Invalid(String),
}

/// How a drop folder notices new files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum WatchMode {
    /// File-system events (inotify); the default for local disks.
    #[default]
    Events,
    /// Re-scan every `poll_interval_secs`: for SMB/NFS shares where events never fire.
    Poll,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDropFolder {
    pub path: PathBuf,
    #[serde(default)]
    pub mode: WatchMode,
    pub poll_interval_secs: Option<u64>,
    pub settle_ms: Option<u64>,
}

/// The file as typed.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub data_dir: Option<PathBuf>,
    #[serde(default)]
    pub drop_folders: Vec<RawDropFolder>,
    #[serde(default)]
    pub limits: Limits,
    #[serde(default)]
    pub rules: RulesConfig,
    #[serde(default)]
    pub oms: OmsConfig,
    #[serde(default)]
    pub extract: ExtractConfig,
    #[serde(default)]
    pub mailboxes: Vec<RawMailbox>,
    #[serde(default)]
    pub web: WebConfig,
    #[serde(default)]
    pub acknowledgements: crate::ack::AckConfig,
}

/// The reviewer web UI; the `[web]` table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebConfig {
    /// Address to listen on (`serve --listen` overrides it). Default 127.0.0.1:8080.
    pub listen: String,
    /// How long a login lasts, in hours. Default 12.
    pub session_hours: u64,
    /// How long an opened order stays claimed by its reviewer, in minutes. Default 15.
    pub claim_minutes: u64,
    /// Mark the session cookie `Secure` (behind TLS). Default false.
    pub secure_cookie: bool,
    /// Failed logins allowed per account name within the window. Default 5.
    pub login_max_failures: u32,
    /// Failed logins allowed per client address (all names together) within the window;
    /// higher than per name, as a proxy puts many people behind one address. Default 50.
    pub login_max_failures_per_client: u32,
    /// The rate-limiting window, in minutes. Default 15.
    pub login_window_minutes: u64,
    /// Serve `/metrics` without a login. Default false: it then needs a reviewer session or
    /// `Authorization: Bearer $PO_INTAKE_METRICS_TOKEN`, because the counts (customers'
    /// mailboxes, volumes, error texts) are business data.
    pub metrics_public: bool,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            listen: "127.0.0.1:8080".into(),
            session_hours: 12,
            claim_minutes: 15,
            secure_cookie: false,
            login_max_failures: 5,
            login_max_failures_per_client: 50,
            login_window_minutes: 15,
            metrics_public: false,
        }
    }
}

/// Extraction settings.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ExtractConfig {
    /// Directory holding model.onnx and tokenizer.json; default `models/` beside the config.
    pub model_dir: Option<PathBuf>,
    /// Threads for model inference (0 = let the runtime pick; with several workers, the
    /// cores divided among them).
    pub threads: usize,
    /// Documents read (parsed and labelled) at once by `ingest`, `watch` and `serve`, each
    /// with its own model session over the same weights; 0 = one per core.
    pub workers: usize,
}

impl ExtractConfig {
    /// [`ExtractConfig::workers`] with 0 resolved to the number of cores.
    pub fn workers(&self) -> usize {
        match self.workers {
            0 => cores(),
            n => n,
        }
    }
}

/// The cores this process may use (1 when unknown).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// A validated drop folder.
#[derive(Debug, Clone, PartialEq)]
pub struct DropFolder {
    pub path: PathBuf,
    pub mode: WatchMode,
    pub poll_interval: Duration,
    /// How long a file's size and mtime must stay unchanged before it is picked up.
    pub settle: Duration,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub drop_folders: Vec<DropFolder>,
    pub limits: Limits,
    pub rules: RulesConfig,
    pub oms: OmsConfig,
    pub extract: ExtractConfig,
    /// IMAP mailboxes watched by `po-intake watch`.
    pub mailboxes: Vec<Mailbox>,
    pub web: WebConfig,
    /// E-mail acknowledgements to customers (issue 20).
    pub acknowledgements: crate::ack::AckConfig,
    /// The file it was read from, if any (relative paths in it are resolved against its folder).
    pub source: Option<PathBuf>,
}

impl Config {
    /// Read `path`. A missing file is allowed only when `must_exist` is false (the default
    /// path): then the embedded defaults apply.
    pub fn load(path: &Path, must_exist: bool) -> Result<Config, ConfigError> {
        let (raw, source) = match std::fs::read_to_string(path) {
            Ok(text) => {
                let raw: RawConfig = toml::from_str(&text).map_err(|e| ConfigError::Parse {
                    path: path.to_path_buf(),
                    source: Box::new(e),
                })?;
                (raw, Some(path.to_path_buf()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {
                (RawConfig::default(), None)
            }
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        Config::from_raw(raw, source)
    }

    pub fn from_raw(raw: RawConfig, source: Option<PathBuf>) -> Result<Config, ConfigError> {
        // Relative paths in the file are relative to the directory the process runs in,
        // like every CLI argument; the data dir defaults to ./data.
        let data_dir = raw.data_dir.unwrap_or_else(|| PathBuf::from("data"));
        let mut drop_folders = Vec::new();
        for f in raw.drop_folders {
            let poll = f.poll_interval_secs.unwrap_or(10);
            if poll == 0 {
                return Err(ConfigError::Invalid(format!(
                    "drop folder {}: poll_interval_secs must be at least 1",
                    f.path.display()
                )));
            }
            drop_folders.push(DropFolder {
                path: f.path,
                mode: f.mode,
                poll_interval: Duration::from_secs(poll),
                settle: Duration::from_millis(f.settle_ms.unwrap_or(1000)),
            });
        }
        if raw.limits.max_file_bytes == 0 || raw.limits.max_pages == 0 {
            return Err(ConfigError::Invalid(
                "limits.max_file_bytes and limits.max_pages must be positive".into(),
            ));
        }
        let w = &raw.web;
        if w.session_hours == 0 || w.claim_minutes == 0 || w.login_window_minutes == 0 {
            return Err(ConfigError::Invalid(
                "web.session_hours, web.claim_minutes and web.login_window_minutes must be positive"
                    .into(),
            ));
        }
        if w.listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError::Invalid(format!(
                "web.listen must be an address like 127.0.0.1:8080, not '{}'",
                w.listen
            )));
        }
        Ok(Config {
            data_dir,
            drop_folders,
            limits: raw.limits,
            rules: raw.rules,
            oms: raw.oms,
            extract: raw.extract,
            mailboxes: validate_mailboxes(raw.mailboxes)?,
            web: raw.web,
            acknowledgements: raw.acknowledgements,
            source,
        })
    }

    /// Defaults only (tests, `extract` without a config).
    pub fn embedded_default() -> Config {
        Config::from_raw(RawConfig::default(), None).unwrap_or_else(|_| unreachable_default())
    }
}

fn unreachable_default() -> Config {
    Config {
        data_dir: PathBuf::from("data"),
        drop_folders: vec![],
        limits: Limits::default(),
        rules: RulesConfig::default(),
        oms: OmsConfig::default(),
        extract: ExtractConfig::default(),
        mailboxes: vec![],
        web: WebConfig::default(),
        acknowledgements: crate::ack::AckConfig::default(),
        source: None,
    }
}

/// How the connection to an IMAP server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// TLS from the first byte (port 993).
    #[default]
    Implicit,
    /// Plain connection upgraded with STARTTLS before login (port 143).
    Starttls,
    /// No encryption at all: only allowed for a loopback host (tests, a local relay).
    Plain,
}

/// What happens to a handled message in the watched folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DoneAction {
    /// UID MOVE to the processed/failed folder (falls back to `copy_flag` when the server
    /// lacks the MOVE extension).
    #[default]
    Move,
    /// UID COPY to the processed/failed folder and set the `$POIntakeDone` keyword on the
    /// original, which stays where it is (for shared mailboxes where moving is not allowed).
    CopyFlag,
}

/// A mailbox as typed in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMailbox {
    pub name: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    #[serde(default)]
    pub tls: TlsMode,
    /// Extra trusted CA certificates (PEM), for servers with a private CA or self-signed cert.
    pub ca_file: Option<PathBuf>,
    pub user: String,
    pub password_env: Option<String>,
    pub oauth2_token_env: Option<String>,
    pub oauth2_token_command: Option<String>,
    pub folder: Option<String>,
    pub processed_folder: Option<String>,
    pub failed_folder: Option<String>,
    #[serde(default)]
    pub allowed_senders: Vec<String>,
    #[serde(default)]
    pub on_done: DoneAction,
    pub idle: Option<bool>,
    pub poll_interval_secs: Option<u64>,
    pub idle_renew_secs: Option<u64>,
    pub max_backoff_secs: Option<u64>,
    pub fetch_chunk: Option<usize>,
}

/// Where a mailbox's credentials come from. The secret itself is read at connect time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailAuth {
    /// LOGIN with the password in this environment variable (an app password).
    PasswordEnv(String),
    /// SASL XOAUTH2 with the access token in this environment variable.
    OAuth2Env(String),
    /// SASL XOAUTH2 with the access token printed by this shell command (run again when the
    /// server rejects the token).
    OAuth2Command(String),
}

/// A validated mailbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Mailbox {
    /// Unique name: the key of its cursor and rows in the store.
    pub name: String,
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub ca_file: Option<PathBuf>,
    pub user: String,
    pub auth: MailAuth,
    pub folder: String,
    pub processed_folder: String,
    pub failed_folder: String,
    /// Lower-cased addresses (`a@b.com`) or domains (`@b.com`); empty: everyone.
    pub allowed_senders: Vec<String>,
    pub on_done: DoneAction,
    pub idle: bool,
    pub poll_interval: Duration,
    pub idle_renew: Duration,
    pub max_backoff: Duration,
    pub fetch_chunk: usize,
}

fn is_loopback_host(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn validate_mailboxes(raw: Vec<RawMailbox>) -> Result<Vec<Mailbox>, ConfigError> {
    let mut out: Vec<Mailbox> = Vec::new();
    for m in raw {
        let folder = m.folder.unwrap_or_else(|| "INBOX".into());
        let name = m
            .name
            .unwrap_or_else(|| format!("{}@{}/{}", m.user, m.host, folder));
        let bad = |what: String| ConfigError::Invalid(format!("mailbox {name}: {what}"));
        if m.host.trim().is_empty() || m.user.trim().is_empty() {
            return Err(bad("host and user must not be empty".into()));
        }
        if out.iter().any(|o| o.name == name) {
            return Err(bad(
                "two mailboxes have this name; give each a unique `name`".into(),
            ));
        }
        if m.tls == TlsMode::Plain && !is_loopback_host(&m.host) {
            return Err(bad(format!(
                "tls = \"plain\" sends the password unencrypted and is only allowed for a \
                 loopback host, not {}",
                m.host
            )));
        }
        let auth = match (m.password_env, m.oauth2_token_env, m.oauth2_token_command) {
            (Some(v), None, None) => MailAuth::PasswordEnv(v),
            (None, Some(v), None) => MailAuth::OAuth2Env(v),
            (None, None, Some(c)) => MailAuth::OAuth2Command(c),
            _ => {
                return Err(bad(
                    "set exactly one of password_env, oauth2_token_env, oauth2_token_command"
                        .into(),
                ))
            }
        };
        let processed_folder = m.processed_folder.unwrap_or_else(|| "PO-Processed".into());
        let failed_folder = m.failed_folder.unwrap_or_else(|| "PO-Failed".into());
        if processed_folder == folder || failed_folder == folder {
            return Err(bad(
                "processed_folder and failed_folder must differ from the watched folder".into(),
            ));
        }
        let poll = m.poll_interval_secs.unwrap_or(60);
        if poll == 0 {
            return Err(bad("poll_interval_secs must be at least 1".into()));
        }
        // RFC 2177: servers may drop an IDLE client after 30 minutes; re-issue before 29.
        let renew = m.idle_renew_secs.unwrap_or(25 * 60);
        if renew == 0 || renew > 29 * 60 {
            return Err(bad(
                "idle_renew_secs must be between 1 and 1740 (29 min)".into()
            ));
        }
        let chunk = m.fetch_chunk.unwrap_or(50);
        if chunk == 0 || chunk > 1000 {
            return Err(bad("fetch_chunk must be between 1 and 1000".into()));
        }
        let mut allowed = Vec::new();
        for s in m.allowed_senders {
            let s = s.trim().to_ascii_lowercase();
            if !s.contains('@') {
                return Err(bad(format!(
                    "allowed_senders entry {s:?} is neither an address nor an @domain"
                )));
            }
            allowed.push(s);
        }
        out.push(Mailbox {
            port: m.port.unwrap_or(match m.tls {
                TlsMode::Implicit => 993,
                TlsMode::Starttls | TlsMode::Plain => 143,
            }),
            host: m.host,
            tls: m.tls,
            ca_file: m.ca_file,
            user: m.user,
            auth,
            folder,
            processed_folder,
            failed_folder,
            allowed_senders: allowed,
            on_done: m.on_done,
            idle: m.idle.unwrap_or(true),
            poll_interval: Duration::from_secs(poll),
            idle_renew: Duration::from_secs(renew),
            max_backoff: Duration::from_secs(m.max_backoff_secs.unwrap_or(300).max(1)),
            fetch_chunk: chunk,
            name,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_config_file_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/po-intake.toml");
        let cfg = Config::load(&path, true).expect("config/po-intake.toml must parse");
        assert!(cfg.source.is_some());
        assert!(!cfg.drop_folders.is_empty());
    }

    #[test]
    fn mailboxes_are_validated() {
        let ok = r#"
            [[mailboxes]]
            host = "imap.example.com"
            user = "orders@example.com"
            password_env = "PO_IMAP_PASSWORD"
        "#;
        let cfg = Config::from_raw(toml::from_str(ok).unwrap(), None).unwrap();
        let m = &cfg.mailboxes[0];
        assert_eq!(
            (m.port, m.tls, m.folder.as_str()),
            (993, TlsMode::Implicit, "INBOX")
        );
        assert_eq!(m.processed_folder, "PO-Processed");
        for bad in [
            // plaintext to a remote host
            "[[mailboxes]]\nhost = \"imap.example.com\"\ntls = \"plain\"\nuser = \"u\"\npassword_env = \"P\"",
            // two secrets
            "[[mailboxes]]\nhost = \"h\"\nuser = \"u\"\npassword_env = \"P\"\noauth2_token_env = \"T\"",
            // none
            "[[mailboxes]]\nhost = \"h\"\nuser = \"u\"",
            // IDLE renewal past the server timeout
            "[[mailboxes]]\nhost = \"h\"\nuser = \"u\"\npassword_env = \"P\"\nidle_renew_secs = 1800",
        ] {
            let raw: RawConfig = toml::from_str(bad).unwrap();
            assert!(Config::from_raw(raw, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err = toml::from_str::<RawConfig>("data_dirr = \"x\"").unwrap_err();
        assert!(err.to_string().contains("data_dirr"));
    }

    #[test]
    fn missing_default_file_gives_defaults_but_explicit_one_errors() {
        let p = Path::new("/nonexistent/po-intake.toml");
        assert!(Config::load(p, false).is_ok());
        assert!(matches!(
            Config::load(p, true),
            Err(ConfigError::Read { .. })
        ));
    }
}
