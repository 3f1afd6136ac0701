//! Neural-network building blocks on candle-nn: MLPs of `candle_nn::Linear` layers that
//! implement `candle_nn::Module`, a name-sorted parameter store initialised from our own seeded
//! RNG, Polyak averaging and our own Adam (its state is plain `Vec<f32>` so checkpoints hold it
//! exactly). Nothing here knows about RL.
//!
//! What stays ours, and why: candle 0.11's CPU random generator cannot be seeded (so
//! `candle_nn::VarBuilder`'s initialisers cannot give reproducible weights) and its `AdamW`
//! keeps its moments private (so a resumed run could not continue exactly); `VarMap` is a hash
//! map, so [`Params`] keeps variables in name order.

pub mod act_kernel;
pub mod dense;
pub mod flops;
pub mod tanh_gaussian;

use std::collections::BTreeMap;

use std::cell::RefCell;

use candle_core::{CpuStorage, DType, Device, InplaceOp1, Layout, Tensor, Var};
use candle_nn::Module;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Parameters by name, always iterated in name order (candle's `VarMap` is a hash map).
#[derive(Clone, Default)]
pub struct Params {
    vars: BTreeMap<String, Var>,
}

impl Params {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a parameter with values `data` and `shape`.
    pub fn add(&mut self, name: &str, data: Vec<f32>, shape: &[usize]) -> Result<Var> {
        if self.vars.contains_key(name) {
            return Err(Error::argument("params", format!("`{name}` defined twice")));
        }
        let v = Var::from_vec(data, shape, &Device::Cpu)?;
        self.vars.insert(name.to_string(), v.clone());
        Ok(v)
    }

    /// Parameters in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Var)> {
        self.vars.iter()
    }

    /// Parameters whose name starts with `prefix`, in name order.
    pub fn with_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a String, &'a Var)> {
        self.vars.iter().filter(move |(n, _)| n.starts_with(prefix))
    }

    /// One parameter.
    pub fn get(&self, name: &str) -> Option<&Var> {
        self.vars.get(name)
    }

    /// Number of scalars in all parameters.
    pub fn n_scalars(&self) -> usize {
        self.vars.values().map(|v| v.elem_count()).sum()
    }

    /// Values of every parameter, by name.
    pub fn to_tensors(&self) -> BTreeMap<String, Tensor> {
        self.vars
            .iter()
            .map(|(n, v)| (n.clone(), v.as_tensor().clone()))
            .collect()
    }

    /// Overwrites every parameter from `tensors` (same names and shapes required).
    pub fn load_tensors(
        &self,
        tensors: &std::collections::HashMap<String, Tensor>,
        source: &str,
    ) -> Result<()> {
        for (name, var) in &self.vars {
            let t = tensors.get(name).ok_or_else(|| {
                Error::Checkpoint(format!("{source}: parameter `{name}` is missing"))
            })?;
            if t.dims() != var.dims() {
                return Err(Error::Checkpoint(format!(
                    "{source}: parameter `{name}` has shape {:?}, the agent needs {:?}",
                    t.dims(),
                    var.dims()
                )));
            }
            var.set(&t.to_dtype(DType::F32)?)?;
        }
        Ok(())
    }

    /// `target ← τ·source + (1 − τ)·target` for every `source` parameter under `from` and its
    /// namesake under `to` (Polyak averaging of target networks).
    pub fn polyak(&self, from: &str, to: &str, tau: f64) -> Result<()> {
        let pairs = self
            .with_prefix(from)
            .map(|(name, src)| {
                let tname = format!("{to}{}", &name[from.len()..]);
                match self.vars.get(&tname) {
                    Some(dst) => Ok((src, dst)),
                    None => Err(Error::argument("polyak", format!("no target `{tname}`"))),
                }
            })
            .collect::<Result<Vec<_>>>()?;
        dense::try_each(pairs, dense::Par::current(), |(src, dst)| -> Result<()> {
            let s = dense::TensorSlices::new([src.as_tensor()]);
            dst.as_tensor().inplace_op1(&Polyak {
                src: s.get(0)?,
                tau: tau as f32,
            })?;
            Ok(())
        })
    }
}

/// The `f32` data of an in-place op's storage.
fn data_mut<'a>(
    storage: &'a mut CpuStorage,
    layout: &Layout,
) -> candle_core::Result<&'a mut [f32]> {
    match (storage, layout.contiguous_offsets()) {
        (CpuStorage::F32(v), Some((a, b))) => Ok(&mut v[a..b]),
        _ => Err(candle_core::Error::Msg(
            "in-place parameter ops need contiguous f32 tensors".into(),
        )),
    }
}

/// `dst ← τ·src + (1 − τ)·dst` in place.
struct Polyak<'a> {
    src: &'a [f32],
    tau: f32,
}

impl InplaceOp1 for Polyak<'_> {
    fn name(&self) -> &'static str {
        "polyak"
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> candle_core::Result<()> {
        let dst = data_mut(storage, layout)?;
        if dst.len() != self.src.len() {
            return Err(candle_core::Error::Msg("polyak: shapes differ".into()));
        }
        let keep = 1.0 - self.tau;
        for (d, &s) in dst.iter_mut().zip(self.src) {
            *d = self.tau * s + keep * *d;
        }
        Ok(())
    }
}

/// A `candle_nn::Linear` layer (`y = x·Wᵀ + b`) whose weights live in [`Params`].
#[derive(Clone)]
pub struct Linear(candle_nn::Linear);

impl Linear {
    /// A layer `name.w` (out × in), `name.b` (out), uniform in ±`bound` (default ±1/√in),
    /// drawn from our seeded `rng` (candle's initialisers cannot be seeded).
    pub fn new(
        params: &mut Params,
        name: &str,
        d_in: usize,
        d_out: usize,
        bound: Option<f32>,
        rng: &mut impl Rng,
    ) -> Result<Self> {
        let bound = bound.unwrap_or(1.0 / (d_in as f32).sqrt());
        let mut u =
            |n: usize| -> Vec<f32> { (0..n).map(|_| rng.random_range(-bound..=bound)).collect() };
        let w = params.add(&format!("{name}.w"), u(d_out * d_in), &[d_out, d_in])?;
        let b = params.add(&format!("{name}.b"), u(d_out), &[d_out])?;
        // The layer holds the variables' tensors: updates to the `Var`s are what it computes
        // with, and gradients flow back to them.
        Ok(Linear(candle_nn::Linear::new(
            w.as_tensor().clone(),
            Some(b.as_tensor().clone()),
        )))
    }
}

impl Module for Linear {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        self.0.forward(x)
    }
}

/// A multi-layer perceptron with ReLU between layers and a linear output.
#[derive(Clone)]
pub struct Mlp {
    name: String,
    layers: Vec<Linear>,
}

impl Mlp {
    /// Layers `name.l0 … name.lK`; the last layer is initialised in ±`out_bound` (small, as in
    /// PEARL/rlkit, so initial outputs are near zero).
    pub fn new(
        params: &mut Params,
        name: &str,
        d_in: usize,
        hidden: &[usize],
        d_out: usize,
        out_bound: f32,
        rng: &mut impl Rng,
    ) -> Result<Self> {
        let mut layers = Vec::new();
        let mut d = d_in;
        for (k, &h) in hidden.iter().enumerate() {
            layers.push(Linear::new(
                params,
                &format!("{name}.l{k}"),
                d,
                h,
                None,
                rng,
            )?);
            d = h;
        }
        layers.push(Linear::new(
            params,
            &format!("{name}.l{}", hidden.len()),
            d,
            d_out,
            Some(out_bound),
            rng,
        )?);
        Ok(Mlp {
            name: name.to_string(),
            layers,
        })
    }

    /// Its parameter names, `name.l0.w, name.l0.b, name.l1.w, …`.
    pub fn param_names(&self) -> Vec<String> {
        (0..self.layers.len())
            .flat_map(|k| ["w", "b"].map(|p| format!("{}.l{k}.{p}", self.name)))
            .collect()
    }

    /// Its weight tensors in the order of [`Mlp::param_names`].
    pub fn tensors(&self) -> Vec<&Tensor> {
        self.layers
            .iter()
            .flat_map(|l| {
                let b = l.0.bias().expect("our layers have a bias");
                [l.0.weight(), b]
            })
            .collect()
    }
}

impl Module for Mlp {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let last = self.layers.len() - 1;
        let mut h = x.clone();
        for (k, l) in self.layers.iter().enumerate() {
            h = l.forward(&h)?;
            if k < last {
                h = candle_nn::Activation::Relu.forward(&h)?;
            }
        }
        Ok(h)
    }
}

/// `softplus(x) = log(1 + eˣ)`, computed as `relu(x) + log(1 + e^{−|x|})` (no overflow;
/// candle-nn 0.11 has no softplus op).
pub fn softplus(x: &Tensor) -> Result<Tensor> {
    Ok((x.relu()? + ((x.abs()?.neg()?.exp()? + 1.0)?.log()?))?)
}

/// Adam (Kingma & Ba) without weight decay, state kept per parameter name in plain vectors
/// (ours, not `candle_nn::AdamW`, because a checkpoint must hold the moments).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Adam {
    /// Learning rate.
    pub lr: f64,
    /// First-moment decay.
    pub beta1: f64,
    /// Second-moment decay.
    pub beta2: f64,
    /// Denominator guard.
    pub eps: f64,
    /// Steps taken.
    pub t: u64,
    /// First moments by parameter name (checkpoints store them as tensors, not JSON).
    #[serde(skip)]
    pub m: BTreeMap<String, Vec<f32>>,
    /// Second moments by parameter name.
    #[serde(skip)]
    pub v: BTreeMap<String, Vec<f32>>,
}

impl Adam {
    /// Adam with the usual β = (0.9, 0.999), ε = 1e-8.
    pub fn new(lr: f64) -> Self {
        Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            t: 0,
            m: BTreeMap::new(),
            v: BTreeMap::new(),
        }
    }

    /// One step on every parameter under `prefixes` that received a gradient.
    pub fn step(
        &mut self,
        params: &Params,
        prefixes: &[&str],
        grads: &candle_core::backprop::GradStore,
    ) -> Result<()> {
        self.t += 1;
        let (b1, b2) = (self.beta1, self.beta2);
        let c1 = 1.0 - b1.powi(self.t as i32);
        let c2 = 1.0 - b2.powi(self.t as i32);
        let step = (self.lr * c2.sqrt() / c1) as f32;
        let eps = (self.eps * c2.sqrt()) as f32;
        for (name, var) in params.iter() {
            if !prefixes.iter().any(|p| name.starts_with(p)) {
                continue;
            }
            let Some(g) = grads.get(var.as_tensor()) else {
                continue;
            };
            let g = g.flatten_all()?.to_vec1::<f32>()?;
            let mut p = var.as_tensor().flatten_all()?.to_vec1::<f32>()?;
            let m = self
                .m
                .entry(name.clone())
                .or_insert_with(|| vec![0.0; g.len()]);
            let v = self
                .v
                .entry(name.clone())
                .or_insert_with(|| vec![0.0; g.len()]);
            let (b1f, b2f) = (b1 as f32, b2 as f32);
            for i in 0..g.len() {
                m[i] = b1f * m[i] + (1.0 - b1f) * g[i];
                v[i] = b2f * v[i] + (1.0 - b2f) * g[i] * g[i];
                p[i] -= step * m[i] / (v[i].sqrt() + eps);
            }
            var.set(&Tensor::from_vec(p, var.dims(), &Device::Cpu)?)?;
        }
        Ok(())
    }
}

impl Adam {
    /// One step on the named parameters with the given gradients, each parameter updated in
    /// place in one pass (moments and weights together, no temporaries). The same arithmetic
    /// as [`Adam::step`].
    pub fn step_in_place(&mut self, params: &Params, grads: &[(String, &[f32])]) -> Result<()> {
        self.t += 1;
        let (b1, b2) = (self.beta1, self.beta2);
        let c1 = 1.0 - b1.powi(self.t as i32);
        let c2 = 1.0 - b2.powi(self.t as i32);
        let (step, eps) = (
            (self.lr * c2.sqrt() / c1) as f32,
            (self.eps * c2.sqrt()) as f32,
        );
        // Each parameter's moments are taken out, stepped in parallel, and put back.
        let mut work = Vec::with_capacity(grads.len());
        let mut bad = None;
        for (name, g) in grads {
            let m = self.m.remove(name).unwrap_or_else(|| vec![0.0; g.len()]);
            let v = self.v.remove(name).unwrap_or_else(|| vec![0.0; g.len()]);
            match params.get(name) {
                Some(var)
                    if var.elem_count() == g.len() && m.len() == g.len() && v.len() == g.len() => {}
                _ => bad = Some(name.clone()),
            }
            work.push((name, *g, m, v));
        }
        let result = match bad {
            Some(name) => Err(Error::argument(
                "adam",
                format!("`{name}`: no such parameter, or its gradient, moments and size differ"),
            )),
            None => dense::try_each(
                work.iter_mut().collect(),
                dense::Par::current(),
                |(name, g, m, v)| {
                    let var = params.get(name).expect("checked above");
                    var.as_tensor().inplace_op1(&AdamStep {
                        g,
                        moments: RefCell::new((m, v)),
                        beta: (b1 as f32, b2 as f32),
                        step,
                        eps,
                    })
                },
            )
            .map_err(Error::from),
        };
        for (name, _, m, v) in work {
            self.m.insert(name.clone(), m);
            self.v.insert(name.clone(), v);
        }
        result
    }
}

/// One fused Adam pass over a parameter buffer.
struct AdamStep<'a> {
    g: &'a [f32],
    moments: RefCell<(&'a mut Vec<f32>, &'a mut Vec<f32>)>,
    beta: (f32, f32),
    step: f32,
    eps: f32,
}

impl InplaceOp1 for AdamStep<'_> {
    fn name(&self) -> &'static str {
        "adam"
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> candle_core::Result<()> {
        let p = data_mut(storage, layout)?;
        let mut mv = self.moments.borrow_mut();
        let (m, v) = &mut *mv;
        let (b1, b2) = self.beta;
        for (((p, m), v), &g) in p.iter_mut().zip(m.iter_mut()).zip(v.iter_mut()).zip(self.g) {
            *m = b1 * *m + (1.0 - b1) * g;
            *v = b2 * *v + (1.0 - b2) * g * g;
            *p -= self.step * *m / (v.sqrt() + self.eps);
        }
        Ok(())
    }
}

/// A `[rows, cols]` tensor from a flat row-major vector.
pub fn tensor2(data: Vec<f32>, rows: usize, cols: usize) -> Result<Tensor> {
    Ok(Tensor::from_vec(data, (rows, cols), &Device::Cpu)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn polyak_moves_targets_by_exactly_tau() {
        let mut rng = rand_pcg::Pcg64::seed_from_u64(0);
        let mut p = Params::new();
        Mlp::new(&mut p, "q1", 3, &[4], 1, 0.1, &mut rng).unwrap();
        Mlp::new(&mut p, "q1_target", 3, &[4], 1, 0.1, &mut rng).unwrap();
        let before: Vec<Vec<f32>> = p
            .with_prefix("q1_target")
            .map(|(_, v)| v.as_tensor().flatten_all().unwrap().to_vec1().unwrap())
            .collect();
        let src: Vec<Vec<f32>> = p
            .with_prefix("q1.")
            .map(|(_, v)| v.as_tensor().flatten_all().unwrap().to_vec1().unwrap())
            .collect();
        p.polyak("q1.", "q1_target.", 0.005).unwrap();
        let after: Vec<Vec<f32>> = p
            .with_prefix("q1_target")
            .map(|(_, v)| v.as_tensor().flatten_all().unwrap().to_vec1().unwrap())
            .collect();
        for ((b, a), s) in before.iter().zip(&after).zip(&src) {
            for i in 0..b.len() {
                let moved = a[i] - b[i];
                let expected = 0.005 * (s[i] - b[i]);
                assert!((moved - expected).abs() <= 1e-7, "{moved} vs {expected}");
            }
        }
    }

    #[test]
    fn adam_matches_hand_computed_first_steps() {
        let mut p = Params::new();
        let x = p.add("x", vec![1.0, -2.0], &[2]).unwrap();
        let mut adam = Adam::new(0.1);
        // loss = Σ x² → grad 2x; first Adam step moves each coordinate by −lr·sign(g).
        let loss = x.as_tensor().sqr().unwrap().sum_all().unwrap();
        let g = loss.backward().unwrap();
        adam.step(&p, &["x"], &g).unwrap();
        let v: Vec<f32> = x.as_tensor().to_vec1().unwrap();
        assert!(
            (v[0] - 0.9).abs() < 1e-6 && (v[1] + 1.9).abs() < 1e-6,
            "{v:?}"
        );
        assert_eq!(adam.t, 1);
    }

    #[test]
    fn softplus_is_stable_and_correct() {
        let x = Tensor::new(&[-100.0f32, -1.0, 0.0, 2.0, 100.0], &Device::Cpu).unwrap();
        let y: Vec<f32> = softplus(&x).unwrap().to_vec1().unwrap();
        let want = [
            0.0f32,
            (1.0f32 + (-1.0f32).exp()).ln(),
            2f32.ln(),
            (1.0f32 + 2f32.exp()).ln(),
            100.0,
        ];
        for (a, b) in y.iter().zip(want) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }
}
