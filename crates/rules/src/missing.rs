//! Building elements whose geometry could not be read (`facts.missing_geometry`): a wall
//! whose body did not mesh is not in the footprint, the heights or the storey outlines,
//! so a setback, coverage or height measured without it may pass where the building
//! fails. Such a model's geometric results are `unverifiable`, never `pass`; the result
//! measured without the elements stays in the explanation for the reviewer, and
//! `data_completeness` names them.

use crate::report::{CheckResult, Status, Text};
use zhishen_ifc::MissingGeometry;

/// The results a missing element cannot change: the use checks read the uses and
/// their space areas, never the outline, and `data_completeness` lists the elements.
const NOT_GEOMETRIC: &[&str] = &["data_completeness", "land_use", "declared_main_use"];

/// How many elements an explanation names before it counts the rest.
const NAMED: usize = 5;

/// The first elements of `mg` as `IfcSlab #189 'South roof'`, each with its reason when
/// `reasons`, and how many more there are.
pub(crate) fn names(mg: &[MissingGeometry], reasons: bool) -> Text {
    let one = |g: &MissingGeometry| {
        let mut s = format!("{} #{}", g.ifc_class, g.id);
        if let Some(n) = g.name.as_deref().filter(|n| !n.is_empty()) {
            s.push_str(&format!(" '{n}'"));
        }
        if reasons {
            s.push_str(&format!(" ({})", g.reason));
        }
        s
    };
    let listed: Vec<String> = mg.iter().take(NAMED).map(one).collect();
    let rest = mg.len().saturating_sub(NAMED);
    let (mut zh, mut en) = (listed.join("、"), listed.join(", "));
    if rest > 0 {
        zh.push_str(&format!(" 等, 另有 {rest} 个"));
        en.push_str(&format!(" and {rest} more"));
    }
    Text::new(zh, en)
}

/// Every geometric result that passed or failed becomes `unverifiable` when the
/// model's building elements are missing geometry.
pub(crate) fn unverifiable_on_missing_geometry(checks: &mut [CheckResult], mg: &[MissingGeometry]) {
    if mg.is_empty() {
        return;
    }
    let who = names(mg, false);
    for c in checks.iter_mut() {
        if NOT_GEOMETRIC.contains(&c.id.as_str())
            || !matches!(c.status, Status::Pass | Status::Fail)
        {
            continue;
        }
        let was = c.status.label();
        c.status = Status::Unverifiable;
        c.within_tolerance = false;
        c.explanation = Text::new(
            format!(
                "{} 个建筑构件的几何无法读取 ({}), 不计它们的结果 ({}) 不能作为结论: {}",
                mg.len(),
                who.zh,
                was.zh,
                c.explanation.zh
            ),
            format!(
                "the geometry of {} building elements could not be read ({}); the result without them ({}) cannot stand: {}",
                mg.len(),
                who.en,
                was.en,
                c.explanation.en
            ),
        );
    }
}
