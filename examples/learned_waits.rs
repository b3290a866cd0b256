//! Waits that learn: a synchronous run polls around the end that earlier runs of the same
//! script predict, so a steady script costs a few requests per run instead of a poll every few
//! milliseconds. The rule and its settings: `wmill::http::WaitHistory`.
//!
//! Uses the configured Windmill server (the script `f/examples/steady`, which sleeps `ms`
//! milliseconds and returns `ms`, must exist there; the fake server of `scripts/test.sh` has
//! it), counting the requests of each run from the SDK's `http` spans; once with the history on
//! (the default), once with it off. Without a server, the embedded in-memory backend runs the
//! script in process: it sends no request, so there is nothing to learn, and the example says
//! so.
//!
//! ```sh
//! cargo run -p wmill-examples --example learned_waits
//! ```

#[path = "support/mod.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tracing::Subscriber;
use tracing::span::{Attributes, Id};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use wmill::http::{WaitHistory, WaitTuning, WindmillBuilder};
use wmill::{Client, RunOptions};

/// Counts the SDK's `http` spans: one per request attempt.
struct CountRequests(Arc<AtomicU64>);

impl<S: Subscriber> Layer<S> for CountRequests {
    fn on_new_span(&self, attrs: &Attributes<'_>, _id: &Id, _ctx: Context<'_, S>) {
        let meta = attrs.metadata();
        if meta.name() == "http" && meta.target().starts_with("wmill_http") {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

const RUNS: usize = 6;

#[tokio::main]
async fn main() -> wmill::Result<()> {
    let requests = Arc::new(AtomicU64::new(0));
    let subscriber = tracing_subscriber::registry().with(CountRequests(requests.clone()));
    tracing::subscriber::set_global_default(subscriber)
        .map_err(|e| wmill::Error::invalid("example", e.to_string()))?;
    support::install_client(seed)?;

    let with_history = runs("history on", &requests).await?;
    if !support::server_configured() {
        println!(
            "The embedded backend sends no request (its runs complete in process): nothing to learn."
        );
        return Ok(());
    }

    // The same runs with a client that forgets: each is scheduled from zero.
    let forgetful = WindmillBuilder::from_env()
        .with_wait_tuning(WaitTuning::default().history(WaitHistory::disabled()))
        .build()?;
    wmill::set_client(Client::windmill(forgetful));
    let without = runs("history off", &requests).await?;

    let later = |v: &[u64]| v[1..].iter().sum::<u64>() as f64 / (v.len() - 1) as f64;
    println!(
        "requests per run after the first: {:.1} with the history, {:.1} without",
        later(&with_history),
        later(&without)
    );
    println!(
        "the history saves requests: {}",
        later(&with_history) < later(&without)
    );
    Ok(())
}

/// Runs the 200 ms script synchronously `RUNS` times, back to back; returns the requests of
/// each run.
async fn runs(label: &str, requests: &AtomicU64) -> wmill::Result<Vec<u64>> {
    let mut counts = Vec::new();
    for i in 1..=RUNS {
        requests.store(0, Ordering::Relaxed);
        let started = Instant::now();
        let out = wmill::run_script_by_path_with(
            "f/examples/steady",
            &json!({"ms": 200}),
            &RunOptions::new(),
        )
        .await?;
        let n = requests.load(Ordering::Relaxed);
        println!(
            "{label}: run {i} returned {out} in {} ms with {n} request(s)",
            started.elapsed().as_millis()
        );
        counts.push(n);
    }
    Ok(counts)
}

fn seed(backend: wmill::InMemory) -> wmill::Result<wmill::InMemory> {
    backend.register_script("f/examples/steady", |args| async move {
        let ms = args.get("ms").and_then(Value::as_u64).unwrap_or(0);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Ok(json!(ms))
    })?;
    Ok(backend)
}
