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
mod tests {
    use super::*;

    #[test]
    fn numbers_differ_and_fractions_stay_in_range() {
        let numbers: std::collections::HashSet<u64> = (0..1000).map(|_| random_u64()).collect();
        assert!(numbers.len() > 990, "{} distinct of 1000", numbers.len());
        let fractions: Vec<f64> = (0..1000).map(|_| random_fraction()).collect();
        assert!(fractions.iter().all(|f| (0.0..=1.0).contains(f)));
        assert!(fractions.iter().any(|f| *f < 0.25) && fractions.iter().any(|f| *f > 0.75));
    }
}
