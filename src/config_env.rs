//! Every environment variable polycart reads, in one place: the variables the
//! command line declares with clap (`env = "..."`, read from clap's own description of
//! the commands) and the table below for the rest (read by the code through these
//! constants). `polycart config env` prints the reference as Markdown;
//! `docs/configuration.md` is that output, and `tests/config_reference.rs` fails when
//! the file is stale or when the source reads a variable this registry lacks.

use std::collections::BTreeMap;

/// One environment variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvVar {
    pub name: &'static str,
    /// The value used when unset (`""`: unset means off or none).
    pub default: &'static str,
    /// Who reads it: commands, `tests`, or `build` (read when compiling).
    pub used_by: &'static str,
    pub description: &'static str,
}

const fn var(
    name: &'static str,
    default: &'static str,
    used_by: &'static str,
    description: &'static str,
) -> EnvVar {
    EnvVar {
        name,
        default,
        used_by,
        description,
    }
}

pub const LOG: EnvVar = var(
    "POLYCART_LOG",
    "warn",
    "all commands",
    "Which log lines are written to stderr: a level (`error`, `warn`, `info`, `debug`, `trace`) or `tracing` directives such as `polycart=info,sqlx=warn`.",
);
pub const LOG_FORMAT: EnvVar = var(
    "POLYCART_LOG_FORMAT",
    "text",
    "all commands",
    "`text` (human-readable) or `json`: one JSON object per line with `timestamp`, `level`, `target`, `message`, `fields`, `spans` and, when traces are exported, `trace_id` and `span_id`.",
);
pub const SECRET_KEY: EnvVar = var(
    crate::store::KEY_ENV,
    "",
    "all commands that open the sync store",
    "The 32-byte key (hex or base64) that encrypts stored credentials; polycart refuses to start with credentials stored and no key.",
);
pub const PUBLIC_URL: EnvVar = var(
    crate::webhook_setup::PUBLIC_URL_ENV,
    "",
    "serve, stores",
    "The base URL platforms reach this deployment at; set, connecting a store registers its webhooks at `{url}/v1/hooks/{platform}/{store}`; unset, stores are synced by polling.",
);
pub const CHANGES_RETENTION: EnvVar = var(
    crate::engine::settings::RETENTION_ENV,
    "30d",
    "serve, worker",
    "How long the change feed keeps changes (`30d`, `12h`, `90m`, `3600s`); older changes answer 410 `changes_expired`.",
);
pub const WORKER_ID: EnvVar = var(
    crate::engine::settings::WORKER_ID_ENV,
    "host:pid",
    "serve, worker (`--id`)",
    "This worker's name in leases and sync runs.",
);
pub const METRICS_TOKEN: EnvVar = var(
    crate::api::metrics::TOKEN_ENV,
    "",
    "serve",
    "When set, `/metrics` asks scrapers for it as a bearer token.",
);
pub const METRICS_STORE_LABELS: EnvVar = var(
    crate::api::metrics::STORE_LABELS_ENV,
    "0",
    "serve",
    "`1` puts store ids in `/metrics` labels (per-store lag, requests, 429s, retries, budget use, circuit state); otherwise they are summed or taken worst per platform.",
);
pub const REFUSE_PRIVATE_URLS: EnvVar = var(
    crate::store::REFUSE_PRIVATE_ENV,
    "1 when serving beyond loopback, else 0",
    "all commands",
    "`1` refuses store and subscription URLs (and connections) to private, loopback, link-local and metadata addresses; `0` allows them.",
);
pub const SQLITE_SYNC: EnvVar = var(
    crate::store::SQLITE_SYNC_ENV,
    "full",
    "all commands that open an SQLite sync store",
    "What an SQLite commit syncs: `full` fsyncs the WAL on every commit (a committed page survives a power loss); `normal` fsyncs only at checkpoints (faster; the last commits before a power loss may be lost, never the database).",
);
pub const HOSTNAME: EnvVar = var(
    "HOSTNAME",
    "/etc/hostname",
    "serve, worker",
    "The host part of the default worker id (`host:pid`).",
);
pub const OTEL_EXPORTER_OTLP_ENDPOINT: EnvVar = var(
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "",
    "all commands",
    "Set, spans are exported over OTLP/HTTP to `{endpoint}/v1/traces` (a collector's port 4318); unset, no traces.",
);
pub const OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: EnvVar = var(
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "",
    "all commands",
    "The full URL spans are sent to; set, it turns tracing on and wins over `OTEL_EXPORTER_OTLP_ENDPOINT`.",
);
pub const OTEL_EXPORTER_OTLP_PROTOCOL: EnvVar = var(
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "http/protobuf",
    "all commands",
    "`http/protobuf` or `http/json` (gRPC is not built in).",
);
pub const OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: EnvVar = var(
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "",
    "all commands",
    "The protocol for traces, winning over `OTEL_EXPORTER_OTLP_PROTOCOL`.",
);
pub const OTEL_EXPORTER_OTLP_HEADERS: EnvVar = var(
    "OTEL_EXPORTER_OTLP_HEADERS",
    "",
    "all commands",
    "Headers sent with every export, `key=value,key2=value2` (a collector's API key).",
);
pub const OTEL_EXPORTER_OTLP_TRACES_HEADERS: EnvVar = var(
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "",
    "all commands",
    "Headers for trace exports, added to `OTEL_EXPORTER_OTLP_HEADERS`.",
);
pub const OTEL_EXPORTER_OTLP_TIMEOUT: EnvVar = var(
    "OTEL_EXPORTER_OTLP_TIMEOUT",
    "10000",
    "all commands",
    "Milliseconds one export may take.",
);
pub const OTEL_EXPORTER_OTLP_COMPRESSION: EnvVar = var(
    "OTEL_EXPORTER_OTLP_COMPRESSION",
    "",
    "all commands",
    "`gzip` compresses exports.",
);
pub const OTEL_SERVICE_NAME: EnvVar = var(
    "OTEL_SERVICE_NAME",
    "polycart",
    "all commands",
    "The `service.name` of exported spans.",
);
pub const OTEL_RESOURCE_ATTRIBUTES: EnvVar = var(
    "OTEL_RESOURCE_ATTRIBUTES",
    "",
    "all commands",
    "More resource attributes, `key=value,...` (`deployment.environment=prod`).",
);
pub const OTEL_TRACES_SAMPLER: EnvVar = var(
    "OTEL_TRACES_SAMPLER",
    "parentbased_always_on",
    "all commands",
    "Which traces are kept: `always_on`, `always_off`, `traceidratio`, `parentbased_traceidratio`, ...",
);
pub const OTEL_TRACES_SAMPLER_ARG: EnvVar = var(
    "OTEL_TRACES_SAMPLER_ARG",
    "",
    "all commands",
    "The sampler's argument: the ratio (0–1) for the ratio samplers.",
);
pub const OTEL_BSP_SCHEDULE_DELAY: EnvVar = var(
    "OTEL_BSP_SCHEDULE_DELAY",
    "5000",
    "all commands",
    "Milliseconds between batch exports.",
);
pub const OTEL_BSP_MAX_QUEUE_SIZE: EnvVar = var(
    "OTEL_BSP_MAX_QUEUE_SIZE",
    "2048",
    "all commands",
    "Spans queued for export at most; beyond it new spans are dropped.",
);
pub const OTEL_SDK_DISABLED: EnvVar = var(
    "OTEL_SDK_DISABLED",
    "false",
    "all commands",
    "`true` turns trace export off even with an endpoint set.",
);
pub const BUILD_REVISION: EnvVar = var(
    "POLYCART_BUILD_REVISION",
    "`git rev-parse --short HEAD`",
    "build",
    "The revision `polycart --version` shows, for builds outside a git checkout (a source tarball); else `unknown`.",
);
pub const TEST_PG_URL: EnvVar = var(
    "POLYCART_TEST_PG_URL",
    "",
    "tests",
    "The PostgreSQL the test suite uses (`postgres://postgres@127.0.0.1:5432/test`); unset, PostgreSQL tests are skipped, except under `CI=true`.",
);
pub const CI: EnvVar = var(
    "CI",
    "",
    "tests",
    "`true` makes a missing test database or package registry a failure instead of a skip.",
);
pub const UPDATE_GOLDEN: EnvVar = var(
    "UPDATE_GOLDEN",
    "",
    "tests",
    "`1` rewrites golden files (fixtures' unified JSON, schemas, OpenAPI, this reference) instead of comparing.",
);

/// The variables not declared on the command line, and those read outside it too.
pub const VARS: &[EnvVar] = &[
    LOG,
    LOG_FORMAT,
    SECRET_KEY,
    PUBLIC_URL,
    CHANGES_RETENTION,
    WORKER_ID,
    METRICS_TOKEN,
    METRICS_STORE_LABELS,
    REFUSE_PRIVATE_URLS,
    SQLITE_SYNC,
    HOSTNAME,
    OTEL_EXPORTER_OTLP_ENDPOINT,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    OTEL_EXPORTER_OTLP_PROTOCOL,
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL,
    OTEL_EXPORTER_OTLP_HEADERS,
    OTEL_EXPORTER_OTLP_TRACES_HEADERS,
    OTEL_EXPORTER_OTLP_TIMEOUT,
    OTEL_EXPORTER_OTLP_COMPRESSION,
    OTEL_SERVICE_NAME,
    OTEL_RESOURCE_ATTRIBUTES,
    OTEL_TRACES_SAMPLER,
    OTEL_TRACES_SAMPLER_ARG,
    OTEL_BSP_SCHEDULE_DELAY,
    OTEL_BSP_MAX_QUEUE_SIZE,
    OTEL_SDK_DISABLED,
    BUILD_REVISION,
    TEST_PG_URL,
    CI,
    UPDATE_GOLDEN,
];

/// One row of the reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub name: String,
    pub default: String,
    pub used_by: String,
    pub description: String,
}

/// Every variable: the command line's (name, default, the commands and flags that
/// take it, the flag's help) merged with [`VARS`] (which wins for the text).
pub fn rows(command: &clap::Command) -> Vec<Row> {
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    collect(command, &mut Vec::new(), &mut rows);
    for v in VARS {
        rows.insert(
            v.name.to_owned(),
            Row {
                name: v.name.to_owned(),
                default: v.default.to_owned(),
                used_by: v.used_by.to_owned(),
                description: v.description.to_owned(),
            },
        );
    }
    let mut rows: Vec<Row> = rows.into_values().collect();
    rows.sort_by_key(|r| (group(r), r.name.clone()));
    rows
}

fn group(row: &Row) -> u8 {
    match row.used_by.as_str() {
        "tests" => 3,
        "build" => 2,
        _ if row.name.starts_with("OTEL_") => 1,
        _ => 0,
    }
}

fn collect(command: &clap::Command, path: &mut Vec<String>, rows: &mut BTreeMap<String, Row>) {
    for arg in command.get_arguments() {
        let Some(env) = arg.get_env().and_then(|e| e.to_str()) else {
            continue;
        };
        let flag = arg
            .get_long()
            .map_or_else(|| arg.get_id().to_string(), |l| format!("--{l}"));
        let used = format!("{} (`{flag}`)", path.join(" "));
        let row = rows.entry(env.to_owned()).or_insert_with(|| Row {
            name: env.to_owned(),
            default: arg
                .get_default_values()
                .iter()
                .map(|v| v.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(","),
            used_by: String::new(),
            description: arg.get_help().map(|h| h.to_string()).unwrap_or_default(),
        });
        if !row.used_by.split(", ").any(|u| u == used) {
            if !row.used_by.is_empty() {
                row.used_by.push_str(", ");
            }
            row.used_by.push_str(&used);
        }
    }
    for sub in command.get_subcommands() {
        path.push(sub.get_name().to_owned());
        collect(sub, path, rows);
        path.pop();
    }
}

/// The reference as Markdown (what `docs/configuration.md` holds).
pub fn markdown(command: &clap::Command) -> String {
    let mut out = String::from(
        "# Configuration reference\n\n\
         Every environment variable polycart reads. Generated by `polycart config env` from the \
         code (the command line's declarations and `src/config_env.rs`); \
         `tests/config_reference.rs` fails when this file is stale \
         (`UPDATE_GOLDEN=1 cargo test --test config_reference` rewrites it).\n\n\
         | Variable | Default | Used by | Description |\n|---|---|---|---|\n",
    );
    for r in rows(command) {
        let default = if r.default.is_empty() {
            "—".to_owned()
        } else if r.default.starts_with('`') {
            r.default.clone()
        } else {
            format!("`{}`", r.default)
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            r.name,
            cell(&default),
            cell(&r.used_by),
            cell(&r.description)
        ));
    }
    out
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
