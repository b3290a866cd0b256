//! Jobs as values: [`JobHandle`], the guards that cancel a job when dropped ([`JobGuard`],
//! [`CancelOnDrop`]) and [`StartJobs`], which starts jobs as handles.

mod cancel_on_drop;
mod job_handle;
mod start_jobs;

pub use cancel_on_drop::{CANCEL_ON_DROP_REASON, CancelOnDrop};
pub use job_handle::{JobGuard, JobHandle};
pub use start_jobs::StartJobs;
