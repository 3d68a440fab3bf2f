//! Road widths 道路宽度 when the road red line 道路红线 comes without a width attribute,
//! as it does from CAD. The setback from a road depends on its width, and a missing
//! width makes that check unverifiable; CAD drawings carry the width elsewhere — in
//! `site.toml` (`width_m`), in a layer or file name such as `道路红线-40m`, or in a
//! TEXT/MTEXT label such as `40m` or `红线宽40米` beside the line. Each width found is
//! recorded with where it came from ([`WidthSource`]) so `site info` can say so, and a
//! width is never guessed: no source, or labels that disagree, leave it missing.

use crate::model::{Feature, Finding, LayerPlace};
use geo::{Distance, Euclidean, Geometry, Point};
use rstar::primitives::GeomWithData;
use rstar::{RTree, AABB};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Where a road's width came from, in the order they are tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WidthSource {
    /// The feature's own width attribute (`道路宽度`, `DLKD`, …).
    Attribute,
    /// `width_m` of the layer's table in `site.toml`.
    SiteToml,
    /// A DXF layer name or the file stem carrying the width (`道路红线-40m`).
    LayerName,
    /// A DXF TEXT/MTEXT label near the line (`40m`, `红线宽40米`).
    DxfLabel,
}

impl WidthSource {
    pub fn as_str(self) -> &'static str {
        match self {
            WidthSource::Attribute => "attribute",
            WidthSource::SiteToml => "site_toml",
            WidthSource::LayerName => "layer_name",
            WidthSource::DxfLabel => "dxf_label",
        }
    }
}

impl std::fmt::Display for WidthSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A label counts for a line within 1.5 × its text height of it, and at least within
/// this distance (m).
pub const LABEL_REACH_M: f64 = 5.0;

/// How far a label of text height `height` (drawing units, metres here) reaches.
pub fn reach(height: Option<f64>) -> f64 {
    height
        .filter(|h| h.is_finite())
        .map_or(LABEL_REACH_M, |h| (1.5 * h).max(LABEL_REACH_M))
}

/// The text height in an OGR style string, e.g. `LABEL(f:"Arial",t:"40m",s:6g)` → 6:
/// the `s:` parameter of the LABEL tool in ground units (`g`); `None` otherwise.
pub fn label_height(style: &str) -> Option<f64> {
    let label = &style[style.find("LABEL(")? + 6..];
    let label = &label[..label.find(')').unwrap_or(label.len())];
    // Parameters are comma-separated; a quoted text may hold commas, so look for ",s:".
    let at = if label.starts_with("s:") {
        0
    } else {
        label.find(",s:")? + 1
    };
    let value = &label[at + 2..];
    let end = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(value.len());
    if !value[end..].starts_with('g') {
        return None;
    }
    value[..end].parse().ok().filter(|h: &f64| *h > 0.0)
}

/// Labels this much nearer than another are the nearer one; within it, equally near (m).
pub const LABEL_TIE_M: f64 = 0.05;

/// Widths accepted from a name or label: the `width` range of `ranges.rs`, (0, 500) m.
const MAX_WIDTH_M: f64 = 500.0;

/// The one width a text states: numbers followed by `m`, `M` or `米` (not `mm`), e.g.
/// `40m`, `40 米`, `红线宽40.5米`, `道路红线-40m`. `None` when there is none, when it is
/// outside (0, 500) m, or when the text names two different widths.
pub fn width_in_text(text: &str) -> Option<f64> {
    let chars: Vec<char> = text.chars().collect();
    let mut found: Option<f64> = None;
    let mut i = 0;
    while i < chars.len() {
        let starts_number = chars[i].is_ascii_digit()
            && (i == 0 || !(chars[i - 1].is_ascii_digit() || chars[i - 1] == '.'));
        if !starts_number {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
            i += 1;
        }
        let number: String = chars[start..i].iter().collect();
        let mut j = i;
        while j < chars.len() && chars[j] == ' ' {
            j += 1;
        }
        let unit = match chars.get(j) {
            Some('米') => true,
            Some('m' | 'M') => !chars.get(j + 1).is_some_and(|c| c.is_ascii_alphabetic()),
            _ => false,
        };
        let Some(w) = unit.then(|| number.parse::<f64>().ok()).flatten() else {
            continue;
        };
        if !(w > 0.0 && w < MAX_WIDTH_M) {
            return None;
        }
        match found {
            Some(f) if f != w => return None,
            _ => found = Some(w),
        }
    }
    found
}

/// A DXF TEXT/MTEXT entity that states a width, in site coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub at: Point<f64>,
    pub text: String,
    pub width: f64,
    /// Distance from a line within which the label counts for it ([`reach`]).
    pub reach: f64,
}

/// What the labels near one road say.
#[derive(Debug, Clone, PartialEq)]
pub enum LabelPick {
    /// The nearest label's width and its distance from the line.
    Width { width: f64, distance: f64 },
    /// The nearest labels, equally near, state different widths (each text once).
    Ambiguous(Vec<String>),
    /// No label within its reach.
    None,
}

/// The width the labels near `road` give it: the nearest label within its reach
/// wins; labels within [`LABEL_TIE_M`] of the nearest that state a
/// different width make it ambiguous.
pub fn pick<'a>(road: &Geometry<f64>, labels: impl IntoIterator<Item = &'a Label>) -> LabelPick {
    let mut near: Vec<(f64, &Label)> = labels
        .into_iter()
        .map(|l| (Euclidean.distance(&Geometry::Point(l.at), road), l))
        .filter(|(d, l)| *d <= l.reach)
        .collect();
    near.sort_by(|a, b| a.0.total_cmp(&b.0));
    let Some(&(nearest, first)) = near.first() else {
        return LabelPick::None;
    };
    let tied: Vec<&Label> = near
        .iter()
        .take_while(|(d, _)| *d - nearest <= LABEL_TIE_M)
        .map(|(_, l)| *l)
        .collect();
    if tied.iter().any(|l| l.width != first.width) {
        let mut texts: Vec<String> = tied.iter().map(|l| l.text.clone()).collect();
        texts.sort();
        texts.dedup();
        return LabelPick::Ambiguous(texts);
    }
    LabelPick::Width {
        width: first.width,
        distance: nearest,
    }
}

/// The layer whose roads [`settle`] gives widths.
pub(crate) struct RoadLayer<'a> {
    pub here: &'a LayerPlace<'a>,
    /// `width_m` of the layer's table in `site.toml`.
    pub width_m: Option<f64>,
    /// A DXF source: its TEXT/MTEXT entities are labels, and `name` is the DXF layer.
    pub dxf: bool,
    /// Text heights of the DXF's labels by fid (from their OGR style strings).
    pub heights: &'a BTreeMap<u64, f64>,
}

/// Gives the roads read into `features[before..]` a width where they have none, in the
/// order of [`WidthSource`]; takes DXF text entities out of the features (a label is
/// not a road); and reports every road still without a width as `missing_attribute`,
/// except one whose width attribute was refused (`value_out_of_range` says so already,
/// and no other source replaces a width the data gave).
pub(crate) fn settle(
    layer: &RoadLayer<'_>,
    features: &mut Vec<Feature>,
    before: usize,
    findings: &mut Vec<Finding>,
) {
    let mut labels = Vec::new();
    if layer.dxf {
        let read = features.split_off(before);
        for f in read {
            let Some((at, text)) = text_point(&f) else {
                features.push(f);
                continue;
            };
            if let Some(width) = width_in_text(&text) {
                let height = f.fid.and_then(|fid| layer.heights.get(&fid)).copied();
                labels.push(Label {
                    at,
                    text,
                    width,
                    reach: reach(height),
                });
            }
        }
    }
    let labels = Labels::new(labels);
    let file = layer.here.file.display().to_string();
    let refused: BTreeSet<Option<u64>> = findings
        .iter()
        .filter(|x| {
            x.code == "value_out_of_range"
                && x.field.as_deref() == Some("width")
                && x.layer.as_deref() == Some(layer.here.layer)
                && x.file == file
        })
        .map(|x| x.fid)
        .collect();
    let stem = layer
        .here
        .file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned());
    for f in &mut features[before..] {
        if f.attrs.contains_key("width") {
            f.width_source = Some(WidthSource::Attribute);
            continue;
        }
        if refused.contains(&f.fid) {
            continue;
        }
        let named = layer
            .dxf
            .then(|| f.text("name").and_then(width_in_text))
            .flatten()
            .or_else(|| stem.as_deref().and_then(width_in_text));
        let found = match (layer.width_m, named) {
            (Some(w), _) => Some((w, WidthSource::SiteToml)),
            (None, Some(w)) => Some((w, WidthSource::LayerName)),
            (None, None) => from_labels(layer.here, f, &labels, findings),
        };
        match found {
            Some((w, source)) => {
                f.attrs.insert("width".into(), w.into());
                f.width_source = Some(source);
            }
            None => findings.push(missing_width(layer.here, f)),
        }
    }
}

/// A layer's labels with an R-tree of their points, so each road measures only the
/// labels that can reach it.
struct Labels {
    labels: Vec<Label>,
    tree: RTree<GeomWithData<[f64; 2], usize>>,
    max_reach: f64,
}

impl Labels {
    fn new(labels: Vec<Label>) -> Labels {
        let tree = RTree::bulk_load(
            labels
                .iter()
                .enumerate()
                .map(|(i, l)| GeomWithData::new([l.at.x(), l.at.y()], i))
                .collect(),
        );
        let max_reach = labels.iter().map(|l| l.reach).fold(0.0, f64::max);
        Labels {
            labels,
            tree,
            max_reach,
        }
    }

    /// The labels whose points lie within the longest reach of `bbox`.
    fn near(&self, bbox: Option<[f64; 4]>) -> impl Iterator<Item = &Label> + '_ {
        let r = self.max_reach;
        let hits: Vec<usize> = match bbox {
            Some(b) if !self.labels.is_empty() => {
                let env = AABB::from_corners([b[0] - r, b[1] - r], [b[2] + r, b[3] + r]);
                self.tree.locate_in_envelope(&env).map(|e| e.data).collect()
            }
            _ => Vec::new(),
        };
        hits.into_iter().map(|i| &self.labels[i])
    }
}

/// A DXF TEXT/MTEXT entity: a point with a non-empty `Text` field.
fn text_point(f: &Feature) -> Option<(Point<f64>, String)> {
    let Geometry::Point(at) = f.geometry else {
        return None;
    };
    let text = f.extra.get("Text")?.as_str()?.trim();
    (!text.is_empty()).then(|| (at, text.to_string()))
}

/// The width the labels near `f` give it; an `ambiguous_width_label` warning when they
/// disagree.
fn from_labels(
    here: &LayerPlace<'_>,
    f: &Feature,
    labels: &Labels,
    findings: &mut Vec<Finding>,
) -> Option<(f64, WidthSource)> {
    match pick(&f.geometry, labels.near(f.bbox)) {
        LabelPick::Width { width, .. } => Some((width, WidthSource::DxfLabel)),
        LabelPick::Ambiguous(texts) => {
            findings.push(here.warn(
                "ambiguous_width_label",
                f.fid,
                Some("width"),
                format!(
                    "道路宽度标注不一致 road {}: labels equally near state different widths ({}); no width taken",
                    f.label(),
                    texts.join(", ")
                ),
            ));
            None
        }
        LabelPick::None => None,
    }
}

fn missing_width(here: &LayerPlace<'_>, f: &Feature) -> Finding {
    let label = f
        .id()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("fid {}", f.fid.unwrap_or(0)));
    here.error(
        "missing_attribute",
        f.fid,
        Some("width"),
        format!(
            "road_red_line {label} has no 'width' (map a source field to it in site.toml, \
             set width_m for the layer, name the layer like 道路红线-40m, or label the line \
             in the DXF, e.g. 40m)"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{line_string, Geometry};

    #[test]
    fn widths_are_read_from_labels_and_names() {
        assert_eq!(width_in_text("40m"), Some(40.0));
        assert_eq!(width_in_text("40米"), Some(40.0));
        assert_eq!(width_in_text("红线宽24米"), Some(24.0));
        assert_eq!(width_in_text("道路红线-30m"), Some(30.0));
        assert_eq!(width_in_text("W = 12.5 M"), Some(12.5));
        assert_eq!(width_in_text("40m 40米"), Some(40.0));
    }

    #[test]
    fn texts_without_one_plausible_width_give_none() {
        assert_eq!(width_in_text("解放路"), None);
        assert_eq!(width_in_text("40"), None);
        assert_eq!(width_in_text("K0+100"), None);
        assert_eq!(width_in_text("600mm"), None);
        assert_eq!(width_in_text("40m/24m"), None);
        assert_eq!(width_in_text("0m"), None);
        assert_eq!(width_in_text("900m"), None);
        assert_eq!(width_in_text("road_red_line"), None);
    }

    fn label(x: f64, y: f64, width: f64) -> Label {
        Label {
            at: Point::new(x, y),
            text: format!("{width}m"),
            width,
            reach: LABEL_REACH_M,
        }
    }

    #[test]
    fn text_heights_come_from_the_label_style_and_widen_the_reach() {
        let style = r#"LABEL(f:"Arial",t:"40m",p:1,s:6g,c:#000000)"#;
        assert_eq!(label_height(style), Some(6.0));
        assert_eq!(label_height(r#"LABEL(s:2.5g,t:"a,s:9g")"#), Some(2.5));
        // Points, not ground units; no LABEL tool; no size.
        assert_eq!(label_height(r#"LABEL(f:"Arial",t:"40m",s:12pt)"#), None);
        assert_eq!(label_height("PEN(c:#ff0000)"), None);
        assert_eq!(label_height(r#"LABEL(t:"40m")"#), None);
        // 1.5 × 6 = 9 m; 1.5 × 2.5 = 3.75 m is below the 5 m floor.
        assert_eq!(reach(Some(6.0)), 9.0);
        assert_eq!(reach(Some(2.5)), 5.0);
        assert_eq!(reach(None), 5.0);
        let road = Geometry::LineString(line_string![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0)]);
        let tall = Label {
            reach: reach(Some(6.0)),
            ..label(50.0, 8.0, 40.0)
        };
        assert!(matches!(pick(&road, &[tall]), LabelPick::Width { width, .. } if width == 40.0));
    }

    #[test]
    fn the_nearest_label_within_reach_wins() {
        let road = Geometry::LineString(line_string![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0)]);
        // 3 m and 4 m from the line: the 3 m one.
        let labels = [label(50.0, 4.0, 24.0), label(20.0, -3.0, 40.0)];
        assert_eq!(
            pick(&road, &labels),
            LabelPick::Width {
                width: 40.0,
                distance: 3.0
            }
        );
        // 5.5 m away: out of reach.
        assert_eq!(pick(&road, &[label(50.0, 5.5, 40.0)]), LabelPick::None);
    }

    #[test]
    fn equally_near_labels_that_disagree_are_ambiguous() {
        let road = Geometry::LineString(line_string![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0)]);
        let labels = [label(10.0, 2.0, 40.0), label(90.0, -2.02, 24.0)];
        assert_eq!(
            pick(&road, &labels),
            LabelPick::Ambiguous(vec!["24m".into(), "40m".into()])
        );
        // Equally near and agreeing: that width.
        let agree = [label(10.0, 2.0, 40.0), label(90.0, -2.0, 40.0)];
        assert!(matches!(
            pick(&road, &agree),
            LabelPick::Width { width, .. } if width == 40.0
        ));
    }
}
