//! PEARL's probabilistic context encoder (Rakelly et al. 2019): each context transition
//! `(s, a, r, s′)` gives a Gaussian factor `N(μᵢ, σᵢ²)` over the latent task variable z; the
//! posterior is their product, and z is drawn from it by reparameterisation.
//!
//! Product of Gaussians (per latent dimension):
//! `σ² = 1 / Σᵢ σᵢ⁻²`,  `μ = σ² · Σᵢ μᵢ σᵢ⁻²`.
//! KL to the prior `N(0, I)`: `½ Σ (σ² + μ² − 1 − log σ²)`.

use candle_core::{Tensor, D};
use candle_nn::Module;

use crate::error::Result;
use crate::nn::{softplus, Mlp};

/// Posterior of one or more tasks: `mean`, `var` with shape `[tasks, latent]`.
#[derive(Clone, Debug)]
pub struct Posterior {
    /// Means `[tasks, latent]`.
    pub mean: Tensor,
    /// Variances `[tasks, latent]`.
    pub var: Tensor,
}

/// Product of per-transition Gaussians. `mu`, `var`: `[tasks, n_context, latent]`.
pub fn product_of_gaussians(mu: &Tensor, var: &Tensor) -> Result<Posterior> {
    let var = var.clamp(1e-7, f64::INFINITY)?;
    let prec = var.recip()?;
    let post_var = prec.sum(D::Minus2)?.recip()?;
    let mean = (&post_var * (mu * &prec)?.sum(D::Minus2)?)?;
    Ok(Posterior {
        mean,
        var: post_var,
    })
}

/// KL(N(mean, var) ‖ N(0, I)) per task, `[tasks]`.
pub fn kl_to_standard_normal(p: &Posterior) -> Result<Tensor> {
    let t = ((&p.var + p.mean.sqr()?)? - p.var.log()?)?.affine(1.0, -1.0)?;
    Ok((t.sum(D::Minus1)? * 0.5)?)
}

/// The encoder network: transition features → (μ, pre-variance) per transition.
#[derive(Clone)]
pub struct ContextEncoder {
    net: Mlp,
    latent: usize,
}

impl ContextEncoder {
    /// Wraps an MLP whose output has `2 × latent` units.
    pub fn new(net: Mlp, latent: usize) -> Self {
        ContextEncoder { net, latent }
    }

    /// The network.
    pub fn net(&self) -> &Mlp {
        &self.net
    }

    /// Latent size.
    pub fn latent(&self) -> usize {
        self.latent
    }

    /// Posterior from contexts `[tasks, n_context, feat]`.
    pub fn posterior(&self, context: &Tensor) -> Result<Posterior> {
        let (t, n, f) = context.dims3()?;
        let out = self.net.forward(&context.reshape((t * n, f))?)?;
        let out = out.reshape((t, n, 2 * self.latent))?;
        let mu = out.narrow(2, 0, self.latent)?;
        let var = softplus(&out.narrow(2, self.latent, self.latent)?)?;
        product_of_gaussians(&mu, &var)
    }
}

/// `z = μ + σ·ε`, with ε `[tasks, latent]` drawn by the caller.
pub fn reparameterize(p: &Posterior, eps: &Tensor) -> Result<Tensor> {
    Ok((&p.mean + (p.var.sqrt()? * eps)?)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn product_of_two_gaussians_matches_hand_computation() {
        // N(1, 1) × N(3, 4): precision 1 + 1/4 = 1.25 → var 0.8, mean 0.8·(1 + 3/4) = 1.4.
        let mu = Tensor::from_slice(&[1.0f32, 3.0], (1, 2, 1), &Device::Cpu).unwrap();
        let var = Tensor::from_slice(&[1.0f32, 4.0], (1, 2, 1), &Device::Cpu).unwrap();
        let p = product_of_gaussians(&mu, &var).unwrap();
        let m: Vec<f32> = p.mean.flatten_all().unwrap().to_vec1().unwrap();
        let v: Vec<f32> = p.var.flatten_all().unwrap().to_vec1().unwrap();
        assert!(
            (m[0] - 1.4).abs() < 1e-6 && (v[0] - 0.8).abs() < 1e-6,
            "{m:?} {v:?}"
        );
    }

    #[test]
    fn kl_matches_the_closed_form() {
        let p = Posterior {
            mean: Tensor::from_slice(&[0.5f32, -1.0], (1, 2), &Device::Cpu).unwrap(),
            var: Tensor::from_slice(&[0.25f32, 2.0], (1, 2), &Device::Cpu).unwrap(),
        };
        let kl: Vec<f32> = kl_to_standard_normal(&p).unwrap().to_vec1().unwrap();
        let want = 0.5 * ((0.25 + 0.25 - 1.0 - 0.25f64.ln()) + (2.0 + 1.0 - 1.0 - 2.0f64.ln()));
        assert!((kl[0] as f64 - want).abs() < 1e-6, "{} vs {want}", kl[0]);
        let prior = Posterior {
            mean: Tensor::zeros((1, 3), candle_core::DType::F32, &Device::Cpu).unwrap(),
            var: Tensor::ones((1, 3), candle_core::DType::F32, &Device::Cpu).unwrap(),
        };
        assert_eq!(
            kl_to_standard_normal(&prior)
                .unwrap()
                .to_vec1::<f32>()
                .unwrap(),
            vec![0.0]
        );
    }
}
