//! Which spans and events each layer sees. The OpenTelemetry layer takes polycart's
//! spans (and the events inside them) at `info` and above, whatever the log level. The
//! log layer writes the events `POLYCART_LOG` admits; with tracing on it also sees
//! polycart's spans, so that a JSON line inside a span can carry its trace id even when
//! `POLYCART_LOG` is `warn`.

use tracing::Metadata;
use tracing::subscriber::Interest;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::{Context, Filter};

/// polycart's crates (`polycart`, `polycart_kit`, `polycart_shopify`, ...) at `info`.
pub(super) fn spans() -> Targets {
    Targets::new()
        .with_target("polycart", LevelFilter::INFO)
        .with_default(LevelFilter::WARN)
}

/// `POLYCART_LOG` for events (and spans, unless tracing is on).
pub(super) struct LogFilter {
    events: EnvFilter,
    spans: Option<Targets>,
}

impl LogFilter {
    pub(super) fn new(events: EnvFilter, tracing: bool) -> Self {
        Self {
            events,
            spans: tracing.then(spans),
        }
    }
}

impl<S> Filter<S> for LogFilter
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn enabled(&self, meta: &Metadata<'_>, cx: &Context<'_, S>) -> bool {
        let by_log = Filter::<S>::enabled(&self.events, meta, cx);
        by_log
            || (meta.is_span()
                && self
                    .spans
                    .as_ref()
                    .is_some_and(|t| t.would_enable(meta.target(), meta.level())))
    }

    fn callsite_enabled(&self, _meta: &'static Metadata<'static>) -> Interest {
        // Decided per span and event: the env filter's span-field directives need it.
        Interest::sometimes()
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        let events = Filter::<S>::max_level_hint(&self.events);
        match (&self.spans, events) {
            (Some(_), Some(e)) => Some(e.max(LevelFilter::INFO)),
            (_, e) => e,
        }
    }

    fn event_enabled(&self, event: &tracing::Event<'_>, cx: &Context<'_, S>) -> bool {
        Filter::<S>::event_enabled(&self.events, event, cx)
    }

    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: Context<'_, S>,
    ) {
        Filter::<S>::on_new_span(&self.events, attrs, id, ctx);
    }

    fn on_record(
        &self,
        id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        ctx: Context<'_, S>,
    ) {
        Filter::<S>::on_record(&self.events, id, values, ctx);
    }

    fn on_enter(&self, id: &tracing::span::Id, ctx: Context<'_, S>) {
        Filter::<S>::on_enter(&self.events, id, ctx);
    }

    fn on_exit(&self, id: &tracing::span::Id, ctx: Context<'_, S>) {
        Filter::<S>::on_exit(&self.events, id, ctx);
    }

    fn on_close(&self, id: tracing::span::Id, ctx: Context<'_, S>) {
        Filter::<S>::on_close(&self.events, id, ctx);
    }
}
