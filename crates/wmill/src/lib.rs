#![doc = include_str!("../../../README.md")]

pub use wmill_core::*;
