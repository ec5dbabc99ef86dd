//! `POLYCART_LOG_FORMAT=json`: one JSON object per line — `timestamp` (UTC, RFC 3339),
//! `level`, `target`, `message`, the event's other `fields`, the `spans` it happened in
//! (name and fields, outermost first) and, when traces are exported, the `trace_id`
//! and `span_id` a tracing backend shows for the innermost span.

use std::fmt;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// The JSON line format.
pub(super) struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
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
        let meta = event.metadata();
        let mut fields = FieldMap::default();
        event.record(&mut fields);
        let mut line = Map::new();
        line.insert("timestamp".into(), now().into());
        line.insert("level".into(), meta.level().as_str().into());
        line.insert("target".into(), meta.target().into());
        line.insert(
            "message".into(),
            fields
                .0
                .remove("message")
                .unwrap_or(Value::String(String::new())),
        );
        if !fields.0.is_empty() {
            line.insert("fields".into(), Value::Object(fields.0));
        }
        let mut spans = Vec::new();
        let mut ids = None;
        if let Some(scope) = ctx.event_scope() {
            for span in scope {
                let ext = span.extensions();
                if ids.is_none()
                    && let Some(otel) = ext.get::<tracing_opentelemetry::OtelData>()
                    && let (Some(trace), Some(id)) = (otel.trace_id(), otel.span_id())
                {
                    ids = Some((trace.to_string(), id.to_string()));
                }
                let mut entry = ext
                    .get::<FormattedFields<JsonFields>>()
                    .and_then(|f| serde_json::from_str::<Map<String, Value>>(f).ok())
                    .unwrap_or_default();
                entry.insert("name".into(), span.name().into());
                spans.push(Value::Object(entry));
            }
        }
        if !spans.is_empty() {
            spans.reverse();
            line.insert("spans".into(), Value::Array(spans));
        }
        if let Some((trace, span)) = ids {
            line.insert("trace_id".into(), trace.into());
            line.insert("span_id".into(), span.into());
        }
        let text = serde_json::to_string(&Value::Object(line)).map_err(|_| fmt::Error)?;
        writeln!(writer, "{text}")
    }
}

/// A line outside any event: an operator notice, in the same shape.
pub(super) fn notice_line(level: tracing::Level, message: &str) -> String {
    serde_json::json!({
        "timestamp": now(),
        "level": level.as_str(),
        "target": "polycart",
        "message": message,
    })
    .to_string()
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// An event's fields as JSON values.
#[derive(Default)]
struct FieldMap(Map<String, Value>);

impl Visit for FieldMap {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0.insert(field.name().into(), value.to_string().into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().into(), format!("{value:?}").into());
    }
}
