//! The replay page in a real browser (ignored by default; `.ci/run` runs it after installing
//! Debian's `chromium`): headless Chromium with SwiftShader WebGL opens a generated quadruped
//! replay, screenshots it at two times, and the 3-D view must be drawn (not blank) with the
//! robot's orange torso in a different place in the second shot; an A1 replay must draw its
//! visual meshes (the triangles WebGL drew, read back from the page) in the URDF's orange. The
//! shots stay in `target/browser-test/` to be looked at.

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

/// Headless Chromium on `page#hash` with `what` (`--screenshot=…` or `--dump-dom`).
fn chromium_on(
    browser: &Path,
    page: &Path,
    hash: &str,
    what: &str,
    profile: &Path,
) -> std::process::Output {
    let url = format!("file://{}#{hash}", page.display());
    Command::new(browser)
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
        .arg(what)
        .arg(url)
        .output()
        .expect("chromium runs")
}

fn screenshot(browser: &Path, page: &Path, hash: &str, png: &Path, profile: &Path) {
    let what = format!("--screenshot={}", png.display());
    let o = chromium_on(browser, page, hash, &what, profile);
    assert!(
        png.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Writes `r`'s page as `name` in `target/browser-test/`; returns that folder and the page.
fn write_page(r: &replay::Replay, name: &str) -> (PathBuf, PathBuf) {
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/browser-test");
    std::fs::create_dir_all(&out).unwrap();
    let html = out.join(name);
    page::write(r, &html).unwrap();
    (out, html)
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
    let (out, html) = write_page(&r, "trot.html");
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

/// The page's `<body data-NAME="…">` after it has drawn (`--dump-dom`).
fn body_data(browser: &Path, page: &Path, hash: &str, name: &str, profile: &Path) -> String {
    let o = chromium_on(browser, page, hash, "--dump-dom", profile);
    let dom = String::from_utf8_lossy(&o.stdout);
    let body = dom.find("<body").map(|at| &dom[at..]).unwrap_or("");
    let body = &body[..body.find('>').unwrap_or(0)];
    let key = format!("data-{name}=\"");
    let at = body
        .find(&key)
        .unwrap_or_else(|| panic!("no {key} on the page's body: `{body}`"))
        + key.len();
    body[at..at + body[at..].find('"').unwrap()].to_string()
}

#[test]
#[ignore = "needs chromium; .ci/run installs it and runs this"]
fn the_a1_replay_draws_its_meshes() {
    let browser = chromium();
    let cfg = Config::from_toml_str("[env]\nrobot = \"a1\"\nhorizon = 100\n", "test").unwrap();
    let tasks = EnvMaker::new(&cfg).unwrap().task_set().unwrap().test[..1].to_vec();
    let r = replay::scripted(&cfg, &tasks, 1, Scripted::Trot, 1).unwrap();
    // Triangles the meshes add, counting each use (4 legs share meshes).
    let mesh_triangles: usize = r
        .bodies
        .iter()
        .flat_map(|b| &b.visuals)
        .filter_map(|v| v.mesh.as_ref())
        .map(|m| r.meshes[m].mesh.triangles.len())
        .sum();
    let (out, html) = write_page(&r, "a1-trot.html");
    let profile = tempfile::tempdir().unwrap();
    let mut drawn = Vec::new();
    for draw in ["visual", "collision"] {
        let hash = format!("t=1.5&paused=1&camera=follow&draw={draw}");
        let tris: usize = body_data(&browser, &html, &hash, "triangles", profile.path())
            .parse()
            .unwrap();
        assert_eq!(
            body_data(&browser, &html, &hash, "draw", profile.path()),
            draw
        );
        let png = out.join(format!("a1-{draw}.png"));
        let _ = std::fs::remove_file(&png);
        screenshot(&browser, &html, &hash, &png, profile.path());
        let (colours, orange, _) = inspect(&image::open(&png).unwrap().to_rgb8(), VIEW);
        assert!(
            colours > 50,
            "{draw}: 3-D view looks blank ({colours} colours)"
        );
        assert!(
            orange > 300,
            "{draw}: robot not visible ({orange} orange pixels)"
        );
        drawn.push(tris);
    }
    assert!(
        drawn[0] >= mesh_triangles,
        "with meshes WebGL drew {} triangles, the meshes alone have {mesh_triangles}",
        drawn[0]
    );
    assert!(
        drawn[1] < mesh_triangles / 4,
        "collision shapes drew {} triangles, as many as the meshes ({mesh_triangles})",
        drawn[1]
    );
    println!(
        "A1 shots in {}: {} triangles with meshes, {} with collision shapes",
        out.display(),
        drawn[0],
        drawn[1]
    );
}
