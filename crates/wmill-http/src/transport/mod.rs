//! Sending requests: the auth header, bodies, timeouts, retries, and status-to-error mapping.
//!
//! Every request this workspace sends to Windmill goes through [`Request`]: the typed helpers
//! of this crate, the raw calls of the umbrella crate (`wmill::get` / `wmill::post`) and every
//! S3 call of `wmill-s3` that reaches the server.
//!
//! - [`request`]: [`Request`], its parts and builders ([`Windmill::request`], ...);
//! - [`send`]: the `send_*` methods, into a whole answer or a stream;
//! - [`attempts`]: the retry loop and the time bound of each attempt;
//! - [`backoff`]: which statuses are retried, `Retry-After`, backoff with jitter;
//! - [`idle`]: idle timeouts of transfers;
//! - [`response`]: answers ([`Resp`], [`ResponseStream`]) and their decoders;
//! - [`errors`]: request names in errors and logs, and the errors of failed exchanges.

mod attempts;
mod backoff;
mod errors;
mod idle;
mod request;
mod response;
mod send;
#[cfg(test)]
mod tests;

pub(crate) use backoff::backoff;
pub(crate) use errors::status_error;
pub use request::Request;
pub(crate) use request::RetryMode;
pub use response::ResponseStream;
