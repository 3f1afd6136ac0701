//! Training: batched collection (`rollout.rs`), the meta-training loop (`trainer.rs`),
//! meta-test (`meta_test.rs`), checkpoints and run directories.

use crate::error::{Error, Result};

pub mod checkpoint;
pub mod meta_test;
pub mod rollout;
pub mod run;
pub mod trainer;

/// Sets the number of CPU threads for tensor math: the global rayon pool *and*
/// `RAYON_NUM_THREADS`, which candle reads on every matmul to size gemm's own parallelism
/// (left unset it uses every core, whatever the pool holds: a 1-thread run on 2 cores was
/// 3.3× slower, measured). Call it once at start-up, before any other thread exists.
pub fn set_threads(n: usize) -> Result<()> {
    if n == 0 {
        return Err(Error::argument("--threads", "must be ≥ 1"));
    }
    std::env::set_var("RAYON_NUM_THREADS", n.to_string());
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build_global()
        .map_err(|e| Error::argument("--threads", format!("thread pool: {e}")))
}
