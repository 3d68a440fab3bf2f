//! Findings 审查发现 in the scene: their numbers, the marks they put on elements, and
//! what the viewer needs to go to one (`FindingInfo`: focus box, label point).
//!
//! A finding is a check whose status is fail or unverifiable, numbered from 1 in report
//! order: the same list, in the same order, as `zhishen_app::review::findings_of` records
//! on the case, so `finding:N` means one thing in the CLI, the case page and the viewer.

use crate::frame::{Bounds, Frame};
use crate::scene::SceneBuilder;
use std::collections::{BTreeMap, HashMap};
use zhishen_render::format::{FindingInfo, Focus, Mark};
use zhishen_report::{CheckResult, Report, Status};

/// One finding: its number, the mark it gives, and its check.
pub(crate) struct Numbered<'a> {
    pub number: usize,
    pub mark: Mark,
    pub check: &'a CheckResult,
}

/// The report's findings, numbered.
pub(crate) fn numbered(report: &Report) -> Vec<Numbered<'_>> {
    report
        .checks
        .iter()
        .filter_map(|c| match c.status {
            Status::Fail => Some((Mark::Fail, c)),
            Status::Unverifiable => Some((Mark::Unverifiable, c)),
            Status::Pass | Status::NotApplicable => None,
        })
        .enumerate()
        .map(|(i, (mark, check))| Numbered {
            number: i + 1,
            mark,
            check,
        })
        .collect()
}

/// The stronger of two marks: fail over unverifiable over none.
pub(crate) fn stronger(a: Mark, b: Mark) -> Mark {
    let rank = |m: Mark| match m {
        Mark::None => 0,
        Mark::Unverifiable => 1,
        Mark::Fail => 2,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

/// Mark and finding numbers per element GlobalId.
#[derive(Default)]
pub(crate) struct Marks(HashMap<String, (Mark, Vec<usize>)>);

impl Marks {
    pub fn of(findings: &[Numbered]) -> Marks {
        let mut m: HashMap<String, (Mark, Vec<usize>)> = HashMap::new();
        for f in findings {
            for gid in &f.check.elements {
                let e = m.entry(gid.clone()).or_insert((Mark::None, Vec::new()));
                e.0 = stronger(e.0, f.mark);
                if !e.1.contains(&f.number) {
                    e.1.push(f.number);
                }
            }
        }
        Marks(m)
    }

    pub fn get(&self, global_id: &str) -> (Mark, Vec<usize>) {
        self.0.get(global_id).cloned().unwrap_or_default()
    }
}

/// What `infos` needs besides the findings.
pub(crate) struct InfoCtx<'a> {
    pub frame: &'a Frame,
    pub scene: &'a SceneBuilder,
    /// Local box of every building element drawn.
    pub building: Option<Bounds>,
    /// Label points by finding number (from the evidence).
    pub labels: &'a BTreeMap<usize, [f32; 3]>,
}

/// One `FindingInfo` per finding. The focus is the box of everything drawn for it (its
/// evidence and the elements it names); failing that, its `elements_bbox`; failing
/// that, the whole building.
pub(crate) fn infos(findings: &[Numbered], ctx: &InfoCtx) -> Vec<FindingInfo> {
    let mut drawn: HashMap<usize, Bounds> = HashMap::new();
    for (i, n) in ctx.scene.nodes.iter().enumerate() {
        let Some(b) = ctx.scene.node_bounds(i) else {
            continue;
        };
        for f in &n.info.findings {
            let e = drawn.entry(*f).or_insert(b);
            *e = e.union(b);
        }
    }
    findings
        .iter()
        .map(|f| {
            let c = f.check;
            let focus = drawn
                .get(&f.number)
                .copied()
                .or_else(|| c.elements_bbox.and_then(|b| model_box(ctx.frame, b)))
                .or(ctx.building)
                .map(|b| Focus {
                    min: b.min,
                    max: b.max,
                });
            FindingInfo {
                number: f.number,
                check: c.id.clone(),
                mark: f.mark,
                title_zh: c.title.zh.clone(),
                title_en: c.title.en.clone(),
                measured: c.measured,
                limit: c.limit,
                unit: serde_json::to_value(c.unit)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                explanation_zh: c.explanation.zh.clone(),
                explanation_en: c.explanation.en.clone(),
                elements: c.elements.clone(),
                focus,
                label_at: ctx.labels.get(&f.number).copied(),
            }
        })
        .collect()
}

/// A box in model coordinates `[minx, miny, minz, maxx, maxy, maxz]` as a local box.
fn model_box(frame: &Frame, b: [f64; 6]) -> Option<Bounds> {
    if !b.iter().all(|v| v.is_finite()) {
        return None;
    }
    let mut out: Option<Bounds> = None;
    for x in [b[0], b[3]] {
        for y in [b[1], b[4]] {
            for z in [b[2], b[5]] {
                let s = frame.site_of_model([x, y, z]);
                let p = frame.local(s[0], s[1], s[2]).map(|v| v as f32);
                out = Bounds::merge(out, Some(Bounds::of(p, p)));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_wins_over_unverifiable() {
        assert_eq!(stronger(Mark::Unverifiable, Mark::Fail), Mark::Fail);
        assert_eq!(stronger(Mark::Fail, Mark::Unverifiable), Mark::Fail);
        assert_eq!(stronger(Mark::None, Mark::Unverifiable), Mark::Unverifiable);
        assert_eq!(stronger(Mark::Unverifiable, Mark::None), Mark::Unverifiable);
    }
}
