//! The traits and types most code needs: `use wmill::prelude::*;`.

pub use wmill_core::{
    Backend, Error, InMemory, ItemPath, JobHandle, JobId, JobRunner, JobRunnerExt, JobStatus,
    ResourceStore, ResourceStoreExt, Result, RunOptions, ScriptHash, SetVariableOptions, StartJobs,
    StateStore, StateStoreExt, VariableStore, WaitOptions, to_args,
};
// Listings: the stream methods of the traits, and the job query.
pub use wmill_core::{
    JobListStatus, JobQuery, JobRunnerListExt, ResourceStoreListExt, VariableStoreListExt,
};

pub use crate::{Client, JobRef};
