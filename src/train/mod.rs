//! Training: the meta-training loop and meta-test (`meta.rs`).

pub mod checkpoint;
pub mod meta;
pub mod run;
