//! Random numbers for retry jitter and request nonces, from the standard library alone.

use std::hash::{BuildHasher, RandomState};

/// 64 random bits. Each `RandomState` has fresh SipHash keys (random per thread, then stepped
/// at every call), so hashing the same value gives a new, unpredictable number each time: enough
/// for jitter and nonces (not for secrets), without a random-number crate in the build.
pub(crate) fn random_u64() -> u64 {
    RandomState::new().hash_one(0u8)
}

/// A random number in `[0, 1]`.
pub(crate) fn random_fraction() -> f64 {
    // The top 53 bits: every value is an exact `f64` in [0, 2^53), divided by 2^53 - 1.
    (random_u64() >> 11) as f64 / ((1u64 << 53) - 1) as f64
}

#[cfg(test)]
mod tests;
