//! The typed job: [`Job`], its [`JobState`], [`JobKind`], flow step status ([`FlowStatus`]) and
//! [`Timestamp`].
//!
//! The server answers `GET jobs_u/get/{id}` with a JSON object tagged `"type": "QueuedJob"` or
//! `"type": "CompletedJob"` (the spec's `QueuedJob` / `CompletedJob`), leaving absent options
//! out. [`Job::from_value`] reads that shape; every field but `type`, `id` (and `success` for a
//! completed job) is optional, values of the wrong type read as absent, and enum values this
//! crate does not know read as `Unknown(..)`, so a newer server never breaks decoding. The
//! JSON as received stays available ([`Job::raw`]) for the fields this model leaves out.

mod fields;
mod flow;
mod kind;
mod record;
mod state;
mod timestamp;

pub use flow::{FlowApprover, FlowStatus, FlowStep, FlowStepStatus};
pub use kind::JobKind;
pub use record::Job;
pub use state::JobState;
pub use timestamp::Timestamp;

#[cfg(test)]
mod tests;
