//! [`CancelOnDrop`]: a future that cancels its job if dropped before it completes.

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;

use crate::{JobId, JobRunner};

/// The reason of the cancel sent when a synchronous run or a wait is dropped before it
/// completes ([`WaitOptions::cancel_on_drop`](crate::WaitOptions::cancel_on_drop)), as the Python client's `cleanup` sends it.
pub const CANCEL_ON_DROP_REASON: &str = "parent job cancelled";

/// Cancels a job when dropped, unless disarmed: the building block of
/// [`WaitOptions::cancel_on_drop`](crate::WaitOptions::cancel_on_drop), for backends and for your own waits.
///
/// `P` is anything that dereferences to a [`JobRunner`]: `&InMemory`, `&Windmill`,
/// `Arc<dyn JobRunner>`. The drop calls [`JobRunner::cancel_job_in_background`] (best
/// effort, bounded in time, never blocking for long).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
/// use serde_json::json;
/// use wmill_core::{CancelOnDrop, InMemory, ItemPath, JobRunner, JobStatus, RunOptions, WaitOptions};
///
/// async fn wait_or_cancel(wm: &InMemory, id: wmill_core::JobId) -> wmill_core::Result<serde_json::Value> {
///     let guard = CancelOnDrop::new(wm, id).reason("caller went away");
///     let out = wm.wait_job(&id, &WaitOptions::new().cancel_on_drop(false)).await;
///     guard.disarm(); // returned: nothing to cancel
///     out
/// }
///
/// let wm = InMemory::new();
/// wm.register_script("f/x/forever", |_| async move {
///     futures::future::pending::<()>().await;
///     Ok(json!(null))
/// })?;
/// let id = wm
///     .run_script_by_path_async(&ItemPath::parse("f/x/forever")?, Default::default(), &RunOptions::new())
///     .await?;
/// // A wait abandoned after 10 ms: the guard cancels the job.
/// let abandoned = tokio::time::timeout(std::time::Duration::from_millis(10), wait_or_cancel(&wm, id)).await;
/// assert!(abandoned.is_err());
/// assert_eq!(wm.get_job_status(&id).await?, JobStatus::Completed { success: false });
/// # Ok(()) }
/// ```
pub struct CancelOnDrop<P>
where
    P: Deref,
    P::Target: JobRunner,
{
    runner: P,
    id: JobId,
    reason: Cow<'static, str>,
    armed: bool,
}

impl<P> fmt::Debug for CancelOnDrop<P>
where
    P: Deref,
    P::Target: JobRunner,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelOnDrop")
            .field("id", &self.id)
            .field("reason", &self.reason)
            .field("armed", &self.armed)
            .finish()
    }
}

impl<P> CancelOnDrop<P>
where
    P: Deref,
    P::Target: JobRunner,
{
    /// An armed guard over the job `id`, with the reason [`CANCEL_ON_DROP_REASON`].
    pub fn new(runner: P, id: JobId) -> Self {
        CancelOnDrop {
            runner,
            id,
            reason: Cow::Borrowed(CANCEL_ON_DROP_REASON),
            armed: true,
        }
    }

    /// Sets the reason of the cancel.
    #[must_use]
    pub fn reason(mut self, reason: impl Into<Cow<'static, str>>) -> Self {
        self.reason = reason.into();
        self
    }

    /// Arms or disarms the guard (for example with [`WaitOptions::cancel_on_drop`](crate::WaitOptions::cancel_on_drop)).
    #[must_use]
    pub fn armed(mut self, armed: bool) -> Self {
        self.armed = armed;
        self
    }

    /// The job's id.
    pub fn id(&self) -> JobId {
        self.id
    }

    /// Drops the guard without canceling.
    pub fn disarm(mut self) {
        self.armed = false;
    }
}

impl<P> Drop for CancelOnDrop<P>
where
    P: Deref,
    P::Target: JobRunner,
{
    fn drop(&mut self) {
        if self.armed {
            background_cancel(&*self.runner, &self.id, &self.reason);
        }
    }
}

pub(super) fn background_cancel<R: JobRunner + ?Sized>(runner: &R, id: &JobId, reason: &str) {
    tracing::debug!(job_id = %id, reason, "canceling a job whose waiter went away");
    if let Err(e) = runner.cancel_job_in_background(id, reason) {
        tracing::debug!(job_id = %id, error = %e, "could not cancel the job on drop");
    }
}
