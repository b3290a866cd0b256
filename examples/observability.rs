//! Observability: every call of the SDK runs in a `tracing` span named after it
//! (`get_variable`, `run_script_by_path`, `load_s3_file`, ...) with the workspace, the item path
//! or S3 key and the job id as fields, and each HTTP attempt in an `http` child span with its
//! method, path, attempt number and status. No secret is ever a field.
//!
//! This example shows the spans twice:
//! - on standard error, with `tracing-subscriber`'s `fmt` layer (filtered by `RUST_LOG`, by
//!   default `info` for the SDK's crates), one line per span as it closes;
//! - as OpenTelemetry spans, through `tracing-opentelemetry`, exported to a small in-process
//!   exporter that prints them on standard output. Swap it for `opentelemetry-otlp`'s exporter
//!   to send the same spans to a collector (Jaeger, Tempo, Honeycomb, ...).
//!
//! With a Windmill server configured (`BASE_INTERNAL_URL` or `WM_BASE_URL`, `WM_TOKEN`,
//! `WM_WORKSPACE`), it reads a resource and runs a script there: each request shows as an `http`
//! span under the call. Without one, the embedded backend answers (it sends no request, so it
//! has no span); the S3 calls at the end, on an in-memory object store, show spans either way.
//!
//! ```sh
//! cargo run -p wmill-examples --example observability
//! RUST_LOG=wmill_http=debug cargo run -p wmill-examples --example observability
//! ```

#[path = "support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
use serde_json::json;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, fmt};
use wmill::{S3Client, S3Object, WriteOptions};

/// What the spans of this example are filtered on, unless `RUST_LOG` says otherwise.
const DEFAULT_FILTER: &str = "wmill_http=info,wmill_s3=info,observability=info";

#[tokio::main]
async fn main() -> wmill::Result<()> {
    // OpenTelemetry: a tracer provider whose exporter keeps the finished spans (an OTLP
    // exporter would send them to a collector instead).
    let exporter = Collected::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let tracer = provider.tracer("wmill-examples");

    // One subscriber, two layers: readable lines on standard error, and OpenTelemetry.
    let filter =
        || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    tracing_subscriber::registry()
        .with(
            fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal())
                .with_span_events(FmtSpan::CLOSE)
                .with_filter(filter()),
        )
        .with(
            tracing_opentelemetry::layer()
                .with_tracer(tracer)
                .with_filter(filter()),
        )
        .init();

    // The application's own span: the SDK's spans are its children.
    let report = tracing::info_span!("nightly_report");
    async {
        support::install_client(seed)?;

        // A resource holding a password: the value is never a field of any span.
        let db = wmill::get_resource("f/examples/postgres").await?;
        println!("resource f/examples/postgres: host={}", db["host"]);
        let sum = wmill::run_script_by_path("f/examples/add", &json!({"a": 40, "b": 2})).await?;
        println!("run_script_by_path returned {sum}");

        // S3 calls: spans with the storage and key (never the content).
        let store = Arc::new(wmill::s3::object_store::memory::InMemory::new());
        let s3 = S3Client::from_store(store);
        let obj = S3Object::new("reports/today.csv")?;
        s3.write_s3_file(Some(&obj), "day,total\nmon,42\n", &WriteOptions::new())
            .await?;
        let back = s3.load_s3_file(&obj).await?;
        println!("load_s3_file read {} bytes", back.len());
        Ok::<_, wmill::Error>(())
    }
    .instrument(report)
    .await?;

    // Every span has ended: make sure the exporter has them all, then show them.
    if let Err(e) = provider.force_flush() {
        eprintln!("OpenTelemetry flush failed: {e}");
    }
    let spans = exporter.take();
    let names: HashMap<_, _> = spans
        .iter()
        .map(|s| (s.span_context.span_id(), s.name.clone()))
        .collect();
    println!("OpenTelemetry received {} span(s):", spans.len());
    for span in &spans {
        let parent = names
            .get(&span.parent_span_id)
            .map_or("none".into(), |n| n.to_string());
        // The SDK's fields (tracing-opentelemetry adds code locations and thread names too).
        let fields: Vec<String> = span
            .attributes
            .iter()
            .filter(|kv| SDK_FIELDS.contains(&kv.key.as_str()))
            .map(|kv| format!("{}={}", kv.key, kv.value))
            .collect();
        println!(
            "otel span {} (parent: {parent}) {}",
            span.name,
            fields.join(" ")
        );
    }
    if let Err(e) = provider.shutdown() {
        eprintln!("OpenTelemetry shutdown failed: {e}");
    }
    Ok(())
}

/// The span fields of the SDK that this example prints.
const SDK_FIELDS: &[&str] = &[
    "workspace",
    "path",
    "hash",
    "job_id",
    "storage",
    "key",
    "method",
    "attempt",
    "status",
    "error",
];

/// A span exporter that keeps the spans it is given, for this example to print.
#[derive(Debug, Clone, Default)]
struct Collected(Arc<Mutex<Vec<SpanData>>>);

impl Collected {
    fn take(&self) -> Vec<SpanData> {
        self.0
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }
}

impl SpanExporter for Collected {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        if let Ok(mut spans) = self.0.lock() {
            spans.extend(batch);
        }
        Ok(())
    }
}

/// What this example reads, for the embedded backend.
fn seed(wm: wmill::InMemory) -> wmill::Result<wmill::InMemory> {
    let wm = wm
        .with_variable("f/examples/db_password", "s3cret")?
        .with_resource(
            "f/examples/postgres",
            json!({"host": "localhost", "port": 5432, "password": "$var:f/examples/db_password"}),
            "postgresql",
        )?;
    wm.register_script("f/examples/add", |args| async move {
        let n = |k: &str| args.get(k).and_then(serde_json::Value::as_i64).unwrap_or(0);
        Ok(json!(n("a") + n("b")))
    })?;
    Ok(wm)
}
