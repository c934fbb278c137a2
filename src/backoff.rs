//! Exponential backoff with jitter, the one rule every retry loop follows: OMS deliveries
//! (`oms::RetryConfig`), mailbox reconnects (`intake::imap`) and restarts of supervised
//! workers (`supervise`). One place, so a fix to the arithmetic (overflow, caps) reaches all.

use std::time::Duration;

/// `base × 2^step`, capped at `cap` (but never below `base`), without overflow for any step.
pub fn exponential(step: u32, base: Duration, cap: Duration) -> Duration {
    let factor = 1u32.checked_shl(step.min(31)).unwrap_or(u32::MAX);
    base.saturating_mul(factor).min(cap.max(base))
}

/// `d` shortened by up to `share` of itself: `d × (1 − share × r)`, `r` a random number in
/// [0, 1). Out-of-range or non-finite inputs are clamped, so a bad config cannot make a
/// negative or endless wait. Many clients retrying after one outage do not all come back
/// in the same second.
pub fn jitter(d: Duration, share: f64, r: f64) -> Duration {
    let clamp = |v: f64| {
        if v.is_finite() {
            v.clamp(0.0, 1.0)
        } else {
            0.0
        }
    };
    d.mul_f64(1.0 - clamp(share) * clamp(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn doubles_from_the_base_and_stops_at_the_cap() {
        let (base, cap) = (100 * MS, 1000 * MS);
        let got: Vec<_> = (0..6).map(|s| exponential(s, base, cap)).collect();
        assert_eq!(
            got,
            [100 * MS, 200 * MS, 400 * MS, 800 * MS, 1000 * MS, 1000 * MS]
        );
        assert_eq!(exponential(u32::MAX, base, cap), cap);
        // A cap below the base waits the base.
        assert_eq!(exponential(3, base, MS), base);
    }

    #[test]
    fn jitter_shortens_by_at_most_its_share_and_ignores_nonsense() {
        let d = 1000 * MS;
        assert_eq!(jitter(d, 0.5, 0.0), d);
        assert_eq!(jitter(d, 0.5, 0.999_999), d.mul_f64(1.0 - 0.5 * 0.999_999));
        assert_eq!(jitter(d, 7.0, 0.5), 500 * MS);
        assert_eq!(jitter(d, f64::NAN, 0.5), d);
        assert_eq!(jitter(d, 0.5, f64::INFINITY), d);
    }
}
