//! The scripts and flows an [`InMemory`] runs: registered closures, and the record of the
//! jobs started.

use std::future::Future;
use std::sync::Arc;

use futures_util::FutureExt;

use crate::{Args, FlowVersion, ItemPath, Result, ScriptHash};

use super::in_memory::InMemory;
use super::jobs::StartedJob;
use super::jobs::{JobFn, Outcome};
use crate::Runnable;

/// The `register_*` methods that name what they register by a string: each row
/// `name(arg) => Variant(parse)` is a method that parses `arg` with `parse` (a bad one is
/// [`Error::InvalidInput`](crate::Error::InvalidInput)) and registers the closure as
/// `Runnable::Variant`.
macro_rules! register_by_name {
    ($($(#[$doc:meta])* $name:ident($arg:ident) => $runnable:ident($parse:path);)*) => {$(
        $(#[$doc])*
        pub fn $name<F, Fut>(&self, $arg: impl AsRef<str>, f: F) -> Result<()>
        where
            F: Fn(Args) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = Outcome> + Send + 'static,
        {
            self.register(Runnable::$runnable($parse($arg)?), f);
            Ok(())
        }
    )*};
}

impl InMemory {
    register_by_name! {
        /// Registers the script run by `run_script_by_path*` at `path`. The closure gets the
        /// job's arguments; `Ok(value)` is the result, `Err(value)` fails the job with that
        /// error value (conventionally `{"name": ..., "message": ...}`). Registering again
        /// replaces it.
        register_script(path) => ScriptPath(ItemPath::parse);
        /// Registers the script version run by `run_script_by_hash*`.
        register_script_hash(hash) => ScriptHash(ScriptHash::parse);
        /// Registers the flow run by `run_flow*` at `path`.
        register_flow(path) => Flow(ItemPath::parse);
    }

    /// Registers the flow version run by `run_flow_by_version*`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
    /// use serde_json::json;
    /// use wmill_core::{Args, FlowVersion, InMemory, JobRunner, RunOptions};
    ///
    /// let wm = InMemory::new();
    /// wm.register_flow_version(FlowVersion::new(42), |_args| async move { Ok(json!("v42")) });
    /// let out = wm.run_flow_by_version(FlowVersion::new(42), Args::new(), &RunOptions::new()).await?;
    /// assert_eq!(out, json!("v42"));
    /// # Ok(()) }
    /// ```
    pub fn register_flow_version<F, Fut>(&self, version: FlowVersion, f: F)
    where
        F: Fn(Args) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Outcome> + Send + 'static,
    {
        self.register(Runnable::FlowVersion(version), f);
    }

    pub(super) fn register<F, Fut>(&self, what: Runnable, f: F)
    where
        F: Fn(Args) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Outcome> + Send + 'static,
    {
        let f: JobFn = Arc::new(move |args| f(args).boxed());
        self.inner.scripts.write().insert(what, f);
    }

    /// What this backend runs: the scripts, script versions and flows registered so far, in
    /// [`Runnable`]'s order (scripts by path, then by hash, then flows; each sorted).
    ///
    /// ```
    /// use wmill_core::{InMemory, ItemPath, Runnable};
    ///
    /// let wm = InMemory::new();
    /// wm.register_script("f/jobs/hello", |_| async { Ok(serde_json::json!("hi")) })?;
    /// assert_eq!(wm.registered(), [Runnable::ScriptPath(ItemPath::parse("f/jobs/hello")?)]);
    /// # Ok::<(), wmill_core::Error>(())
    /// ```
    pub fn registered(&self) -> Vec<Runnable> {
        self.inner.scripts.read().keys().cloned().collect()
    }

    /// Every job started so far, in order, with its arguments and options.
    pub fn started_jobs(&self) -> Vec<StartedJob> {
        self.inner.jobs.lock().started.clone()
    }
}
