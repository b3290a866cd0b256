//! A `tracing` subscriber that keeps every span and event it sees (names, parents, fields), for
//! tests that assert what the SDK's spans carry and that no secret ever reaches them.
//!
//! Self-contained (only `tracing` and `tracing-subscriber`): wmill-http's tests include this
//! file by path, the other crates use it as `wmill_tests::trace_capture`.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use wmill_tests::trace_capture::{Capture, field};
//!
//! let (capture, _guard) = Capture::install();
//! async {
//!     let _http = tracing::info_span!("http", status = 200u16).entered();
//! }
//! .await;
//! let http = capture.one("http");
//! assert_eq!(field(&http, "status"), Some("200"));
//! capture.assert_no_secret(&["tok-"]);
//! # }
//! ```

#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::Registry;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// A span as the capture saw it: its name, its parent's number, and its fields (those given at
/// creation and those recorded later).
#[derive(Debug, Clone)]
pub struct SpanRec {
    /// A number unique to this span in its capture.
    pub seq: u64,
    /// The span's name.
    pub name: &'static str,
    /// The parent span's number.
    pub parent: Option<u64>,
    /// Its fields, as text (strings as they are, other values in their `Debug` form).
    pub fields: BTreeMap<String, String>,
}

/// An event as the capture saw it.
#[derive(Debug, Clone)]
pub struct EventRec {
    /// Its target (the module that sent it).
    pub target: String,
    /// The number of the span it happened in.
    pub span: Option<u64>,
    /// Its fields, the message included.
    pub fields: BTreeMap<String, String>,
}

#[derive(Debug, Default)]
struct Store {
    spans: Vec<SpanRec>,
    events: Vec<EventRec>,
}

/// A unique number per span (the subscriber's ids are reused once a span closes).
struct Seq(u64);

/// The capturing layer; [`Capture::install`] makes it this thread's subscriber.
#[derive(Debug, Clone, Default)]
pub struct Capture {
    store: Arc<Mutex<Store>>,
    next: Arc<AtomicU64>,
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl<S> Layer<S> for Capture
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let seq = self.next.fetch_add(1, Ordering::Relaxed);
        let span = ctx.span(id).expect("a new span is registered");
        let parent = span
            .parent()
            .and_then(|p| p.extensions().get::<Seq>().map(|s| s.0));
        span.extensions_mut().insert(Seq(seq));
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        self.store.lock().unwrap().spans.push(SpanRec {
            seq,
            name: attrs.metadata().name(),
            parent,
            fields,
        });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(seq) = ctx
            .span(id)
            .and_then(|s| s.extensions().get::<Seq>().map(|s| s.0))
        else {
            return;
        };
        let mut store = self.store.lock().unwrap();
        if let Some(rec) = store.spans.iter_mut().find(|s| s.seq == seq) {
            values.record(&mut Fields(&mut rec.fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let span = ctx
            .event_span(event)
            .and_then(|s| s.extensions().get::<Seq>().map(|s| s.0));
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        self.store.lock().unwrap().events.push(EventRec {
            target: event.metadata().target().to_owned(),
            span,
            fields,
        });
    }
}

impl Capture {
    /// Captures everything (every level) on this thread until the guard is dropped: use a
    /// current-thread runtime (`#[tokio::test]`'s default), or the other threads' spans are
    /// not seen.
    pub fn install() -> (Capture, tracing::subscriber::DefaultGuard) {
        let capture = Capture::default();
        let subscriber = Registry::default().with(capture.clone());
        let guard = tracing::subscriber::set_default(subscriber);
        (capture, guard)
    }

    /// Captures everything, on every thread, for the rest of the process (a test binary of
    /// its own: one global subscriber per process). For code that runs on threads of its own
    /// (`wmill::blocking`).
    pub fn install_global() -> Capture {
        let capture = Capture::default();
        let subscriber = Registry::default().with(capture.clone());
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber in this test binary");
        capture
    }

    /// Every span so far, in creation order.
    pub fn spans(&self) -> Vec<SpanRec> {
        self.store.lock().unwrap().spans.clone()
    }

    /// Every event so far, in order.
    pub fn events(&self) -> Vec<EventRec> {
        self.store.lock().unwrap().events.clone()
    }

    /// The only span named `name` (fails if there is none or more than one).
    pub fn one(&self, name: &str) -> SpanRec {
        let found: Vec<SpanRec> = self.named(name);
        assert_eq!(found.len(), 1, "one {name} span: {:#?}", self.spans());
        found.into_iter().next().unwrap()
    }

    /// The spans named `name`, in creation order.
    pub fn named(&self, name: &str) -> Vec<SpanRec> {
        self.spans()
            .into_iter()
            .filter(|s| s.name == name)
            .collect()
    }

    /// The spans named `name` directly under `parent`, in creation order.
    pub fn children(&self, parent: &SpanRec, name: &str) -> Vec<SpanRec> {
        self.spans()
            .into_iter()
            .filter(|s| s.parent == Some(parent.seq) && s.name == name)
            .collect()
    }

    /// `(attempt, status)` of each `http` span directly under `parent`, `-` for a missing one.
    pub fn attempts(&self, parent: &SpanRec) -> Vec<(String, String)> {
        self.children(parent, "http")
            .iter()
            .map(|h| {
                (
                    field(h, "attempt").unwrap_or("-").to_owned(),
                    field(h, "status").unwrap_or("-").to_owned(),
                )
            })
            .collect()
    }

    /// Fails if any field of any span or event holds one of `secrets`, or if a field naming a
    /// request (`path`, `endpoint`, `request`) holds a query string. Fails too when nothing
    /// was captured (a test that would pass by seeing nothing).
    pub fn assert_no_secret(&self, secrets: &[&str]) {
        let mut seen = 0;
        let spans = self.spans();
        let events = self.events();
        let values = spans
            .iter()
            .flat_map(|s| s.fields.iter().map(move |f| (s.name.to_owned(), f)))
            .chain(
                events
                    .iter()
                    .flat_map(|e| e.fields.iter().map(move |f| (e.target.clone(), f))),
            );
        for (owner, (field, value)) in values {
            seen += 1;
            for secret in secrets {
                assert!(
                    !value.contains(secret),
                    "{owner}: field {field} = {value:?} holds the secret {secret:?}"
                );
            }
            if field == "path" || field == "endpoint" || field == "request" {
                assert!(
                    !value.contains('?'),
                    "{owner}: {field} = {value:?} has a query"
                );
            }
        }
        assert!(seen > 0, "nothing was captured");
    }
}

/// A field of a span, as text.
pub fn field<'a>(span: &'a SpanRec, name: &str) -> Option<&'a str> {
    span.fields.get(name).map(String::as_str)
}
