//! A grid through a real Slurm: `drat grid --slurm --submit` on a one-node cluster, then
//! `drat merge`, gives the same records and results as a local `--jobs 2` run of the grid.
//!
//! Needs a running cluster, so it is ignored by plain `cargo test`; `.ci/run` runs it as
//! `scripts/slurm-local.sh start && cargo test --test slurm -- --ignored` (the script
//! installs Debian's slurm-wlm and munge when missing and prints the `SLURM_CONF` to use).

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::GRID;
use drat::grid::record::{read_all, Status};

fn drat(args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_drat"))
        .args(args)
        .output()
        .expect("drat runs");
    assert!(
        out.status.success(),
        "drat {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn queue_is_empty(job: &str) -> bool {
    let out = Command::new("squeue")
        .args(["-h", "-j", job])
        .output()
        .expect("squeue runs");
    out.status.success() && String::from_utf8_lossy(&out.stdout).trim().is_empty()
}

#[test]
#[ignore = "needs a Slurm cluster: scripts/slurm-local.sh start (run by .ci/run)"]
fn a_grid_on_slurm_merges_to_the_local_results() {
    let tmp = tempfile::tempdir().unwrap();
    let grid = tmp.path().join("grid.toml");
    std::fs::write(&grid, GRID).unwrap();
    let (cluster, local) = (tmp.path().join("cluster"), tmp.path().join("local"));
    let g = grid.to_str().unwrap();

    let out = drat(&[
        "grid",
        g,
        "--out",
        cluster.to_str().unwrap(),
        "--slurm",
        "--submit",
    ]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let job = text
        .split_whitespace()
        .skip_while(|w| *w != "job")
        .nth(1)
        .unwrap_or_else(|| panic!("no job id in: {text}"))
        .to_string();
    let script = std::fs::read_to_string(cluster.join("slurm.sh")).unwrap();
    assert!(script.contains("#SBATCH --array=0,1,2,3"), "{script}");

    let t0 = Instant::now();
    while !queue_is_empty(&job) {
        assert!(
            t0.elapsed() < Duration::from_secs(600),
            "job {job} still queued after 10 min"
        );
        std::thread::sleep(Duration::from_secs(2));
    }
    let recs = read_all(&cluster).unwrap();
    assert_eq!(recs.len(), 4, "array tasks left {} records", recs.len());
    assert!(recs.iter().all(|r| r.status == Status::Done), "{recs:?}");
    drat(&["merge", cluster.to_str().unwrap()]);

    drat(&[
        "grid",
        g,
        "--out",
        local.to_str().unwrap(),
        "--jobs",
        "2",
        "--quiet",
    ]);
    let same = |d: &Path| {
        read_all(d)
            .unwrap()
            .into_iter()
            .map(|r| (r.id, r.config_hash, r.success, r.ret, r.curve))
            .collect::<Vec<_>>()
    };
    assert_eq!(same(&cluster), same(&local));
    assert_eq!(
        std::fs::read_to_string(cluster.join("results.csv")).unwrap(),
        std::fs::read_to_string(local.join("results.csv")).unwrap()
    );
    assert_eq!(
        std::fs::read_to_string(cluster.join("summary.csv")).unwrap(),
        std::fs::read_to_string(local.join("summary.csv")).unwrap()
    );
}
