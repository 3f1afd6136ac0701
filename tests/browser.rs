//! The replay page in a real browser (ignored by default; `.ci/run` runs it after installing
//! Debian's `chromium`): headless Chromium with SwiftShader WebGL opens a generated quadruped
//! replay, screenshots it at two times, and the 3-D view must be drawn (not blank) with the
//! robot's orange torso in a different place in the second shot. The shots stay in
//! `target/browser-test/` to be looked at.

use std::path::{Path, PathBuf};
use std::process::Command;

use drat::config::Config;
use drat::env::EnvMaker;
use drat::replay::{self, page, Scripted};

/// The 3-D view's part of a 1280×800 window (left of the 330 px side panel, below the header,
/// above the controls).
const VIEW: (u32, u32, u32, u32) = (0, 40, 940, 750);
/// The top view (side panel).
const TOP: (u32, u32, u32, u32) = (965, 75, 1265, 375);

fn chromium() -> PathBuf {
    for c in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(o) = Command::new("which").arg(c).output() {
            if o.status.success() {
                return PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
            }
        }
    }
    panic!("no chromium on PATH: install Debian's `chromium` (apt-get install -y chromium)");
}

fn screenshot(browser: &Path, page: &Path, hash: &str, png: &Path, profile: &Path) {
    let url = format!("file://{}#{hash}", page.display());
    let o = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--use-angle=swiftshader",
            "--enable-unsafe-swiftshader",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1280,800",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(url)
        .output()
        .expect("chromium runs");
    assert!(
        png.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Distinct colours and the torso's (orange) pixel count and centroid inside `r`.
fn inspect(img: &image::RgbImage, r: (u32, u32, u32, u32)) -> (usize, usize, (f64, f64)) {
    let mut colours = std::collections::HashSet::new();
    let (mut n, mut sx, mut sy) = (0usize, 0.0, 0.0);
    for y in r.1..r.3 {
        for x in r.0..r.2 {
            let p = img.get_pixel(x, y).0;
            colours.insert(p);
            let [red, green, blue] = p.map(i32::from);
            if red > 150 && (60..170).contains(&green) && blue < 100 && red - blue > 110 {
                n += 1;
                sx += f64::from(x);
                sy += f64::from(y);
            }
        }
    }
    let c = if n > 0 {
        (sx / n as f64, sy / n as f64)
    } else {
        (f64::NAN, f64::NAN)
    };
    (colours.len(), n, c)
}

#[test]
#[ignore = "needs chromium; .ci/run installs it and runs this"]
fn replay_page_draws_the_robot_and_it_moves() {
    let browser = chromium();
    let sets = vec!["env.horizon=100".to_string()];
    let cfg =
        Config::from_toml_str_with_sets("[env]\nrobot = \"quadruped\"\n", "test", &sets).unwrap();
    let tasks = EnvMaker::new(&cfg).unwrap().task_set().unwrap().test[..1].to_vec();
    let r = replay::scripted(&cfg, &tasks, 1, Scripted::Trot, 1).unwrap();
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/browser-test");
    std::fs::create_dir_all(&out).unwrap();
    let html = out.join("trot.html");
    page::write(&r, &html).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let mut shots = Vec::new();
    for t in ["0", "4.5"] {
        let png = out.join(format!("trot-t{t}.png"));
        let _ = std::fs::remove_file(&png);
        screenshot(
            &browser,
            &html,
            &format!("t={t}&paused=1&camera=fixed"),
            &png,
            profile.path(),
        );
        shots.push(image::open(&png).unwrap().to_rgb8());
    }
    let (c0, n0, p0) = inspect(&shots[0], VIEW);
    let (c1, n1, p1) = inspect(&shots[1], VIEW);
    assert!(
        c0 > 50 && c1 > 50,
        "3-D view looks blank: {c0} and {c1} colours"
    );
    assert!(
        n0 > 300 && n1 > 300,
        "torso not visible: {n0} and {n1} orange pixels"
    );
    let moved = (p1.0 - p0.0).hypot(p1.1 - p0.1);
    assert!(
        moved > 15.0,
        "torso moved only {moved:.1} px between t = 0 and 4.5 s"
    );
    let (top, _, _) = inspect(&shots[1], TOP);
    assert!(top > 20, "top view looks blank: {top} colours");
    println!(
        "screenshots in {}: torso moved {moved:.0} px",
        out.display()
    );
}
