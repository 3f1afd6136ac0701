//! Dense layers on raw `f32` slices: the kernels of the agent's fused update.
//!
//! Matmuls go straight to the `gemm` crate (the one candle's CPU matmul calls) with explicit
//! strides, so transposes are never materialised; bias and ReLU are one pass over a layer's
//! output; backward passes are written out and compute only what is asked (weight gradients,
//! a slice of input columns' gradient, or neither). The weights are read in place from the
//! candle tensors' storage ([`TensorSlices`]) and updated in place by [`super::Adam`]; every
//! buffer is reused from one update to the next.
//!
//! For one layer `Y = X·Wᵀ + b` (X: n × in, W: out × in):
//! `dW = dYᵀ·X`, `db = Σ_rows dY`, `dX = dY·W`; through ReLU `dY_pre = dY ⊙ [Y > 0]`.

use std::ops::Range;

use candle_core::{CpuStorage, Layout, Storage, StorageRef, Tensor};
use rayon::prelude::*;

use crate::error::{Error, Result};

pub use super::flops::{flops, reset_flops};

/// Threads a matmul may use (1: the calling thread only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Par(pub usize);

impl Par {
    fn gemm(self) -> gemm::Parallelism {
        if self.0 > 1 {
            gemm::Parallelism::Rayon(self.0)
        } else {
            gemm::Parallelism::None
        }
    }
}

/// A strided read-only matrix view: element `(i, j)` is `data[i·rs + j·cs]`.
#[derive(Clone, Copy)]
pub struct View<'a> {
    data: &'a [f32],
    rs: usize,
    cs: usize,
}

impl<'a> View<'a> {
    /// Row-major `rows × cols` (row stride `cols`).
    pub fn rows(data: &'a [f32], cols: usize) -> Self {
        View {
            data,
            rs: cols,
            cs: 1,
        }
    }

    /// The transpose of a row-major matrix with `cols` columns.
    pub fn transposed(data: &'a [f32], cols: usize) -> Self {
        View {
            data,
            rs: 1,
            cs: cols,
        }
    }

    fn check(&self, rows: usize, cols: usize) {
        if rows > 0 && cols > 0 {
            let last = (rows - 1) * self.rs + (cols - 1) * self.cs;
            assert!(last < self.data.len(), "matrix view out of bounds");
        }
    }
}

/// `dst (m × n, row-major) = lhs (m × k) · rhs (k × n)`, or `+=` when `accumulate`.
pub fn matmul(
    (m, n, k): (usize, usize, usize),
    dst: &mut [f32],
    accumulate: bool,
    lhs: View<'_>,
    rhs: View<'_>,
    par: Par,
) {
    assert!(dst.len() >= m * n, "matmul destination too small");
    lhs.check(m, k);
    rhs.check(k, n);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            dst[..m * n].fill(0.0);
        }
        return;
    }
    super::flops::add(2 * (m * n * k) as u64);
    // SAFETY: every index the product touches was bounds-checked above (the views' last
    // elements and `dst`'s m·n); the slices outlive the call and `dst` is not aliased.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            lhs.data.as_ptr(),
            lhs.cs as isize,
            lhs.rs as isize,
            rhs.data.as_ptr(),
            rhs.cs as isize,
            rhs.rs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            par.gemm(),
        );
    }
}

/// One layer's weights, read in place: `w` is `out × in` row-major, `b` has `out` values.
#[derive(Clone, Copy)]
pub struct Layer<'a> {
    /// Weight `out × in`.
    pub w: &'a [f32],
    /// Bias.
    pub b: &'a [f32],
    /// Input width.
    pub d_in: usize,
    /// Output width.
    pub d_out: usize,
}

/// Gradients of one layer.
#[derive(Clone, Debug, Default)]
pub struct LayerGrad {
    /// `∂L/∂W`, `out × in`.
    pub w: Vec<f32>,
    /// `∂L/∂b`.
    pub b: Vec<f32>,
}

/// The outputs of every layer of one forward pass (after ReLU for hidden layers), kept for
/// the backward pass; plus the backward's scratch rows.
#[derive(Default)]
pub struct Trace {
    /// Layer outputs, `n × d_out` each.
    pub outs: Vec<Vec<f32>>,
    grad: Vec<f32>,
    grad_next: Vec<f32>,
}

impl Trace {
    /// The last layer's output of the latest forward pass.
    pub fn output(&self) -> &[f32] {
        self.outs.last().map_or(&[], Vec::as_slice)
    }
}

/// `v` with exactly `len` elements (its allocation is kept when it shrinks).
pub(super) fn sized(v: &mut Vec<f32>, len: usize) -> &mut [f32] {
    v.resize(len, 0.0);
    &mut v[..]
}

/// Forward pass of an MLP (ReLU between layers, linear output) over `n` rows of `x`.
pub fn forward(layers: &[Layer<'_>], x: &[f32], n: usize, trace: &mut Trace, par: Par) {
    trace.outs.resize_with(layers.len(), Vec::new);
    let last = layers.len() - 1;
    for (k, l) in layers.iter().enumerate() {
        let (before, rest) = trace.outs.split_at_mut(k);
        let input = if k == 0 { x } else { &before[k - 1][..] };
        let out = sized(&mut rest[0], n * l.d_out);
        matmul(
            (n, l.d_out, l.d_in),
            out,
            false,
            View::rows(&input[..n * l.d_in], l.d_in),
            View::transposed(l.w, l.d_in),
            par,
        );
        add_bias(out, l.b, k < last, par);
    }
}

/// What a backward pass computes besides propagating through the layers.
pub struct Want<'g, 'x> {
    /// Weight and bias gradients of every layer (written, not accumulated).
    pub grads: Option<&'g mut [LayerGrad]>,
    /// The gradient of these input columns, `n × cols.len()` (written).
    pub input: Option<(Range<usize>, &'x mut [f32])>,
}

/// Backward pass of the MLP whose forward pass over `x` left `trace`, from `dy` (`n × d_out`
/// of the last layer).
pub fn backward(
    layers: &[Layer<'_>],
    x: &[f32],
    n: usize,
    trace: &mut Trace,
    dy: &[f32],
    want: Want<'_, '_>,
    par: Par,
) {
    let Want {
        mut grads,
        mut input,
    } = want;
    let mut cur = std::mem::take(&mut trace.grad);
    let mut next = std::mem::take(&mut trace.grad_next);
    sized(&mut cur, dy.len()).copy_from_slice(dy);
    for k in (0..layers.len()).rev() {
        let l = &layers[k];
        let dyk = &cur[..n * l.d_out];
        let xk = if k == 0 { x } else { &trace.outs[k - 1][..] };
        if let Some(g) = grads.as_deref_mut() {
            matmul(
                (l.d_out, l.d_in, n),
                sized(&mut g[k].w, l.d_out * l.d_in),
                false,
                View::transposed(dyk, l.d_out),
                View::rows(&xk[..n * l.d_in], l.d_in),
                par,
            );
            // Hidden layers' bias gradients were summed while masking (below).
            if k == layers.len() - 1 {
                column_sums(dyk, l.d_out, sized(&mut g[k].b, l.d_out));
            }
        }
        if k > 0 {
            let dx = sized(&mut next, n * l.d_in);
            matmul(
                (n, l.d_in, l.d_out),
                dx,
                false,
                View::rows(dyk, l.d_out),
                View::rows(l.w, l.d_in),
                par,
            );
            // Through the ReLU of the layer below, summing its bias gradient on the way.
            let db = grads.as_deref_mut().map(|g| sized(&mut g[k - 1].b, l.d_in));
            relu_backward(dx, &trace.outs[k - 1], l.d_in, db, par);
            std::mem::swap(&mut cur, &mut next);
        } else if let Some((cols, out)) = input.as_mut() {
            // dX[:, cols] = dY · W[:, cols]
            matmul(
                (n, cols.len(), l.d_out),
                out,
                false,
                View::rows(dyk, l.d_out),
                View {
                    data: &l.w[cols.start..],
                    rs: l.d_in,
                    cs: 1,
                },
                par,
            );
        }
    }
    trace.grad = cur;
    trace.grad_next = next;
}

/// `out[j] = Σ_rows m[row, j]` of a row-major matrix with `cols` columns.
fn column_sums(m: &[f32], cols: usize, out: &mut [f32]) {
    out.fill(0.0);
    for row in m.chunks_exact(cols) {
        for (s, &v) in out.iter_mut().zip(row) {
            *s += v;
        }
    }
}

/// Rows per block of the elementwise passes. Blocks run in parallel when there are threads,
/// and per-block partial sums are added in block order, so no result depends on the thread
/// count or on scheduling.
const BLOCK_ROWS: usize = 256;

/// Calls `f` on every item, in parallel when `par` has more than one thread (with one, rayon
/// is not touched: handing work to a pool thread costs more than these passes).
pub(crate) fn each<T: Send>(items: Vec<T>, par: Par, f: impl Fn(T) + Sync + Send) {
    if par.0 > 1 && items.len() > 1 {
        items.into_par_iter().for_each(f);
    } else {
        items.into_iter().for_each(f);
    }
}

/// [`each`] for work that can fail: the first error in item order.
pub(crate) fn try_each<T: Send, E: Send>(
    items: Vec<T>,
    par: Par,
    f: impl Fn(T) -> std::result::Result<(), E> + Sync + Send,
) -> std::result::Result<(), E> {
    if par.0 > 1 && items.len() > 1 {
        items.into_par_iter().map(f).collect()
    } else {
        items.into_iter().try_for_each(f)
    }
}

impl Par {
    /// The current rayon pool's threads.
    pub fn current() -> Par {
        Par(rayon::current_num_threads().max(1))
    }
}

/// `y ← y + b` row by row, then ReLU when `relu`.
fn add_bias(out: &mut [f32], b: &[f32], relu: bool, par: Par) {
    let blocks: Vec<&mut [f32]> = out.chunks_mut(BLOCK_ROWS * b.len()).collect();
    each(blocks, par, |blk| {
        for row in blk.chunks_exact_mut(b.len()) {
            for (y, &b) in row.iter_mut().zip(b) {
                let v = *y + b;
                *y = if relu { v.max(0.0) } else { v };
            }
        }
    });
}

/// `d ← d ⊙ [h > 0]` (the ReLU's backward, `h` its output), and the column sums of the result
/// into `db` when given.
fn relu_backward(d: &mut [f32], h: &[f32], cols: usize, db: Option<&mut [f32]>, par: Par) {
    let block = BLOCK_ROWS * cols;
    let n_blocks = d.len().div_ceil(block);
    let mut partial = vec![0.0f32; if db.is_some() { n_blocks * cols } else { 0 }];
    let mut sums: Vec<Option<&mut [f32]>> = partial.chunks_mut(cols).map(Some).collect();
    sums.resize_with(n_blocks, || None);
    let blocks: Vec<_> = d.chunks_mut(block).zip(h.chunks(block)).zip(sums).collect();
    each(blocks, par, |((dr, hr), sum)| match sum {
        Some(sum) => {
            for (dr, hr) in dr.chunks_exact_mut(cols).zip(hr.chunks_exact(cols)) {
                for ((d, &h), s) in dr.iter_mut().zip(hr).zip(sum.iter_mut()) {
                    let v = if h > 0.0 { *d } else { 0.0 };
                    *d = v;
                    *s += v;
                }
            }
        }
        None => {
            for (d, &h) in dr.iter_mut().zip(hr) {
                *d = if h > 0.0 { *d } else { 0.0 };
            }
        }
    });
    if let Some(db) = db {
        column_sums(&partial, cols, db);
    }
}

/// Read access to the `f32` data of candle tensors for as long as this lives (their storage
/// read locks are held; writing to them meanwhile would wait forever).
pub struct TensorSlices<'a> {
    guards: Vec<(StorageRef<'a>, &'a Layout)>,
}

impl<'a> TensorSlices<'a> {
    /// Locks `tensors` for reading.
    pub fn new(tensors: impl IntoIterator<Item = &'a Tensor>) -> Self {
        TensorSlices {
            guards: tensors
                .into_iter()
                .map(Tensor::storage_and_layout)
                .collect(),
        }
    }

    /// The data of the `k`-th tensor (contiguous f32 on the CPU, else an error).
    pub fn get(&self, k: usize) -> Result<&[f32]> {
        let (g, l) = &self.guards[k];
        let (Storage::Cpu(CpuStorage::F32(v)), Some((a, b))) = (&**g, l.contiguous_offsets())
        else {
            return Err(Error::argument(
                "tensor",
                "the fused update needs contiguous f32 CPU tensors",
            ));
        };
        Ok(&v[a..b])
    }

    /// Layers of an MLP whose tensors were given as `w0, b0, w1, b1, …`.
    pub fn layers(&self) -> Result<Vec<Layer<'_>>> {
        (0..self.guards.len() / 2)
            .map(|k| {
                let dims = self.guards[2 * k].1.dims();
                Ok(Layer {
                    w: self.get(2 * k)?,
                    b: self.get(2 * k + 1)?,
                    d_out: dims[0],
                    d_in: dims[1],
                })
            })
            .collect()
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// Naive reference: `y = x·Wᵀ + b` with ReLU between layers.
    pub(in crate::nn) fn naive_forward(
        ws: &[(Vec<f32>, Vec<f32>, usize, usize)],
        x: &[f32],
        n: usize,
    ) -> Vec<f32> {
        let mut h = x.to_vec();
        for (k, (w, b, din, dout)) in ws.iter().enumerate() {
            let mut y = vec![0.0f32; n * dout];
            for r in 0..n {
                for o in 0..*dout {
                    let mut s = b[o] as f64;
                    for i in 0..*din {
                        s += h[r * din + i] as f64 * w[o * din + i] as f64;
                    }
                    y[r * dout + o] = if k + 1 < ws.len() { s.max(0.0) } else { s } as f32;
                }
            }
            h = y;
        }
        h
    }

    fn net() -> Vec<(Vec<f32>, Vec<f32>, usize, usize)> {
        let mut s = 0.3f32;
        let mut next = || {
            s = (s * 7.13 + 0.37).fract();
            s - 0.5
        };
        [(4, 5), (5, 3)]
            .iter()
            .map(|&(din, dout)| {
                let w = (0..din * dout).map(|_| next()).collect();
                let b = (0..dout).map(|_| next()).collect();
                (w, b, din, dout)
            })
            .collect()
    }

    pub(in crate::nn) fn layers(ws: &[(Vec<f32>, Vec<f32>, usize, usize)]) -> Vec<Layer<'_>> {
        ws.iter()
            .map(|(w, b, d_in, d_out)| Layer {
                w,
                b,
                d_in: *d_in,
                d_out: *d_out,
            })
            .collect()
    }

    #[test]
    fn forward_matches_the_naive_product() {
        let ws = net();
        let x: Vec<f32> = (0..3 * 4).map(|i| (i as f32 * 0.37).sin()).collect();
        let mut tr = Trace::default();
        forward(&layers(&ws), &x, 3, &mut tr, Par(1));
        let want = naive_forward(&ws, &x, 3);
        for (a, b) in tr.output().iter().zip(&want) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }

    /// Every weight gradient and the input gradient against central differences of the loss
    /// `Σ c ⊙ y` (a fixed `c`).
    #[test]
    fn backward_matches_finite_differences() {
        let ws = net();
        let n = 3;
        let x: Vec<f32> = (0..n * 4).map(|i| (i as f32 * 0.37).sin()).collect();
        let c: Vec<f32> = (0..n * 3).map(|i| (i as f32 * 0.91).cos()).collect();
        let loss = |ws: &[(Vec<f32>, Vec<f32>, usize, usize)], x: &[f32]| -> f64 {
            naive_forward(ws, x, n)
                .iter()
                .zip(&c)
                .map(|(y, c)| (*y as f64) * (*c as f64))
                .sum()
        };
        let mut tr = Trace::default();
        forward(&layers(&ws), &x, n, &mut tr, Par(1));
        let mut grads = vec![LayerGrad::default(); 2];
        let mut dx = vec![0.0f32; n * 2];
        backward(
            &layers(&ws),
            &x,
            n,
            &mut tr,
            &c,
            Want {
                grads: Some(&mut grads),
                input: Some((1..3, &mut dx)),
            },
            Par(1),
        );
        let h = 1e-3f32;
        for k in 0..2 {
            for i in 0..ws[k].0.len() {
                let (mut up, mut down) = (ws.clone(), ws.clone());
                up[k].0[i] += h;
                down[k].0[i] -= h;
                let fd = (loss(&up, &x) - loss(&down, &x)) / (2.0 * h as f64);
                assert!((grads[k].w[i] as f64 - fd).abs() < 1e-3, "w{k}[{i}]");
            }
            for i in 0..ws[k].1.len() {
                let (mut up, mut down) = (ws.clone(), ws.clone());
                up[k].1[i] += h;
                down[k].1[i] -= h;
                let fd = (loss(&up, &x) - loss(&down, &x)) / (2.0 * h as f64);
                assert!((grads[k].b[i] as f64 - fd).abs() < 1e-3, "b{k}[{i}]");
            }
        }
        for r in 0..n {
            for j in 0..2 {
                let (mut up, mut down) = (x.clone(), x.clone());
                up[r * 4 + 1 + j] += h;
                down[r * 4 + 1 + j] -= h;
                let fd = (loss(&ws, &up) - loss(&ws, &down)) / (2.0 * h as f64);
                assert!((dx[r * 2 + j] as f64 - fd).abs() < 1e-3, "x[{r},{j}]");
            }
        }
    }
}
