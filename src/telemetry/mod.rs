//! Logs and traces of the `polycart` process, set up once in `main`: a log layer
//! (human-readable by default, one JSON object per line with
//! `POLYCART_LOG_FORMAT=json`, filtered by `POLYCART_LOG`), and, when an OTLP endpoint
//! is configured through the standard `OTEL_*` variables, an OpenTelemetry layer that
//! exports the spans (sync passes, pages, platform requests, API requests) over
//! OTLP/HTTP. [`Telemetry::shutdown`] flushes what is still queued before the process
//! exits.
//!
//! Spans carry our own ids and figures (store, platform, entity, route templates,
//! statuses), never credentials: the transport names routes without their query
//! strings and redacts errors before they are recorded.

mod filter;
mod json;
mod otlp;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config_env;

pub use otlp::OtlpSettings;

/// What can be wrong with the telemetry settings.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{var}={value:?} is not a log format: use `text` (the default) or `json`")]
    LogFormat { var: &'static str, value: String },
    #[error("{var}={value:?} is not a log filter: {reason}")]
    LogFilter {
        var: &'static str,
        value: String,
        reason: String,
    },
    #[error(
        "{var}={value:?} is not supported: polycart exports OTLP over HTTP, use `http/protobuf` (the default) or `http/json`"
    )]
    Protocol { var: &'static str, value: String },
    #[error("the OTLP exporter cannot be set up: {0}")]
    Exporter(String),
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// `2026-01-01T00:00:00Z  WARN polycart::engine: message key=value`.
    Text,
    /// One JSON object per line: timestamp, level, target, message, fields, spans and,
    /// with tracing on, trace and span ids.
    Json,
}

impl LogFormat {
    /// From `POLYCART_LOG_FORMAT` (unset: text).
    pub fn from_env() -> Result<Self, Error> {
        let var = config_env::LOG_FORMAT.name;
        match std::env::var(var) {
            Err(_) => Ok(Self::Text),
            Ok(v) => match v.trim().to_ascii_lowercase().as_str() {
                "" | "text" => Ok(Self::Text),
                "json" => Ok(Self::Json),
                _ => Err(Error::LogFormat { var, value: v }),
            },
        }
    }
}

/// The process's telemetry; keep it until the end of `main`.
pub struct Telemetry {
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Telemetry {
    /// Whether spans are exported.
    pub fn tracing_enabled(&self) -> bool {
        self.provider.is_some()
    }

    /// Exports what is still queued and stops the exporter.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(e) = provider.shutdown()
        {
            notice(
                tracing::Level::WARN,
                &format!("warning: exporting the last traces failed: {e}"),
            );
        }
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The log format chosen at [`init`] (text before it).
static FORMAT: std::sync::OnceLock<LogFormat> = std::sync::OnceLock::new();

/// Writes a message meant for the operator (the address a server listens on, a
/// command's error) to stderr in the log format: plain text, or a JSON line like the
/// logs' so a log collector can read every line. Not filtered by `POLYCART_LOG`.
pub fn notice(level: tracing::Level, message: &str) {
    match FORMAT.get().copied().unwrap_or(LogFormat::Text) {
        LogFormat::Text => eprintln!("{message}"),
        LogFormat::Json => eprintln!("{}", json::notice_line(level, message)),
    }
}

/// Installs the process-wide subscriber from the environment.
pub fn init() -> Result<Telemetry, Error> {
    let format = LogFormat::from_env()?;
    let _ = FORMAT.set(format);
    let events = log_filter()?;
    let otlp = OtlpSettings::from_env()?;
    let provider = otlp.as_ref().map(otlp::provider).transpose()?;
    let otel_layer = provider.as_ref().map(|p| {
        use opentelemetry::trace::TracerProvider as _;
        tracing_opentelemetry::layer()
            .with_tracer(p.tracer("polycart"))
            .with_filter(filter::spans())
    });
    // With tracing on, the log layer sees polycart's spans whatever `POLYCART_LOG`
    // says (its events are still filtered by it), so a line can name its trace.
    let log_filter = filter::LogFilter::new(events, provider.is_some());
    let log_layer = match format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .fmt_fields(tracing_subscriber::fmt::format::JsonFields::new())
            .event_format(json::JsonLines)
            .boxed(),
    };
    tracing_subscriber::registry()
        .with(otel_layer)
        .with(log_layer.with_filter(log_filter))
        .init();
    Ok(Telemetry { provider })
}

/// `POLYCART_LOG` (unset: `warn`).
fn log_filter() -> Result<EnvFilter, Error> {
    let var = config_env::LOG.name;
    match std::env::var(var) {
        Err(_) => Ok(EnvFilter::new(config_env::LOG.default)),
        Ok(v) => EnvFilter::try_new(&v).map_err(|e| Error::LogFilter {
            var,
            reason: e.to_string(),
            value: v,
        }),
    }
}
