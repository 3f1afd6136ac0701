//! The tanh-squashed Gaussian policy distribution of SAC.
//!
//! `u ~ N(μ, σ²)`, `a = tanh(u)`, and
//! `log π(a) = Σᵢ [ log N(uᵢ; μᵢ, σᵢ) − log(1 − tanh²(uᵢ)) ]`,
//! where the change-of-variables term is computed stably as
//! `log(1 − tanh²(u)) = 2·(log 2 − u − softplus(−2u))` (Haarnoja et al. 2018, appendix C;
//! the stable form as in common SAC implementations).

use candle_core::Tensor;

use super::softplus;
use crate::error::Result;

/// ½·log 2π.
pub const HALF_LOG_2PI: f64 = 0.918_938_533_204_672_7;

/// Reparameterised sample `a = tanh(μ + σ·ε)` and its log-probability `[n, 1]`, given standard
/// normal noise `ε` drawn by the caller (from a seeded RNG).
pub fn sample(mean: &Tensor, log_std: &Tensor, eps: &Tensor) -> Result<(Tensor, Tensor)> {
    let u = (mean + (log_std.exp()? * eps)?)?;
    let action = u.tanh()?;
    let log_gauss = ((eps.sqr()? * -0.5)? - log_std)?.affine(1.0, -HALF_LOG_2PI)?;
    let logp = (log_gauss - log_det_tanh(&u)?)?.sum_keepdim(1)?;
    Ok((action, logp))
}

/// `log π(a)` `[n, 1]` of given actions in (−1, 1) (clamped to ±(1 − 1e-6) first).
pub fn log_prob(mean: &Tensor, log_std: &Tensor, action: &Tensor) -> Result<Tensor> {
    let a = action.clamp(-1.0 + 1e-6, 1.0 - 1e-6)?;
    // atanh(a) = ½·log((1 + a)/(1 − a))
    let u = ((((&a + 1.0)? / (a.neg()? + 1.0)?)?.log()?) * 0.5)?;
    let z = ((&u - mean)? / log_std.exp()?)?;
    let log_gauss = ((z.sqr()? * -0.5)? - log_std)?.affine(1.0, -HALF_LOG_2PI)?;
    Ok((log_gauss - log_det_tanh(&u)?)?.sum_keepdim(1)?)
}

/// One component of [`sample`]'s log-probability, in plain arithmetic: the noise `eps`, the
/// log standard deviation and the pre-squash value `u = μ + σ·ε`.
pub fn log_prob_of_sample(eps: f32, log_std: f32, u: f32) -> f64 {
    let (e, ls, u) = (eps as f64, log_std as f64, u as f64);
    // softplus(−2u), stable: relu(−2u) + log(1 + e^{−|2u|}).
    let sp = (-2.0 * u).max(0.0) + (-(2.0 * u).abs()).exp().ln_1p();
    let log_det = 2.0 * (std::f64::consts::LN_2 - u - sp);
    -0.5 * e * e - ls - HALF_LOG_2PI - log_det
}

/// `log(1 − tanh²(u)) = 2·(log 2 − u − softplus(−2u))`.
fn log_det_tanh(u: &Tensor) -> Result<Tensor> {
    let sp = softplus(&(u * -2.0)?)?;
    Ok(((u.neg()? - sp)? + std::f64::consts::LN_2)?.affine(2.0, 0.0)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn plain_log_prob_of_a_sample_matches_the_tensor_one() {
        let (m, ls, e) = (
            [0.3f32, -1.2, 2.0],
            [-0.5f32, 0.4, -2.0],
            [0.7f32, -1.1, 0.2],
        );
        let t = |v: &[f32]| Tensor::from_slice(v, (1, 3), &Device::Cpu).unwrap();
        let (a, logp) = sample(&t(&m), &t(&ls), &t(&e)).unwrap();
        let a: Vec<f32> = a.flatten_all().unwrap().to_vec1().unwrap();
        let logp: f32 = logp.flatten_all().unwrap().to_vec1::<f32>().unwrap()[0];
        let mut plain = 0.0;
        for i in 0..3 {
            let u = m[i] + ls[i].exp() * e[i];
            assert!((u.tanh() - a[i]).abs() < 1e-6);
            plain += log_prob_of_sample(e[i], ls[i], u);
        }
        assert!((plain as f32 - logp).abs() < 1e-4, "{plain} vs {logp}");
    }

    /// Density of `a = tanh(u)`, u ~ N(μ, σ²), by integrating the Gaussian over
    /// `[atanh(a − h), atanh(a + h)]` (Simpson) and dividing by 2h: a numerical reference that
    /// shares no formula with the code under test.
    fn numeric_log_density(mu: f64, sigma: f64, a: f64) -> f64 {
        let h = 1e-5;
        let (lo, hi) = ((a - h).atanh(), (a + h).atanh());
        let pdf = |u: f64| {
            (-(u - mu).powi(2) / (2.0 * sigma * sigma)).exp()
                / (sigma * (2.0 * std::f64::consts::PI).sqrt())
        };
        let n = 200;
        let w = (hi - lo) / n as f64;
        let mut s = pdf(lo) + pdf(hi);
        for k in 1..n {
            s += pdf(lo + k as f64 * w) * if k % 2 == 1 { 4.0 } else { 2.0 };
        }
        (s * w / 3.0 / (2.0 * h)).ln()
    }

    #[test]
    fn log_prob_matches_a_numerical_reference() {
        let mus = [0.3f32, -1.2, 2.0];
        let log_stds = [-0.5f32, 0.2, -1.0];
        let actions = [0.1f32, -0.7, 0.99];
        let t = |v: &[f32]| Tensor::from_slice(v, (1, 3), &Device::Cpu).unwrap();
        let lp: Vec<f32> = log_prob(&t(&mus), &t(&log_stds), &t(&actions))
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        let reference: f64 = (0..3)
            .map(|i| {
                numeric_log_density(mus[i] as f64, (log_stds[i] as f64).exp(), actions[i] as f64)
            })
            .sum();
        assert!(
            (lp[0] as f64 - reference).abs() < 1e-3,
            "{} vs {reference}",
            lp[0]
        );
    }

    #[test]
    fn sample_log_prob_equals_log_prob_of_the_sample() {
        let t = |v: &[f32]| Tensor::from_slice(v, (2, 2), &Device::Cpu).unwrap();
        let (mu, ls, eps) = (
            t(&[0.1, -0.4, 1.0, 0.0]),
            t(&[-0.3, 0.1, -2.0, 0.5]),
            t(&[0.5, -1.5, 2.0, 0.1]),
        );
        let (a, lp) = sample(&mu, &ls, &eps).unwrap();
        let lp2 = log_prob(&mu, &ls, &a).unwrap();
        let (x, y): (Vec<f32>, Vec<f32>) = (
            lp.flatten_all().unwrap().to_vec1().unwrap(),
            lp2.flatten_all().unwrap().to_vec1().unwrap(),
        );
        for (p, q) in x.iter().zip(&y) {
            assert!((p - q).abs() < 2e-3, "{p} vs {q}");
        }
        // Far in the tail the stable form stays finite where log(1 − tanh²) would be −∞.
        let (_, lp) = sample(&t(&[20.0, 0.0, 0.0, 0.0]), &t(&[0.0; 4]), &t(&[0.0; 4])).unwrap();
        assert!(lp
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap()
            .iter()
            .all(|v| v.is_finite()));
    }
}
