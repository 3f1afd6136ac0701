//! What robot files as people bring them need and other simulators tolerate: XML text with a
//! byte-order mark or trailing NULs, and URDFs that state no actuator efforts at all. Both
//! readers (`urdf.rs`, `mjcf/`) use it.

use super::robot::{JointKind, RobotModel};

/// The text of an XML file without what other readers tolerate and roxmltree does not: a
/// leading byte-order mark and trailing NULs or whitespace after the root element.
pub(crate) fn clean_xml_text(text: &str) -> &str {
    text.trim_start_matches('\u{feff}')
        .trim_end_matches(|c: char| c == '\0' || c.is_whitespace())
}

/// A file with hinges but no `<limit effort>` attribute anywhere (e.g. PyBullet's Mini
/// Cheetah; an explicit `effort="0"` still means "not actuated"): every hinge gets the torque
/// that holds the whole robot's weight on a 0.25 m lever, with a note.
pub(super) fn default_efforts(model: &mut RobotModel) {
    let hinge = |k: JointKind| matches!(k, JointKind::Revolute | JointKind::Continuous);
    if model.joints.iter().any(|j| j.effort > 0.0) || !model.joints.iter().any(|j| hinge(j.kind)) {
        return;
    }
    let effort = 9.81 * model.total_mass_kg() * 0.25;
    if !(effort.is_finite() && effort > 0.0) {
        return;
    }
    for j in model.joints.iter_mut().filter(|j| hinge(j.kind)) {
        j.effort = effort;
    }
    model.notes.push(format!(
        "no joint has <limit effort>: every hinge gets {effort:.1} N·m (the robot's weight on a 0.25 m lever)"
    ));
}
