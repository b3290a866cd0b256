//! The traits and types most code needs: `use wmill::prelude::*;`.

pub use wmill_core::{
    Backend, Error, InMemory, ItemPath, JobHandle, JobId, JobRunner, JobRunnerExt, JobStatus,
    ResourceStore, ResourceStoreExt, Result, RunOptions, ScriptHash, SetVariableOptions, StartJobs,
    StateStore, StateStoreExt, VariableStore, WaitOptions, to_args,
};

pub use crate::{Client, JobRef};
