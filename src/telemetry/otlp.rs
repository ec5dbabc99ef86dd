//! The OTLP trace exporter from the standard OpenTelemetry variables: on when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set (and
//! `OTEL_SDK_DISABLED` is not `true`); `OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL` picks
//! `http/protobuf` (the default) or `http/json`; headers, timeout, compression,
//! `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, the sampler and the batch
//! processor's settings are read by the OpenTelemetry SDK itself. gRPC is not built in
//! (it would bring a second HTTP stack): a collector takes OTLP/HTTP on port 4318.
//!
//! Spans are exported from the SDK's own thread with a blocking client, outside the
//! tokio runtime and outside the network policy for platform calls: a collector
//! usually lives on a private address.

use opentelemetry::KeyValue;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;

use super::Error;
use crate::config_env;

/// The exporter's settings polycart decides; the rest the SDK reads itself.
#[derive(Debug, Clone, PartialEq)]
pub struct OtlpSettings {
    pub protocol: Protocol,
}

impl OtlpSettings {
    /// `None` when no endpoint is configured (or the SDK is disabled).
    pub fn from_env() -> Result<Option<Self>, Error> {
        let set =
            |var: &config_env::EnvVar| std::env::var(var.name).is_ok_and(|v| !v.trim().is_empty());
        let disabled = std::env::var(config_env::OTEL_SDK_DISABLED.name)
            .is_ok_and(|v| v.trim().eq_ignore_ascii_case("true"));
        if disabled
            || !(set(&config_env::OTEL_EXPORTER_OTLP_ENDPOINT)
                || set(&config_env::OTEL_EXPORTER_OTLP_TRACES_ENDPOINT))
        {
            return Ok(None);
        }
        let protocol = [
            config_env::OTEL_EXPORTER_OTLP_TRACES_PROTOCOL.name,
            config_env::OTEL_EXPORTER_OTLP_PROTOCOL.name,
        ]
        .into_iter()
        .find_map(|var| {
            std::env::var(var)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .map(|v| (var, v))
        })
        .map_or(Ok(Protocol::HttpBinary), |(var, value)| {
            match value.trim() {
                "http/protobuf" => Ok(Protocol::HttpBinary),
                "http/json" => Ok(Protocol::HttpJson),
                _ => Err(Error::Protocol { var, value }),
            }
        })?;
        Ok(Some(Self { protocol }))
    }
}

/// The tracer provider exporting in batches over OTLP/HTTP.
pub(super) fn provider(settings: &OtlpSettings) -> Result<SdkTracerProvider, Error> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(settings.protocol)
        .build()
        .map_err(|e| Error::Exporter(e.to_string()))?;
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource())
        .build())
}

/// The SDK's resource (`OTEL_RESOURCE_ATTRIBUTES`, `OTEL_SERVICE_NAME`), named
/// `polycart` unless those name the service, with polycart's version.
fn resource() -> Resource {
    let named = std::env::var(config_env::OTEL_SERVICE_NAME.name).is_ok_and(|v| !v.is_empty())
        || std::env::var(config_env::OTEL_RESOURCE_ATTRIBUTES.name).is_ok_and(|v| {
            v.split(',')
                .any(|kv| kv.trim().starts_with("service.name="))
        });
    let builder = Resource::builder()
        .with_attribute(KeyValue::new("service.version", crate::version::VERSION));
    if named {
        builder.build()
    } else {
        builder.with_service_name("polycart").build()
    }
}
