//! `drat grid` end to end on a 2-method × 2-seed grid of tiny point-robot runs: records,
//! results.csv, the summary's statistics, skipping finished runs, resuming an interrupted run
//! exactly, failures recorded without stopping the grid, and `drat merge`.

use std::path::{Path, PathBuf};

use drat::grid::record::{read_all, Record, Status};
use drat::grid::runner::{self, GridOptions, State};
use drat::grid::spec::Grid;
use drat::train::run::{train, RunOptions};

mod common;
use common::GRID;

fn opts(jobs: usize, only: Option<usize>) -> GridOptions {
    GridOptions {
        exe: PathBuf::from(env!("CARGO_BIN_EXE_drat")),
        jobs,
        threads: 1,
        only,
        progress: false,
    }
}

fn grid_in(dir: &Path, text: &str) -> Grid {
    let path = dir.join("grid.toml");
    std::fs::write(&path, text).unwrap();
    Grid::load(&path).unwrap()
}

fn scores(records: &[Record]) -> Vec<(String, Option<f64>, Option<f64>, usize)> {
    records
        .iter()
        .map(|r| (r.id.clone(), r.success, r.ret, r.curve.len()))
        .collect()
}

#[test]
fn a_grid_runs_records_summarises_skips_and_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("a");
    std::fs::create_dir_all(&out).unwrap();
    let g = grid_in(&out, GRID);
    assert_eq!(g.runs.len(), 4);
    let rep = runner::run(&g, &out, &opts(2, None)).unwrap();
    assert_eq!((rep.done, rep.failed, rep.skipped), (4, 0, 0));

    // Records: every run done, curves at iterations 0, 2, 4, finite scores.
    let recs = read_all(&out).unwrap();
    assert_eq!(recs.len(), 4);
    for r in &recs {
        assert_eq!(r.status, Status::Done, "{}", r.id);
        let its: Vec<usize> = r.curve.iter().map(|p| p.0).collect();
        assert_eq!(its, vec![0, 2, 4], "{}", r.id);
        assert!(r.success.is_some_and(f64::is_finite) && r.ret.is_some_and(f64::is_finite));
        assert_eq!(r.config_hash.len(), 16);
    }

    // results.csv: one row per run × evaluation, every axis a column, finite values.
    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "run,train.seed,transfer.strategy,status,iteration,env_steps,test_success,test_return"
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 12);
    for row in &rows {
        assert_eq!(row.len(), 8);
        assert_eq!(row[3], "done");
        for v in &row[4..] {
            assert!(v.parse::<f64>().unwrap().is_finite(), "{row:?}");
        }
    }

    // Summary: two cells of two seeds; means are the records' means, inside their CIs;
    // the paired difference against the baseline uses both seeds.
    assert_eq!(rep.cells.len(), 2);
    for c in &rep.cells {
        assert_eq!((c.n, c.failed), (2, 0));
        let mine: Vec<f64> = recs
            .iter()
            .filter(|r| r.cell == c.cell)
            .filter_map(|r| r.success)
            .collect();
        let mean = mine.iter().sum::<f64>() / mine.len() as f64;
        assert!((c.success.0 - mean).abs() < 1e-12);
        assert!(c.success.1 >= 0.0 && c.success.1.is_finite());
        assert!((c.success.0 - c.success.1..=c.success.0 + c.success.1).contains(&mean));
        // Dense rewards: returns differ between seeds, so the interval is a real one.
        let rets: Vec<f64> = recs
            .iter()
            .filter(|r| r.cell == c.cell)
            .filter_map(|r| r.ret)
            .collect();
        let mean = rets.iter().sum::<f64>() / rets.len() as f64;
        let var = rets.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (rets.len() - 1) as f64;
        assert!(var > 0.0, "{}: equal returns {rets:?}", c.cell);
        assert!((c.ret.0 - mean).abs() < 1e-9);
        assert!(
            (c.ret.1 - 12.706 * (var / 2.0).sqrt()).abs() < 1e-9,
            "t-interval of 2 seeds"
        );
        assert!((c.ret.0 - c.ret.1..=c.ret.0 + c.ret.1).contains(&rets[0]));
    }
    let htr = rep
        .cells
        .iter()
        .find(|c| c.cell == "transfer.strategy=htr")
        .unwrap();
    assert_eq!(htr.paired.len(), 1);
    assert_eq!(
        (htr.paired[0].baseline.as_str(), htr.paired[0].n),
        ("transfer.strategy=none", 2)
    );
    let none = rep
        .cells
        .iter()
        .find(|c| c.cell == "transfer.strategy=none")
        .unwrap();
    assert!(
        none.paired.is_empty(),
        "the baseline is not paired with itself"
    );
    for f in [
        "summary.md",
        "summary.csv",
        "curves.png",
        "final.png",
        "grid-spec.json",
    ] {
        assert!(out.join(f).exists(), "{f}");
    }
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("transfer.strategy=htr") && md.contains("Every run"));

    // A rerun skips every finished run and leaves its records as they were.
    let before: Vec<Vec<u8>> = recs
        .iter()
        .map(|r| std::fs::read(out.join("records").join(format!("{}.json", r.id))).unwrap())
        .collect();
    let rep = runner::run(&g, &out, &opts(2, None)).unwrap();
    assert_eq!((rep.done, rep.skipped), (0, 4));
    for (r, b) in recs.iter().zip(&before) {
        let now = std::fs::read(out.join("records").join(format!("{}.json", r.id))).unwrap();
        assert_eq!(&now, b, "{} was rewritten", r.id);
    }

    // An interrupted run (stopped at its iteration-2 checkpoint, no record) is resumed and
    // ends where the uninterrupted one did.
    let out_b = tmp.path().join("b");
    std::fs::create_dir_all(out_b.join("runs")).unwrap();
    let gb = grid_in(&out_b, GRID);
    let spec = &gb.runs[1];
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    pool.install(|| {
        let stop = RunOptions {
            stop_after: Some(2),
            ..RunOptions::default()
        };
        train(&spec.config, &runner::run_dir(&out_b, &spec.id), &stop).unwrap();
    });
    assert_eq!(runner::states(&gb, &out_b).unwrap()[1], State::Resume);
    let rep = runner::run(&gb, &out_b, &opts(1, Some(1))).unwrap();
    assert_eq!(rep.done, 1);
    let resumed = read_all(&out_b).unwrap();
    assert_eq!(resumed.len(), 1);
    assert_eq!(scores(&resumed), scores(&recs[1..2]));
    assert_eq!(resumed[0].curve, recs[1].curve);

    // Merge: the remaining runs from `a` and the resumed one from `b` give `a`'s results.
    let merged = tmp.path().join("merged");
    drat::grid::merge(&[&out_b, &out], &merged, 1).unwrap();
    assert_eq!(scores(&read_all(&merged).unwrap()), scores(&recs));
    assert_eq!(
        std::fs::read_to_string(merged.join("results.csv")).unwrap(),
        csv
    );
}

#[test]
fn a_failing_run_is_recorded_and_the_others_go_on() {
    let tmp = tempfile::tempdir().unwrap();
    // A run whose `drat train` fails: a robot file that does not exist, on one axis value.
    let text = GRID
        .replace("\"transfer.strategy\" = [\"none\", \"htr\"]\n", "")
        .replace("[1, 2]", "[1]")
        .replace("baseline = { \"transfer.strategy\" = \"none\" }\n", "");
    let g = grid_in(tmp.path(), &text);
    assert_eq!(g.runs.len(), 1);
    // Break the run by giving the child a binary that exits with an error.
    let mut o = opts(1, None);
    o.exe = PathBuf::from("/bin/false");
    let rep = runner::run(&g, tmp.path(), &o).unwrap();
    assert_eq!((rep.done, rep.failed), (0, 1));
    let recs = read_all(tmp.path()).unwrap();
    assert_eq!(recs[0].status, Status::Failed);
    assert!(recs[0].error.as_deref().unwrap().contains("exited"));
    assert_eq!(rep.cells[0].failed, 1);
    let md = std::fs::read_to_string(tmp.path().join("summary.md")).unwrap();
    assert!(md.contains("1 run(s) failed"), "{md}");
    // A failed run is tried again on the next invocation.
    assert_eq!(runner::states(&g, tmp.path()).unwrap()[0], State::Failed);
}

#[test]
fn grid_dry_run_lists_runs_and_bad_grids_name_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("grid.toml");
    std::fs::write(&path, GRID).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_drat"))
        .args(["grid", path.to_str().unwrap(), "--dry-run"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("4 runs"), "{text}");
    assert!(text.contains("seed-2__strategy-htr"), "{text}");
    std::fs::write(
        &path,
        GRID.replace("\"train.seed\" = [1, 2]", "\"train.sed\" = [1, 2]"),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_drat"))
        .args(["grid", path.to_str().unwrap(), "--dry-run"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("sed"), "{err}");
}
