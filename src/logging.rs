//! Log set-up for the binary: human-readable text (the default) or JSON lines
//! (`--log-format json`), one object per event, for log shippers.
//!
//! tracing-subscriber's own `json` feature needs the `tracing-serde` crate, which this build
//! cannot fetch (crates come only from what `Cargo.lock` already pins), so [`JsonFormat`] is a
//! small [`FormatEvent`] of our own on top of `serde_json`, which serialises every string
//! safely.

use std::fmt;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// tracing-subscriber's text format.
    #[default]
    Text,
    /// One JSON object per line: `timestamp` (RFC 3339, UTC), `level`, `target`, `thread`,
    /// `message`, the event's other fields under `fields`, and the names of the open spans
    /// under `spans` (outermost first) when there are any.
    Json,
}

/// Whether [`init`] chose JSON, for [`notice`].
static JSON: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// A message a command writes for the person at the terminal (`serve`'s address, `watch`'s
/// "watching ...", a failed file): plain text on stderr, or under `--log-format json` one JSON
/// line in the log's shape, so stderr stays parseable line by line. Not filtered by
/// `RUST_LOG`: these were never log events, and hiding them would change what people see.
pub fn notice(level: tracing::Level, msg: &str) {
    if !JSON.load(std::sync::atomic::Ordering::Relaxed) {
        eprintln!("{msg}");
        return;
    }
    let mut obj = Map::new();
    obj.insert("timestamp".into(), now().into());
    obj.insert("level".into(), level.as_str().into());
    obj.insert("target".into(), "po_intake::cli".into());
    let thread = std::thread::current();
    obj.insert("thread".into(), thread.name().unwrap_or("unnamed").into());
    // A blank line set a text block apart on a terminal; in a JSON line it is noise.
    obj.insert("message".into(), msg.trim_start_matches('\n').into());
    if let Ok(line) = serde_json::to_string(&Value::Object(obj)) {
        eprintln!("{line}");
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Install the global subscriber: `RUST_LOG` filters (default `warn`), stderr, `format`.
pub fn init(format: LogFormat) {
    JSON.store(
        format == LogFormat::Json,
        std::sync::atomic::Ordering::Relaxed,
    );
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.event_format(JsonFormat).init(),
    }
}

/// The JSON-lines event format (see [`LogFormat::Json`]).
pub struct JsonFormat;

/// Collects an event's fields as JSON values (numbers and booleans stay typed).
#[derive(Default)]
struct Fields {
    message: Option<String>,
    fields: Map<String, Value>,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, Value::String(format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::String(value.to_string()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, value.into());
    }
}

impl Fields {
    fn put(&mut self, field: &Field, value: Value) {
        if field.name() == "message" {
            self.message = Some(match value {
                Value::String(s) => s,
                other => other.to_string(),
            });
        } else {
            self.fields.insert(field.name().to_string(), value);
        }
    }
}

impl<S, N> FormatEvent<S, N> for JsonFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut f = Fields::default();
        event.record(&mut f);
        let meta = event.metadata();
        let mut obj = Map::new();
        obj.insert("timestamp".into(), now().into());
        obj.insert("level".into(), meta.level().as_str().into());
        obj.insert("target".into(), meta.target().into());
        let thread = std::thread::current();
        obj.insert("thread".into(), thread.name().unwrap_or("unnamed").into());
        obj.insert("message".into(), f.message.unwrap_or_default().into());
        if !f.fields.is_empty() {
            obj.insert("fields".into(), Value::Object(f.fields));
        }
        if let Some(scope) = ctx.event_scope() {
            let spans: Vec<Value> = scope.from_root().map(|s| s.name().into()).collect();
            obj.insert("spans".into(), Value::Array(spans));
        }
        let line = serde_json::to_string(&Value::Object(obj)).map_err(|_| fmt::Error)?;
        writeln!(writer, "{line}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn an_event_is_one_json_line_with_typed_fields() {
        let buf = Buf::default();
        let w = buf.clone();
        let sub = tracing_subscriber::fmt()
            .with_writer(move || w.clone())
            .event_format(JsonFormat)
            .finish();
        tracing::subscriber::with_default(sub, || {
            let span = tracing::info_span!("delivery");
            let _e = span.enter();
            tracing::warn!(
                order_id = 7,
                ok = false,
                error = "a \"quoted\"\nline",
                "parked"
            );
        });
        let text = String::from_utf8(buf.0.lock().expect("lock").clone()).expect("utf8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1, "{text}");
        let v: Value = serde_json::from_str(lines[0]).expect("json");
        assert_eq!(v["level"], "WARN");
        assert_eq!(v["message"], "parked");
        assert_eq!(v["fields"]["order_id"], 7);
        assert_eq!(v["fields"]["ok"], false);
        assert_eq!(v["fields"]["error"], "a \"quoted\"\nline");
        assert_eq!(v["spans"][0], "delivery");
        assert!(v["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
    }
}
