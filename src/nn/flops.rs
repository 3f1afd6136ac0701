//! The matmul FLOP counter: floating-point operations (2·m·n·k per product) done by
//! [`super::dense::matmul`], which `drat bench update` divides by time.

use std::sync::atomic::{AtomicU64, Ordering};

static FLOPS: AtomicU64 = AtomicU64::new(0);

/// Matmul floating-point operations (2·m·n·k per product) done by [`super::dense::matmul`]
/// since the last [`reset_flops`]: what `drat bench update` divides by time.
pub fn flops() -> u64 {
    FLOPS.load(Ordering::Relaxed)
}

/// Zeroes the [`flops`] counter.
pub fn reset_flops() {
    FLOPS.store(0, Ordering::Relaxed);
}

/// Counts `n` more operations.
pub(super) fn add(n: u64) {
    FLOPS.fetch_add(n, Ordering::Relaxed);
}
