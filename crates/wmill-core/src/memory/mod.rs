//! [`InMemory`]: a complete backend in process memory, optionally backed by a mock-API file.
//!
//! | file | holds |
//! |---|---|
//! | `in_memory` | [`InMemory`], its data and constructors, the write-back to the mock file |
//! | `file` | the mock-API file: its format, atomic reads and writes |
//! | `variables`, `resources`, `state` | the three stores |
//! | `items` | what variables and resources share: removal, listing by path prefix |
//! | `interpolation` | `$var:` / `$res:` references resolved within bounds |
//! | `registry` | the closures jobs run, the record of started jobs |
//! | `jobs` | one job: its future, status, times and cancel |
//! | `runner` | [`JobRunner`](crate::JobRunner) for [`InMemory`] |
//! | `listing` | jobs as `jobs/list` rows, item listings paged as the server pages them |
//! | `logs` | job log buffers and [`JobLog`], written by the job's own code |
//! | `log_reads` | the logs read: in full, from an offset, followed, a flow's steps together |

mod file;
mod jobs;
pub(crate) mod listing;
mod log_reads;
mod logs;

mod in_memory;
mod interpolation;
mod items;
mod registry;
mod resources;
mod runner;
mod state;
mod variables;

pub use in_memory::{DEFAULT_STATE_PATH, InMemory};
pub(crate) use interpolation::{Referent, Referents, interpolate};
pub(crate) use listing::page;

pub use self::jobs::{Spawner, StartedJob};
pub use self::logs::JobLog;

#[cfg(test)]
mod tests;
