//! The one error type every wmill crate returns.

mod constructors;
mod excerpt;
mod item;
mod messages;
mod predicates;
mod redact;
mod remote;
mod variants;

pub use constructors::to_json;
pub use excerpt::{MAX_DECODE_EXCERPT, MAX_ERROR_BODY, excerpt, truncate_in_place};
pub use item::{ItemKind, ItemLocation};
pub(crate) use redact::{outline, redacted};
pub use remote::{RemoteCause, root_cause_text};
pub use variants::{BoxError, Error, ResponseTooLarge, Result, ResumeRefusal};

#[cfg(test)]
mod tests;
