//! The acting forward pass ([`forward_rows`]) and its kernel: per-row dot products in 8-lane
//! partial sums added in a fixed order, as AVX2/FMA registers when the CPU has them (detected
//! at run time) and in plain code otherwise. The batched passes of the update are
//! [`super::dense`]'s.

use super::dense::{sized, Layer, Trace};

/// Forward pass over a few rows, for acting: each output is the dot product of a weight row
/// with an input row, summed in partial sums of 8 lanes and then in a fixed order (`finish`),
/// so a row's result never depends on which other rows share the call (a blocked matmul's
/// edge kernels would not promise that). Each weight row is read once for up to three input
/// rows. With AVX2 and FMA (detected at run time) the partial sums are vector registers; a
/// machine without them gets the same sums with separate multiply and add, hence other
/// roundings.
pub fn forward_rows(layers: &[Layer<'_>], x: &[f32], n: usize, trace: &mut Trace) {
    trace.outs.resize_with(layers.len(), Vec::new);
    let last = layers.len() - 1;
    for (k, l) in layers.iter().enumerate() {
        let (before, rest) = trace.outs.split_at_mut(k);
        let input = if k == 0 { x } else { &before[k - 1][..] };
        let out = sized(&mut rest[0], n * l.d_out);
        dense_rows(l, &input[..n * l.d_in], n, out, k < last);
    }
}

/// `y = x·Wᵀ + b` (ReLU when `relu`) for `n` rows, by [`forward_rows`]' rule.
fn dense_rows(l: &Layer<'_>, x: &[f32], n: usize, y: &mut [f32], relu: bool) {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has the features `dense_rows_fma` is compiled for.
        unsafe { dense_rows_fma(l, x, n, y, relu) };
        return;
    }
    dense_rows_any(l, x, n, y, relu);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn dense_rows_fma(l: &Layer<'_>, x: &[f32], n: usize, y: &mut [f32], relu: bool) {
    for_row_groups(n, |r0, rows| match rows {
        1 => dot_rows_fma::<1>(l, x, r0, y, relu),
        2 => dot_rows_fma::<2>(l, x, r0, y, relu),
        _ => dot_rows_fma::<GROUP>(l, x, r0, y, relu),
    });
}

fn dense_rows_any(l: &Layer<'_>, x: &[f32], n: usize, y: &mut [f32], relu: bool) {
    for_row_groups(n, |r0, rows| match rows {
        1 => dot_rows_any::<1>(l, x, r0, y, relu),
        2 => dot_rows_any::<2>(l, x, r0, y, relu),
        _ => dot_rows_any::<GROUP>(l, x, r0, y, relu),
    });
}

/// Calls `f(first row, rows)` for consecutive groups of at most [`GROUP`] rows.
#[inline(always)]
fn for_row_groups(n: usize, mut f: impl FnMut(usize, usize)) {
    let mut r0 = 0;
    while r0 < n {
        let rows = (n - r0).min(GROUP);
        f(r0, rows);
        r0 += rows;
    }
}

/// Rows that share one read of the weights.
const GROUP: usize = 3;
/// Lanes of one partial sum (an AVX register of f32).
const LANES: usize = 8;
/// Partial sums per output: 8-lane block `j` of the input goes to sum `j mod 4`, so four
/// fused multiply-adds are in flight per row instead of one chain.
const SUMS: usize = 4;

/// Every output of rows `r0 .. r0 + R`: the partial sums are AVX registers, fused.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn dot_rows_fma<const R: usize>(l: &Layer<'_>, x: &[f32], r0: usize, y: &mut [f32], relu: bool) {
    use std::arch::x86_64::{_mm256_setzero_ps, _mm256_storeu_ps};
    let d = l.d_in;
    let full = d / LANES * LANES;
    let rows: [&[f32]; R] = std::array::from_fn(|i| &x[(r0 + i) * d..(r0 + i + 1) * d]);
    for o in 0..l.d_out {
        let w = &l.w[o * d..(o + 1) * d];
        let mut acc = [[_mm256_setzero_ps(); SUMS]; R];
        // Whole groups of four blocks, then the last up to three blocks: every index into
        // `acc` is a constant, so the sums stay in registers.
        let quad = full / (LANES * SUMS) * (LANES * SUMS);
        for c in (0..quad).step_by(LANES * SUMS) {
            fma_block::<R, 0>(&mut acc, w, &rows, c);
            fma_block::<R, 1>(&mut acc, w, &rows, c + LANES);
            fma_block::<R, 2>(&mut acc, w, &rows, c + 2 * LANES);
            fma_block::<R, 3>(&mut acc, w, &rows, c + 3 * LANES);
        }
        if quad < full {
            fma_block::<R, 0>(&mut acc, w, &rows, quad);
        }
        if quad + LANES < full {
            fma_block::<R, 1>(&mut acc, w, &rows, quad + LANES);
        }
        if quad + 2 * LANES < full {
            fma_block::<R, 2>(&mut acc, w, &rows, quad + 2 * LANES);
        }
        for (i, (a, row)) in acc.iter().zip(&rows).enumerate() {
            let mut sums = [[0.0f32; LANES]; SUMS];
            for (s, v) in sums.iter_mut().zip(a) {
                // SAFETY: `s` has room for 8 f32s.
                unsafe { _mm256_storeu_ps(s.as_mut_ptr(), *v) };
            }
            y[(r0 + i) * l.d_out + o] = finish::<true>(sums, w, row, full, l.b[o], relu);
        }
    }
}

/// Adds block `c .. c + 8` of every row times the weights into partial sum `Q`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
fn fma_block<const R: usize, const Q: usize>(
    acc: &mut [[std::arch::x86_64::__m256; SUMS]; R],
    w: &[f32],
    rows: &[&[f32]; R],
    c: usize,
) {
    use std::arch::x86_64::{_mm256_fmadd_ps, _mm256_loadu_ps};
    // SAFETY: each load reads the 8 f32s of a bounds-checked slice (unaligned loads).
    let wv = unsafe { _mm256_loadu_ps(w[c..c + LANES].as_ptr()) };
    for (a, row) in acc.iter_mut().zip(rows) {
        let xv = unsafe { _mm256_loadu_ps(row[c..c + LANES].as_ptr()) };
        a[Q] = _mm256_fmadd_ps(wv, xv, a[Q]);
    }
}

/// [`dot_rows_fma`]'s sums in plain code, multiply then add.
fn dot_rows_any<const R: usize>(l: &Layer<'_>, x: &[f32], r0: usize, y: &mut [f32], relu: bool) {
    let d = l.d_in;
    let full = d / LANES * LANES;
    let rows: [&[f32]; R] = std::array::from_fn(|i| &x[(r0 + i) * d..(r0 + i + 1) * d]);
    for o in 0..l.d_out {
        let w = &l.w[o * d..(o + 1) * d];
        let mut acc = [[[0.0f32; LANES]; SUMS]; R];
        for (j, c) in (0..full).step_by(LANES).enumerate() {
            for (a, row) in acc.iter_mut().zip(&rows) {
                for (k, s) in a[j % SUMS].iter_mut().enumerate() {
                    *s += w[c + k] * row[c + k];
                }
            }
        }
        for (i, (a, row)) in acc.iter().zip(&rows).enumerate() {
            y[(r0 + i) * l.d_out + o] = finish::<false>(*a, w, row, full, l.b[o], relu);
        }
    }
}

/// One output from its partial sums, in a fixed order: the four sums lane by lane
/// `(s0 + s2) + (s1 + s3)`, the lanes `((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7))`, the
/// inputs past the last full 8 one by one, then the bias, then ReLU when `relu`.
#[inline(always)]
fn finish<const FMA: bool>(
    s: [[f32; LANES]; SUMS],
    w: &[f32],
    row: &[f32],
    full: usize,
    b: f32,
    relu: bool,
) -> f32 {
    let a: [f32; LANES] = std::array::from_fn(|k| (s[0][k] + s[2][k]) + (s[1][k] + s[3][k]));
    let mut t = ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
    for (w, x) in w[full..].iter().zip(&row[full..]) {
        t = if FMA { w.mul_add(*x, t) } else { w * x + t };
    }
    let v = t + b;
    if relu {
        v.max(0.0)
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::dense::tests::{layers, naive_forward};

    #[test]
    fn forward_rows_matches_the_naive_product_and_each_row_alone() {
        // Widths past one 8-lane block with a tail, and 1..=6 rows (groups of 4 and the rest).
        let mut s = 0.7f32;
        let mut next = || {
            s = (s * 7.13 + 0.37).fract();
            s - 0.5
        };
        let ws: Vec<_> = [(21, 19), (19, 5)]
            .iter()
            .map(|&(din, dout)| {
                let w = (0..din * dout).map(|_| next()).collect();
                let b = (0..dout).map(|_| next()).collect();
                (w, b, din, dout)
            })
            .collect();
        let n = 6;
        let x: Vec<f32> = (0..n * 21).map(|i| (i as f32 * 0.37).sin()).collect();
        let mut tr = Trace::default();
        forward_rows(&layers(&ws), &x, n, &mut tr);
        let all = tr.output().to_vec();
        for (a, b) in all.iter().zip(&naive_forward(&ws, &x, n)) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
        for split in 1..n {
            let mut parts = Vec::new();
            for (lo, hi) in [(0, split), (split, n)] {
                forward_rows(&layers(&ws), &x[lo * 21..hi * 21], hi - lo, &mut tr);
                parts.extend_from_slice(tr.output());
            }
            assert_eq!(parts, all, "rows split at {split}");
        }
    }
}
