use super::*;

#[test]
fn numbers_differ_and_fractions_stay_in_range() {
    let numbers: std::collections::HashSet<u64> = (0..1000).map(|_| random_u64()).collect();
    assert!(numbers.len() > 990, "{} distinct of 1000", numbers.len());
    let fractions: Vec<f64> = (0..1000).map(|_| random_fraction()).collect();
    assert!(fractions.iter().all(|f| (0.0..=1.0).contains(f)));
    assert!(fractions.iter().any(|f| *f < 0.25) && fractions.iter().any(|f| *f > 0.75));
}
