//! The IDS report `zhishen.ids-report/1` (JSON) and its HTML page. Every failing entity
//! is named by GlobalId, class and Name with the reason, Chinese first. All text in
//! the HTML is escaped.

use crate::facets::Text;
use crate::schema::IfcVersion;
use crate::spec::{Cardinality, FacetType, Info, Specification};
use serde::Serialize;
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    NotApplicable,
}

impl Status {
    pub fn label(self) -> Text {
        match self {
            Status::Pass => Text::new("通过", "pass"),
            Status::Fail => Text::new("不通过", "fail"),
            Status::NotApplicable => Text::new("不适用", "not applicable"),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct EntityRef {
    /// `#id` in the STEP file.
    pub step_id: u64,
    pub line: usize,
    pub class: String,
    pub global_id: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub entity: EntityRef,
    pub reason: Text,
}

#[derive(Debug, Clone, Serialize)]
pub struct RequirementResult {
    pub facet: FacetType,
    pub cardinality: Cardinality,
    pub description: Text,
    pub instructions: Option<String>,
    /// Line of the facet in the IDS.
    pub line: u32,
    pub status: Status,
    /// Applicable entities checked.
    pub checked: usize,
    pub failures: Vec<Failure>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SpecResult {
    pub name: String,
    pub identifier: Option<String>,
    pub description: Option<String>,
    pub instructions: Option<String>,
    pub ifc_versions: Vec<IfcVersion>,
    pub cardinality: Cardinality,
    pub line: u32,
    pub status: Status,
    pub applicable: usize,
    /// Why the specification as a whole failed or does not apply.
    pub message: Option<Text>,
    pub requirements: Vec<RequirementResult>,
    /// For a prohibited specification: the entities that should not be there.
    pub prohibited: Vec<EntityRef>,
}

impl SpecResult {
    pub fn new(s: &Specification) -> SpecResult {
        SpecResult {
            name: s.name.clone(),
            identifier: s.identifier.clone(),
            description: s.description.clone(),
            instructions: s.instructions.clone(),
            ifc_versions: s.versions.clone(),
            cardinality: s.cardinality,
            line: s.line,
            status: Status::Pass,
            applicable: 0,
            message: None,
            requirements: Vec::new(),
            prohibited: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ModelInfo {
    pub file: String,
    pub schema: IfcVersion,
    pub entities: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct IdsInfo {
    pub file: String,
    pub info: Info,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub specifications: usize,
    pub pass: usize,
    pub fail: usize,
    pub not_applicable: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct IdsReport {
    pub format: &'static str,
    pub model: ModelInfo,
    pub ids: IdsInfo,
    pub summary: Summary,
    pub specifications: Vec<SpecResult>,
}

impl IdsReport {
    /// 0 when no specification fails, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        u8::from(self.summary.fail > 0)
    }

    pub fn to_json(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).unwrap_or_default();
        v.push(b'\n');
        v
    }
}

/// HTML-escapes text for element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn bi(t: &Text) -> String {
    format!("{}<br><span class=en>{}</span>", esc(&t.zh), esc(&t.en))
}

/// Rows shown per requirement; the JSON keeps them all.
const MAX_ROWS: usize = 500;

fn entity_cells(e: &EntityRef) -> String {
    format!(
        "<td><code>{}</code></td><td>{}</td><td>{}</td><td>#{} (行 line {})</td>",
        esc(e.global_id.as_deref().unwrap_or("—")),
        esc(&e.class),
        esc(e.name.as_deref().unwrap_or("—")),
        e.step_id,
        e.line
    )
}

fn spec_html(h: &mut String, s: &SpecResult) {
    let st = s.status.label();
    let _ = write!(
        h,
        "<section class=\"spec {}\"><h2>{} <span class=badge>{} {}</span></h2>",
        match s.status {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::NotApplicable => "na",
        },
        esc(&s.name),
        esc(&st.zh),
        esc(&st.en)
    );
    if let Some(d) = &s.description {
        let _ = write!(h, "<p>{}</p>", esc(d));
    }
    let _ = write!(
        h,
        "<p>适用对象 applicable: {} · 基数 cardinality: {} {:?}</p>",
        s.applicable,
        s.cardinality.zh(),
        s.cardinality
    );
    if let Some(m) = &s.message {
        let _ = write!(h, "<p class=msg>{}</p>", bi(m));
    }
    if !s.prohibited.is_empty() {
        h.push_str("<table><tr><th>GlobalId</th><th>类型 class</th><th>名称 Name</th><th>实体 entity</th></tr>");
        for e in s.prohibited.iter().take(MAX_ROWS) {
            let _ = write!(h, "<tr>{}</tr>", entity_cells(e));
        }
        h.push_str("</table>");
    }
    for r in &s.requirements {
        let st = r.status.label();
        let _ = write!(
            h,
            "<h3>{} — {} {} ({}/{})</h3>",
            bi(&r.description),
            esc(&st.zh),
            esc(&st.en),
            r.failures.len(),
            r.checked
        );
        if let Some(i) = &r.instructions {
            let _ = write!(h, "<p class=instr>说明 instructions: {}</p>", esc(i));
        }
        if r.failures.is_empty() {
            continue;
        }
        h.push_str("<table><tr><th>GlobalId</th><th>类型 class</th><th>名称 Name</th><th>实体 entity</th><th>原因 reason</th></tr>");
        for f in r.failures.iter().take(MAX_ROWS) {
            let _ = write!(
                h,
                "<tr>{}<td>{}</td></tr>",
                entity_cells(&f.entity),
                bi(&f.reason)
            );
        }
        if r.failures.len() > MAX_ROWS {
            let _ = write!(
                h,
                "<tr><td colspan=5>另有 {0} 个未列出 / {0} more not listed (see JSON)</td></tr>",
                r.failures.len() - MAX_ROWS
            );
        }
        h.push_str("</table>");
    }
    h.push_str("</section>");
}

/// A self-contained bilingual HTML page (no script, no external resources).
pub fn to_html(r: &IdsReport) -> String {
    let mut h = String::new();
    let title = format!("IDS 核查 check: {}", r.ids.info.title);
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=zh-CN><head><meta charset=utf-8><title>{}</title><style>\
body{{font-family:sans-serif;margin:2em;max-width:80em}}table{{border-collapse:collapse;margin:.5em 0}}\
td,th{{border:1px solid #ccc;padding:.2em .5em;font-size:90%;vertical-align:top}}.en{{color:#555}}\
.fail h2 .badge{{background:#c62828}}.pass h2 .badge{{background:#2e7d32}}.na h2 .badge{{background:#777}}\
.badge{{color:#fff;padding:0 .4em;border-radius:.2em;font-size:70%}}</style></head><body>",
        esc(&title)
    );
    let s = &r.summary;
    let _ = write!(
        h,
        "<h1>{}</h1><p>模型 model: <code>{}</code> ({:?}, {} 个实体 entities) · IDS: <code>{}</code></p>\
<p>规范 specifications: {} · 通过 pass {} · 不通过 fail {} · 不适用 n/a {}</p>",
        esc(&title),
        esc(&r.model.file),
        r.model.schema,
        r.model.entities,
        esc(&r.ids.file),
        s.specifications,
        s.pass,
        s.fail,
        s.not_applicable
    );
    for spec in &r.specifications {
        spec_html(&mut h, spec);
    }
    h.push_str("</body></html>\n");
    h
}
