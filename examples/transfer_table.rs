//! RMSE of the start-state value estimate of task j from task-i trajectories, on random
//! tabular MDPs with exact values (see `drat::diagnostics::tabular`), for each estimator and
//! dynamics shift. Run: `cargo run --release --example transfer_table`.

use drat::diagnostics::tabular::{error_stats, experiment, Setup, METHODS};
use rand::SeedableRng;

fn main() {
    let shifts = [0.0, 0.3, 0.7];
    let mdps = 8;
    println!("RMSE (bias, std) of V_j(s0) over {mdps} random MDPs × 10 noisy twin-critic draws × 200 trajectories");
    println!("(6 states, 3 actions, reward 1 in the goal state, peaked random kernels, horizon 10, γ 0.9, twin critics with noise 15 % of max |Q|, π_j = 0.7 π_i + 0.3 π_rand)\n");
    print!("| method |");
    for d in shifts {
        print!(" shift {d} |");
    }
    println!("\n|---|{}", "---|".repeat(shifts.len()));
    let mut table = vec![vec![(0.0, 0.0, 0.0); shifts.len()]; METHODS.len()];
    for (c, &shift) in shifts.iter().enumerate() {
        let setup = Setup {
            shift,
            ..Setup::default()
        };
        let mut acc = vec![(0.0, 0.0, 0.0); METHODS.len()];
        for seed in 0..mdps {
            let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
            let (est, truth) = experiment(&setup, &mut rng);
            for (k, e) in est.iter().enumerate() {
                let (b, s, r) = error_stats(e, truth);
                acc[k].0 += b / mdps as f64;
                acc[k].1 += s * s / mdps as f64;
                acc[k].2 += r * r / mdps as f64;
            }
        }
        for k in 0..METHODS.len() {
            table[k][c] = (acc[k].0, acc[k].1.sqrt(), acc[k].2.sqrt());
        }
    }
    for (k, m) in METHODS.iter().enumerate() {
        print!("| {m} |");
        for &(b, s, r) in &table[k] {
            print!(" {r:.3} ({b:+.3}, {s:.3}) |");
        }
        println!();
    }
}
