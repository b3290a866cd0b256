//! Ids: job ids and script hashes.
//!
//! | file | holds |
//! |---|---|
//! | `job_id` | [`JobId`], its conversions and formatting, random ids |
//! | `parse` | [`JobId::parse`] and the `FromStr` / `TryFrom` impls |
//! | `script_hash` | [`ScriptHash`], checked when parsed |

mod job_id;
mod parse;
mod script_hash;

pub use job_id::JobId;
pub(crate) use job_id::random_uuid;
pub use script_hash::ScriptHash;

#[cfg(test)]
mod tests;
