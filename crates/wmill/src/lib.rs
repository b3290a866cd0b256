//! The Rust SDK for Windmill (in progress): re-exports [`wmill_core`].

pub use wmill_core::*;
