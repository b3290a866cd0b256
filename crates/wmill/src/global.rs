//! The client the module-level functions use: the installed one ([`set_client`]), or the one
//! of the scope the caller is in ([`with_client`]), else one built from the environment.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use parking_lot::RwLock;
use wmill_core::Result;

use crate::Client;

static GLOBAL: RwLock<Option<Arc<Client>>> = RwLock::new(None);

thread_local! {
    /// The client of the scope this thread is in: set by [`with_client`] while it polls its
    /// future, and by `blocking::with_client` while its closure runs.
    static SCOPED: RefCell<Option<Arc<Client>>> = const { RefCell::new(None) };
}

/// Installs the client the module-level functions use (replacing any previous one).
///
/// It is process-wide: tests that run in parallel (`cargo test` does) and install different
/// clients this way see each other's. Give each test its own client with [`with_client`] (or
/// `blocking::with_client`) instead.
pub fn set_client(client: Client) {
    *GLOBAL.write() = Some(Arc::new(client));
}

/// Removes the installed client; the next module-level call builds one from the environment.
pub fn reset_client() {
    *GLOBAL.write() = None;
}

/// The client the module-level functions use: the installed one, else one built from the
/// environment (and kept). A failure to build is returned, and retried on the next call.
///
/// Inside a [`with_client`] scope (or `blocking::with_client`), the scope's client.
pub fn client() -> Result<Arc<Client>> {
    if let Some(c) = scoped() {
        return Ok(c);
    }
    if let Some(c) = GLOBAL.read().as_ref() {
        return Ok(c.clone());
    }
    let mut slot = GLOBAL.write();
    if let Some(c) = slot.as_ref() {
        return Ok(c.clone());
    }
    let built = Arc::new(Client::from_env()?);
    *slot = Some(built.clone());
    Ok(built)
}

/// The client of the scope this thread is in, if any.
pub(crate) fn scoped() -> Option<Arc<Client>> {
    SCOPED.with(|s| s.borrow().clone())
}

/// Puts `client` in this thread's scope until the guard is dropped (even by a panic), which
/// puts back the scope it replaced.
pub(crate) fn enter(client: Arc<Client>) -> ScopeGuard {
    let previous = SCOPED.with(|s| s.borrow_mut().replace(client));
    ScopeGuard { previous }
}

/// Restores the previous scope of the thread when dropped.
pub(crate) struct ScopeGuard {
    previous: Option<Arc<Client>>,
}

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        SCOPED.with(|s| *s.borrow_mut() = previous);
    }
}

/// Runs `future` with `client` as the client of every module-level function it calls (and of
/// [`client()`]), whatever the global client is; code outside the future is not affected.
///
/// The scope belongs to the future (a task-local): it holds across `.await`s, wherever the
/// runtime resumes the future, and ends with it. So tests that run in parallel can each
/// install their own client, an `InMemory` or a mock, without seeing each other's, which
/// [`set_client`] (process-wide) cannot do. Scopes nest: the innermost wins.
///
/// Tasks the future spawns (`tokio::spawn`) are futures of their own: wrap them in
/// `with_client` too if they call the module-level functions. Calls of `wmill::blocking`
/// made inside the future see the scope.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill::Result<()> {
/// use wmill::{Client, InMemory};
///
/// let memory = InMemory::new().with_variable("u/alice/city", "Paris")?;
/// let city = wmill::with_client(Client::new(memory), async {
///     wmill::get_variable("u/alice/city").await
/// })
/// .await?;
/// assert_eq!(city, "Paris");
/// # Ok(()) }
/// ```
pub async fn with_client<F: Future>(client: impl Into<Arc<Client>>, future: F) -> F::Output {
    Scoped::new(client.into(), future).await
}

/// A future that polls its inner future with a client in the thread's scope.
pub(crate) struct Scoped<F> {
    client: Arc<Client>,
    future: Pin<Box<F>>,
}

impl<F> Scoped<F> {
    pub(crate) fn new(client: Arc<Client>, future: F) -> Self {
        Scoped {
            client,
            future: Box::pin(future),
        }
    }
}

impl<F: Future> Future for Scoped<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        let _scope = enter(this.client.clone());
        this.future.as_mut().poll(cx)
    }
}
