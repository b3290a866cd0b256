//! The one error type every wmill crate returns.

mod item;
mod messages;
mod predicates;
mod redact;
mod remote;
mod variants;

pub use item::{ItemKind, ItemLocation};
pub(crate) use messages::truncate_in_place;
pub(crate) use redact::{outline, redacted};
pub use remote::RemoteCause;
pub use variants::{BoxError, Error, ResponseTooLarge, Result, ResumeRefusal};

#[cfg(test)]
mod tests;
