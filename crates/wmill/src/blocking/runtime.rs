//! The runtime of the blocking functions, and [`block_on`], which runs a borrowed future on it.
//!
//! A call runs where it costs least and cannot deadlock:
//! - on a thread outside any runtime (a script's `main`): right there, on the calling thread,
//!   the runtime's threads driving its I/O, timers and the tasks it spawns;
//! - on the runtime's own threads (a job closure of `InMemory` that uses the blocking API):
//!   right there too, the worker first handing its other tasks to the rest of the runtime;
//! - inside another runtime (whose `block_on` refuses to nest): right there as well. In a
//!   multi-thread runtime, after `block_in_place` (the worker hands its tasks to the rest of
//!   its runtime). In a current-thread runtime, polled by a small executor of this module that
//!   parks the thread between polls, in the blocking runtime's context, so that the blocking
//!   runtime's threads drive the call's I/O and timers and wake it.
//!
//! The future is never moved to a task or to another thread: it may borrow the caller's
//! arguments, and the call returns only after it completed (or panicked).

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Wake, Waker};

use tokio::runtime::Runtime;
use wmill_core::{Error, Result};

static RUNTIME: OnceLock<std::result::Result<Runtime, String>> = OnceLock::new();

thread_local! {
    /// Whether this thread is one of the blocking runtime's own (a worker, or its blocking pool).
    static ON_OWN_RUNTIME: Cell<bool> = const { Cell::new(false) };
}

/// The runtime, started on first use: two worker threads named `wmill-blocking`.
pub(super) fn runtime() -> Result<&'static Runtime> {
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("wmill-blocking")
                .on_thread_start(|| {
                    ON_OWN_RUNTIME.with(|own| own.set(true));
                    #[cfg(feature = "http")]
                    wmill_http::isolate_connections_on_this_thread();
                })
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| Error::NotConfigured {
            what: "blocking runtime",
            hint: format!("could not start the runtime of wmill::blocking: {e}"),
        })
}

/// Runs `fut` on the blocking runtime and waits for its output.
///
/// This is how every function of this module works; use it for any other async call of the
/// SDK (for example a method of `wmill_http::Windmill`). The future may borrow from the
/// caller: it is done when this returns. A panic inside it goes on in the caller's thread.
///
/// ```
/// let name = String::from("bob");
/// let greeting = wmill::blocking::block_on(async { Ok(format!("hello {}", &name)) })?;
/// assert_eq!(greeting, "hello bob");
/// # Ok::<(), wmill::Error>(())
/// ```
pub fn block_on<F, T>(fut: F) -> Result<T>
where
    F: Future<Output = Result<T>> + Send,
    T: Send,
{
    run(fut)?
}

/// Runs `fut` on the blocking runtime and waits for its output (see the module docs for
/// where); an error only when the runtime cannot start (or a thread for the call).
pub(super) fn run<F>(fut: F) -> Result<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    // Boxed and type-erased, every call reaches the runtime as one type: tokio's `block_on`
    // and the in-place executor are compiled once for the crate instead of once per function,
    // which was most of this crate's build time. The output comes back through `slot`.
    let mut slot = None;
    let out = &mut slot;
    run_erased(Box::pin(async move {
        *out = Some(fut.await);
    }))?;
    slot.ok_or(Error::Unsupported {
        operation: "a blocking call that returned without completing",
        backend: "wmill::blocking",
    })
}

/// A call of [`run`] with its types erased: it writes its output where `run` reads it.
type Erased<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// [`run`] for one type of future.
fn run_erased(fut: Erased<'_>) -> Result<()> {
    let rt = runtime()?;
    if ON_OWN_RUNTIME.with(Cell::get) {
        // Waiting here for another task of the same runtime could wait for ever (the task may
        // sit in this very worker's queue): the worker hands its queue to the rest of the
        // runtime first, then runs the call in place.
        tokio::task::block_in_place(|| rt.handle().block_on(fut));
        return Ok(());
    }
    if tokio::runtime::Handle::try_current().is_err() {
        isolated(|| rt.block_on(fut));
        return Ok(());
    }
    let multi_thread = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if multi_thread {
        tokio::task::block_in_place(|| isolated(|| rt.block_on(fut)));
    } else {
        isolated(|| in_place(rt, fut));
    }
    Ok(())
}

/// How long [`in_place`] parks before it polls again without a wake: a safety net for a wake
/// that never comes to this thread (`tokio::task::yield_now` defers its wake to the caller's
/// runtime, which this thread is blocking).
const REPOLL: std::time::Duration = std::time::Duration::from_millis(50);

/// Polls `fut` to completion on this thread, parking it between polls: for a caller inside
/// a current-thread runtime, whose thread the call blocks (its choice), where
/// `Runtime::block_on` would panic and `block_in_place` is not available. Inside the blocking runtime's context, the futures' I/O and timers register
/// with that runtime, whose worker threads drive them and wake this thread. The future is
/// unconstrained by tokio's cooperative budget: the budget of the caller's task is not renewed
/// while this thread is inside one poll of it, so a call held by it would never end.
fn in_place(rt: &'static Runtime, fut: Erased<'_>) {
    let _context = rt.enter();
    let mut fut = std::pin::pin!(tokio::task::unconstrained(fut));
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    while fut.as_mut().poll(&mut cx).is_pending() {
        // A wake before this park makes it return at once; a spurious return polls again.
        std::thread::park_timeout(REPOLL);
    }
}

/// Wakes a parked thread.
struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs `f` with the requests of this thread on connections the blocking runtime opened: a
/// pooled connection opened by a runtime that the call blocks would never be driven.
#[cfg(feature = "http")]
fn isolated<R>(f: impl FnOnce() -> R) -> R {
    wmill_http::with_isolated_connections(f)
}

/// Without the `http` feature, no request of this SDK pools connections.
#[cfg(not(feature = "http"))]
fn isolated<R>(f: impl FnOnce() -> R) -> R {
    f()
}
