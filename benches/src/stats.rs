//! Medians and quantiles.

/// The `q`-quantile (0.0 to 1.0) of an ascending slice by the nearest-rank method; 0 when empty.
///
/// ```
/// use filch_benches::stats::quantile_sorted;
/// let samples = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
/// assert_eq!(quantile_sorted(&samples, 0.5), 5);
/// assert_eq!(quantile_sorted(&samples, 0.99), 10);
/// assert_eq!(quantile_sorted(&[], 0.5), 0);
/// ```
pub fn quantile_sorted(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (q.clamp(0.0, 1.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The median of `samples` (the mean of the middle two when the count is even); `None` when
/// there are none or one is NaN.
///
/// ```
/// use filch_benches::stats::median;
/// assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
/// assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
/// assert_eq!(median(&[]), None);
/// ```
pub fn median(samples: &[f64]) -> Option<f64> {
    if samples.is_empty() || samples.iter().any(|s| s.is_nan()) {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    Some(if sorted.len() % 2 == 1 {
        sorted[middle]
    } else {
        (sorted[middle - 1] + sorted[middle]) / 2.0
    })
}
