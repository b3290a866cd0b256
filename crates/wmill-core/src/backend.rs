//! The [`Backend`] supertrait, `__forward_impl!` (an implementation of a backend trait that
//! forwards every method) and forwarding through `Arc` / `Box`.

use std::sync::Arc;

use crate::{JobRunner, ResourceStore, StateStore, VariableStore};

/// Everything a Windmill backend does: the four traits together.
///
/// Implemented automatically for every type that implements all four ([`InMemory`](crate::InMemory),
/// the HTTP client, your own backend). Hold one as `Arc<dyn Backend>`; it upcasts to
/// `Arc<dyn VariableStore>` and the others where a function wants only one capability.
///
/// ```
/// use std::sync::Arc;
/// use wmill_core::{Backend, InMemory, VariableStore};
///
/// let backend: Arc<dyn Backend> = Arc::new(InMemory::new());
/// let vars: Arc<dyn VariableStore> = backend.clone(); // trait upcasting
/// # let _ = vars;
/// ```
pub trait Backend: VariableStore + ResourceStore + StateStore + JobRunner {}

impl<T: VariableStore + ResourceStore + StateStore + JobRunner + ?Sized> Backend for T {}

/// Writes an implementation of [`VariableStore`], [`ResourceStore`], [`StateStore`] or
/// [`JobRunner`] in which every method forwards to `$to` (an expression of `$this`, the
/// implementing value: `(**this)`, `this.base`, `this.jobs()?`). The implementation denies
/// `clippy::missing_trait_methods`: a method the trait gains fails the lint until its row is
/// added here (the lint runs on this crate's own uses; the other crates share their rows), so
/// that no forwarding implementation falls back to a default. For the
/// forwarding implementations of this crate (`Arc`, `Box`, [`MockOverlay`](crate::MockOverlay)
/// jobs) and of `wmill::Client`.
///
/// ```ignore
/// wmill_core::__forward_impl!(impl[T: JobRunner + ?Sized] JobRunner for Arc<T>; |this| (**this));
/// ```
#[doc(hidden)]
#[macro_export]
macro_rules! __forward_impl {
    ($(#[$attr:meta])* impl[$($g:tt)*] VariableStore for $ty:ty; |$this:ident| $to:expr) => {
        $crate::__forward_impl!(@emit [$(#[$attr])*] [$($g)*] $crate::VariableStore, $ty, |$this| $to; {};
            [async] get_variable(path: &$crate::ItemPath) -> $crate::Result<String> [.await];
            [async] set_variable(path: &$crate::ItemPath, value: &str, options: &$crate::SetVariableOptions) -> $crate::Result<()> [.await];
            [async] delete_variable(path: &$crate::ItemPath) -> $crate::Result<()> [.await];
            [async] list_variables(options: &$crate::ListVariables) -> $crate::Result<Vec<$crate::VariableInfo>> [.await];
        );
    };
    ($(#[$attr:meta])* impl[$($g:tt)*] ResourceStore for $ty:ty; |$this:ident| $to:expr) => {
        $crate::__forward_impl!(@emit [$(#[$attr])*] [$($g)*] $crate::ResourceStore, $ty, |$this| $to; {};
            [async] get_resource(path: &$crate::ItemPath) -> $crate::Result<$crate::__private::Value> [.await];
            [async] set_resource(path: &$crate::ItemPath, value: &$crate::__private::Value, resource_type: &str) -> $crate::Result<()> [.await];
            [async] delete_resource(path: &$crate::ItemPath) -> $crate::Result<()> [.await];
            [async] list_resources(options: &$crate::ListResources) -> $crate::Result<Vec<$crate::ResourceInfo>> [.await];
        );
    };
    ($(#[$attr:meta])* impl[$($g:tt)*] StateStore for $ty:ty; |$this:ident| $to:expr) => {
        $crate::__forward_impl!(@emit [$(#[$attr])*] [$($g)*] $crate::StateStore, $ty, |$this| $to; {};
            [async] get_state() -> $crate::Result<Option<$crate::__private::Value>> [.await];
            [async] set_state(value: &$crate::__private::Value) -> $crate::Result<()> [.await];
            [async] get_state_at(path: &$crate::ItemPath) -> $crate::Result<Option<$crate::__private::Value>> [.await];
            [async] set_state_at(path: &$crate::ItemPath, value: &$crate::__private::Value) -> $crate::Result<()> [.await];
            [] default_state_path() -> $crate::Result<$crate::ItemPath> [];
        );
    };
    ($(#[$attr:meta])* impl[$($g:tt)*] JobRunner for $ty:ty; |$this:ident| $to:expr) => {
        $crate::__forward_impl!(@emit [$(#[$attr])*] [$($g)*] $crate::JobRunner, $ty, |$this| $to; {
            fn job_logs_from(&self, id: &$crate::JobId, offset: u64) -> $crate::LogStream {
                $crate::__private::stream_or_error(self, |$this| Ok($to.job_logs_from(id, offset)))
            }
        };
            [async] start(target: $crate::Runnable, args: $crate::Args, options: &$crate::RunOptions) -> $crate::Result<$crate::JobId> [.await];
            [async] run(target: $crate::Runnable, args: $crate::Args, options: &$crate::RunOptions) -> $crate::Result<$crate::__private::Value> [.await];
            [async] run_script_by_path_async(path: &$crate::ItemPath, args: $crate::Args, options: &$crate::RunOptions) -> $crate::Result<$crate::JobId> [.await];
            [async] run_script_by_hash_async(hash: &$crate::ScriptHash, args: $crate::Args, options: &$crate::RunOptions) -> $crate::Result<$crate::JobId> [.await];
            [async] run_flow_async(path: &$crate::ItemPath, args: $crate::Args, options: &$crate::RunOptions) -> $crate::Result<$crate::JobId> [.await];
            [async] run_flow_by_version_async(version: $crate::FlowVersion, args: $crate::Args, options: &$crate::RunOptions) -> $crate::Result<$crate::JobId> [.await];
            [async] run_script_by_path(path: &$crate::ItemPath, args: $crate::Args, options: &$crate::RunOptions) -> $crate::Result<$crate::__private::Value> [.await];
            [async] run_script_by_hash(hash: &$crate::ScriptHash, args: $crate::Args, options: &$crate::RunOptions) -> $crate::Result<$crate::__private::Value> [.await];
            [async] run_flow(path: &$crate::ItemPath, args: $crate::Args, options: &$crate::RunOptions) -> $crate::Result<$crate::__private::Value> [.await];
            [async] run_flow_by_version(version: $crate::FlowVersion, args: $crate::Args, options: &$crate::RunOptions) -> $crate::Result<$crate::__private::Value> [.await];
            [async] wait_job(id: &$crate::JobId, options: &$crate::WaitOptions) -> $crate::Result<$crate::__private::Value> [.await];
            [async] get_result(id: &$crate::JobId) -> $crate::Result<$crate::__private::Value> [.await];
            [async] get_job_status(id: &$crate::JobId) -> $crate::Result<$crate::JobStatus> [.await];
            [async] cancel_job(id: &$crate::JobId, reason: Option<String>) -> $crate::Result<()> [.await];
            [] cancel_job_in_background(id: &$crate::JobId, reason: &str) -> $crate::Result<()> [];
            [async] get_job(id: &$crate::JobId) -> $crate::Result<$crate::Job> [.await];
            [async] list_jobs_page(query: &$crate::JobQuery, cursor: &$crate::JobCursor) -> $crate::Result<$crate::Page<$crate::JobSummary, $crate::JobCursor>> [.await];
            [async] get_job_logs(id: &$crate::JobId) -> $crate::Result<String> [.await];
            [async] get_log_update(id: &$crate::JobId, offset: u64) -> $crate::Result<$crate::LogUpdate> [.await];
            [async] get_flow_all_logs(id: &$crate::JobId) -> $crate::Result<String> [.await];
        );
    };
    (
        @emit [$($attr:tt)*] [$($g:tt)*] $trait:path, $ty:ty, |$this:ident| $to:expr; {$($extra:tt)*};
        $([$($kw:tt)*] $name:ident($($p:ident: $t:ty),*) -> $ret:ty [$($tail:tt)*];)*
    ) => {
        $($attr)*
        #[$crate::__private::async_trait]
        #[deny(clippy::missing_trait_methods)]
        impl<$($g)*> $trait for $ty {
            $(
                $($kw)* fn $name(&self, $($p: $t),*) -> $ret {
                    let $this = self;
                    $to.$name($($p),*) $($tail)*
                }
            )*
            $($extra)*
        }
    };
}

/// What the forwarding implementations need from this crate's dependencies.
#[doc(hidden)]
pub mod __private {
    pub use async_trait::async_trait;
    pub use serde_json::Value;

    use crate::{LogStream, Result};

    /// The stream `open` gives, or a stream of its one error (a forwarding target that is
    /// missing).
    pub fn stream_or_error<S: ?Sized>(
        this: &S,
        open: impl FnOnce(&S) -> Result<LogStream>,
    ) -> LogStream {
        match open(this) {
            Ok(stream) => stream,
            Err(e) => Box::pin(futures_util::stream::once(std::future::ready(Err(e)))),
        }
    }
}

crate::__forward_impl!(impl[T: VariableStore + ?Sized] VariableStore for Arc<T>; |this| (**this));
crate::__forward_impl!(impl[T: VariableStore + ?Sized] VariableStore for Box<T>; |this| (**this));
crate::__forward_impl!(impl[T: ResourceStore + ?Sized] ResourceStore for Arc<T>; |this| (**this));
crate::__forward_impl!(impl[T: ResourceStore + ?Sized] ResourceStore for Box<T>; |this| (**this));
crate::__forward_impl!(impl[T: StateStore + ?Sized] StateStore for Arc<T>; |this| (**this));
crate::__forward_impl!(impl[T: StateStore + ?Sized] StateStore for Box<T>; |this| (**this));
crate::__forward_impl!(impl[T: JobRunner + ?Sized] JobRunner for Arc<T>; |this| (**this));
crate::__forward_impl!(impl[T: JobRunner + ?Sized] JobRunner for Box<T>; |this| (**this));
