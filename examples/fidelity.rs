//! Prints the fidelity tables of docs/robots.md: drat against MuJoCo on Gymnasium's ant.xml
//! and half_cheetah.xml, from the reference `scripts/anchors/mjcf-fidelity` wrote.
//!   cargo run --release --example fidelity [tests/data/mujoco_fidelity.json]

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tests/data/mujoco_fidelity.json".into());
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let reference: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
    for robot in ["ant", "half_cheetah"] {
        println!("{}", drat::diagnostics::fidelity::table(robot, &reference)?);
    }
    Ok(())
}
