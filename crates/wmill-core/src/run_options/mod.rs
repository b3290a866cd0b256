//! The run options every start endpoint documents: which endpoint takes which option, their
//! checks, the retry policy type and flow versions.
//!
//! The fields live on [`RunOptions`] (in `job.rs`); this module holds their builder methods, the
//! table of [`RunEndpoint`]s and the check that turns an option an endpoint does not take into
//! [`Error::InvalidInput`] before any request.

mod checks;
mod endpoint;
mod flow_version;
mod retry;

pub use endpoint::{RunEndpoint, RunOption};
pub use flow_version::FlowVersion;
pub use retry::RetryPolicy;

#[cfg(test)]
mod tests;
