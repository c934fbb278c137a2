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
    pub web: WebConfig,
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
    /// Failed logins allowed per name and per client address within the window. Default 5.
    pub login_max_failures: u32,
    /// The rate-limiting window, in minutes. Default 15.
    pub login_window_minutes: u64,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            listen: "127.0.0.1:8080".into(),
            session_hours: 12,
            claim_minutes: 15,
            secure_cookie: false,
            login_max_failures: 5,
            login_window_minutes: 15,
        }
    }
}

/// Extraction settings.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ExtractConfig {
    /// Directory holding model.onnx and tokenizer.json; default `models/` beside the config.
    pub model_dir: Option<PathBuf>,
    /// Threads for model inference (0 = let the runtime pick).
    pub threads: usize,
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
    pub web: WebConfig,
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
            web: raw.web,
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
        web: WebConfig::default(),
        source: None,
    }
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
