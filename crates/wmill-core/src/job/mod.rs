//! Running, waiting for and canceling jobs: [`JobRunner`], [`JobRunnerExt`] and their options.

mod args;
mod ext;
mod options;
mod runnable;
mod runner;
mod status;
mod wait;

pub use args::{Args, to_args};
pub(crate) use args::{from_result, json_kind};
pub use ext::JobRunnerExt;
pub use options::RunOptions;
pub use runnable::Runnable;
pub use runner::JobRunner;
pub use status::JobStatus;
pub use wait::{PollSchedule, WaitOptions, WaitStrategy};

#[cfg(feature = "mock")]
pub use runner::MockJobRunner;

#[cfg(test)]
mod tests;
