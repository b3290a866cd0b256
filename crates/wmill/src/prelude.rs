//! The traits and types most code needs: `use wmill::prelude::*;`.

pub use wmill_core::{
    AsItemPath, Backend, Error, InMemory, ItemPath, JobId, JobRunner, JobRunnerExt, JobStatus,
    ResourceStore, ResourceStoreExt, Result, RunOptions, ScriptHash, SetVariableOptions,
    StateStore, StateStoreExt, VariableStore, VariableStoreExt, WaitOptions, to_args,
};

pub use crate::{Client, JobRef};
