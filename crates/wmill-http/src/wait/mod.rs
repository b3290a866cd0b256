//! Waiting for jobs: the settings ([`tuning`]), the schedule without history
//! ([`first_wait`]), what runs learn ([`history`]), the choice of a wait ([`strategy`]),
//! polling ([`polling`]), the event stream ([`events`]) and synchronous runs on
//! `run_wait_result` ([`run_wait_result`]).

pub(crate) mod first_wait; // the schedule of waits without history: event stream plus polls between its checks
pub(crate) mod history; // what runs learn from earlier runs
pub(crate) mod tuning; // WaitTuning, ServerWait, WaitHistory

mod events; // getupdate_sse streams and the clock of their checks
mod outcome; // ResultMaybe, a completed job's outcome, history records
mod polling; // get_result_maybe: one poll, the adaptive and the learned schedules
mod run_wait_result; // synchronous runs: jobs/run or run_wait_result raced by polls
mod strategy; // WaitStrategy, history and timeouts: which wait runs

pub use first_wait::FirstWait;
pub use outcome::ResultMaybe;
pub use tuning::{ServerWait, WaitHistory, WaitTuning};

#[cfg(test)]
mod tests;
