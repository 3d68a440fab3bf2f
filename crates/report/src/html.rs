//! HTML rendering of the review report (审查报告): one self-contained page (inline CSS, inline
//! SVG, no scripts, no external resources), Chinese first with English beside it.
//!
//! The page holds the summary, the inputs with their hashes, the building facts, the parcel
//! conditions (规划条件), a table of every check and a plan view (总平面示意) drawn from the
//! site geometry with each violation marked in red. Documented in `docs/report-html-bcf.md`.

use crate::report::{CheckResult, Comparison, ContextFeature, FileRef, Report, Status, Text, Unit};
use serde_json::Value;
use std::fmt::Write as _;

/// Colour of violations in the plan view; the legend and tests refer to it.
pub const VIOLATION_RED: &str = "#e00000";

/// Width and height limit of the plan view in CSS pixels.
const PLAN_MAX_PX: f64 = 800.0;

// ---------------------------------------------------------------------------------------------
// Text helpers shared with the BCF writer.

/// Escapes text for HTML and XML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML 1.0; drop them rather than emit an
            // unparsable file.
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' && c != '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// A number with a fixed count of decimals, or an em dash when it is not finite.
pub(crate) fn fixed(v: f64, decimals: usize) -> String {
    if v.is_finite() {
        format!("{v:.decimals$}")
    } else {
        "—".to_string()
    }
}

/// A number with at most `decimals` decimals and no trailing zeros (limits read from
/// profiles: `10`, `2.5`).
pub(crate) fn trimmed(v: f64, decimals: usize) -> String {
    let s = fixed(v, decimals);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Unit symbol after a number ("" for ratios and counts).
pub(crate) fn unit_symbol(unit: Unit) -> &'static str {
    match unit {
        Unit::M => " m",
        Unit::M2 => " m²",
        Unit::Ratio | Unit::Count => "",
    }
}

fn unit_name(unit: Unit) -> Text {
    match unit {
        Unit::M => Text::new("米", "m"),
        Unit::M2 => Text::new("平方米", "m²"),
        Unit::Ratio => Text::new("比值", "ratio"),
        Unit::Count => Text::new("项", "count"),
    }
}

/// A measured value in the report's precision: distances and areas 2 decimals, ratios 3
/// decimals plus the percentage, counts as integers.
pub(crate) fn value_text(v: f64, unit: Unit) -> String {
    match unit {
        Unit::M | Unit::M2 => format!("{}{}", fixed(v, 2), unit_symbol(unit)),
        Unit::Ratio => format!("{} ({}%)", fixed(v, 3), fixed(v * 100.0, 1)),
        Unit::Count => fixed(v, 0),
    }
}

/// A limit as it is written in the rules: no trailing zeros (`10 m`, `2.5 (250%)`).
pub(crate) fn limit_value_text(v: f64, unit: Unit) -> String {
    match unit {
        Unit::M | Unit::M2 => format!("{}{}", trimmed(v, 2), unit_symbol(unit)),
        Unit::Ratio => format!("{} ({}%)", trimmed(v, 3), trimmed(v * 100.0, 1)),
        Unit::Count => fixed(v, 0),
    }
}

/// `总建筑面积 gfa 12000 m²; 建筑高度 height 45 m; …` for the inputs table.
fn declared_text(d: &crate::report::Declared) -> String {
    let mut parts = Vec::new();
    let mut num = |zh: &str, en: &str, v: Option<f64>, unit: &str| {
        if let Some(v) = v {
            parts.push(format!("{zh} {en} {}{unit}", trimmed(v, 2)));
        }
    };
    num("总建筑面积", "GFA", d.gfa_m2, " m²");
    num("计容建筑面积", "FAR area", d.far_area_m2, " m²");
    num("建筑高度", "height", d.height_m, " m");
    num(
        "地上层数",
        "storeys above",
        d.storeys_above.map(f64::from),
        "",
    );
    num(
        "地下层数",
        "storeys below",
        d.storeys_below.map(f64::from),
        "",
    );
    num("基底面积", "footprint", d.footprint_m2, " m²");
    if let Some(u) = &d.main_use {
        parts.push(format!("主要用途 main use {u}"));
    }
    parts.join("; ")
}

/// The limit with its comparison sign, e.g. `≥ 10 m`.
pub(crate) fn limit_text(c: &CheckResult) -> Option<String> {
    let limit = c.limit?;
    let sign = match c.comparison {
        Some(Comparison::AtLeast) => "≥ ",
        Some(Comparison::AtMost) => "≤ ",
        Some(Comparison::Matches) => "= ",
        None => "",
    };
    Some(format!("{sign}{}", limit_value_text(limit, c.unit)))
}

/// The short violation label drawn on the plan and used in BCF titles, e.g.
/// `4.00 m < 10 m` (a setback below its minimum) or `2.650 (265.0%) > 2.5 (250%)`.
pub(crate) fn measured_vs_limit(c: &CheckResult) -> Option<String> {
    let m = c.measured?;
    let measured = value_text(m, c.unit);
    let Some(limit) = c.limit else {
        return Some(measured);
    };
    let sign = match (c.comparison, c.status) {
        (Some(Comparison::AtLeast), Status::Fail) => "<",
        (Some(Comparison::AtMost), Status::Fail) => ">",
        (Some(Comparison::AtLeast), _) => "≥",
        (Some(Comparison::AtMost), _) => "≤",
        (Some(Comparison::Matches), Status::Fail) => "≠",
        (Some(Comparison::Matches), _) => "=",
        (None, _) => "/",
    };
    Some(format!(
        "{measured} {sign} {}",
        limit_value_text(limit, c.unit)
    ))
}

/// The clause line: `GB 50352-2019 §4.3.1 · cn-national@2024.1 (national)`.
pub(crate) fn clause_text(c: &CheckResult) -> Option<String> {
    let cit = c.clause.as_ref()?;
    Some(format!("{} · {} ({})", cit.clause, cit.profile, cit.level))
}

/// The number of a check's finding in the review's digital twin (`zhishen.twin/1`, the
/// viewer's `#f=N`): the checks that failed or could not be verified, numbered from 1 in
/// report order — the order the case records them in. `None` for any other check.
pub fn finding_number(report: &Report, check_id: &str) -> Option<usize> {
    report
        .checks
        .iter()
        .filter(|c| matches!(c.status, Status::Fail | Status::Unverifiable))
        .position(|c| c.id == check_id)
        .map(|i| i + 1)
}

/// The twin link of one finding: `<twin_url>#f=N`.
pub fn twin_finding_url(twin_url: &str, number: usize) -> String {
    format!("{twin_url}#f={number}")
}

/// The model's file name as the report names it (inputs first, then the building).
pub(crate) fn model_name(report: &Report) -> String {
    report
        .inputs
        .model
        .as_ref()
        .map(|m| m.path.clone())
        .unwrap_or_else(|| report.building.file.clone())
}

// ---------------------------------------------------------------------------------------------
// Page.

const CSS: &str = r#"
:root { --pass:#2e7d32; --pass-bg:#e8f5e9; --fail:#b71c1c; --fail-bg:#ffebee;
  --unv:#e65100; --unv-bg:#fff3e0; --na:#616161; --na-bg:#f0f0f0; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Micro Hei","Microsoft YaHei",
  "PingFang SC",system-ui,sans-serif; margin: 24px; color:#212121; background:#fff; line-height:1.45; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 2px solid #e0e0e0; padding-bottom: 4px; }
.en { color:#616161; font-size: 0.85em; font-weight: normal; margin-left: 0.4em; }
.sub { color:#424242; margin: 0; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border: 1px solid #e0e0e0; padding: 4px 6px; text-align: left; vertical-align: top; }
th { background:#fafafa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code, .hash { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
.hash { word-break: break-all; }
td.id { white-space: nowrap; }
.badge { display:inline-block; padding: 1px 8px; border-radius: 10px; font-weight: bold;
  white-space: nowrap; }
.s-pass { color: var(--pass); background: var(--pass-bg); }
.s-fail { color: var(--fail); background: var(--fail-bg); }
.s-unverifiable { color: var(--unv); background: var(--unv-bg); }
.s-not_applicable { color: var(--na); background: var(--na-bg); }
tr.r-fail td { background: #fff8f8; }
tr.r-unverifiable td { background: #fffaf3; }
.summary { display:flex; gap: 12px; flex-wrap: wrap; align-items: stretch; }
.card { border-radius: 8px; padding: 10px 16px; min-width: 130px; }
.card .n { font-size: 28px; font-weight: bold; display:block; }
.overall { font-size: 20px; }
.flag { color:#e65100; font-weight:bold; white-space: nowrap; }
.tol { color:#6a1b9a; white-space: nowrap; }
.plan { border: 1px solid #bdbdbd; background: #fff; max-width: 100%; height: auto; }
.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 6px 18px; font-size: 13px; }
.sw { display:inline-block; width: 22px; height: 12px; vertical-align: middle; margin-right: 4px;
  border: 1px solid #757575; }
footer { margin-top: 32px; color:#757575; font-size: 12px; }
img.snapshot { max-width: 100%; border: 1px solid #ccc; }
figure { margin: 12px 0; }
"#;

/// What the page may link beyond itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HtmlOptions<'a> {
    /// The review's digital twin (`/twin/7`, or an absolute URL): linked from the header,
    /// and every finding to its place in it (`#f=N`, [`finding_number`]). `None`: the page
    /// links nothing (a report saved or e-mailed stands alone).
    pub twin_url: Option<&'a str>,
    /// Snapshots of the twin, embedded as `data:` images (the page stays one file).
    pub pictures: Option<&'a crate::Pictures>,
}

/// Renders the report as one self-contained bilingual HTML page.
pub fn to_html(report: &Report) -> String {
    to_html_with(report, &HtmlOptions::default())
}

/// [`to_html`] with links (the server's report page passes the twin of the review).
pub fn to_html_with(report: &Report, opts: &HtmlOptions<'_>) -> String {
    let mut h = String::with_capacity(32 * 1024);
    let model = model_name(report);
    let parcel = &report.inputs.parcel;
    let parcel_id = if parcel.is_empty() {
        report.parcel.id.as_str()
    } else {
        parcel.as_str()
    };
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\"/>\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n\
         <meta name=\"generator\" content=\"{} {}\"/>\n\
         <title>规划审查报告 Planning review — {} — {}</title>\n<style>{}</style>\n</head>\n<body>\n",
        esc(&report.inputs.tool),
        esc(&report.inputs.tool_version),
        esc(parcel_id),
        esc(&model),
        CSS
    );
    let _ = write!(
        h,
        "<header>\n<h1>规划审查报告<span class=\"en\">Planning review report</span></h1>\n\
         <p class=\"sub\">地块<span class=\"en\">Parcel</span> <b>{}</b>{} · \
         模型<span class=\"en\">Model</span> <b>{}</b></p>\n</header>\n",
        esc(parcel_id),
        report
            .parcel
            .name
            .as_deref()
            .map(|n| format!(" ({})", esc(n)))
            .unwrap_or_default(),
        esc(&model)
    );
    if let Some(url) = opts.twin_url {
        let _ = writeln!(
            h,
            "<p class=\"sub\"><a id=\"twin-link\" href=\"{}\">三维孪生<span class=\"en\">Digital twin</span></a></p>",
            esc(url)
        );
    }
    summary_section(&mut h, report);
    plan_section(&mut h, report, opts.pictures);
    checks_section(&mut h, report, opts.twin_url);
    if let Some(p) = opts.pictures {
        snapshots_section(&mut h, report, p);
    }
    building_section(&mut h, report);
    parcel_section(&mut h, report);
    inputs_section(&mut h, report);
    let _ = write!(
        h,
        "<footer>{} {} · {} · {}</footer>\n</body>\n</html>\n",
        esc(&report.inputs.tool),
        esc(&report.inputs.tool_version),
        esc(&report.schema),
        esc(&report.site_crs)
    );
    h
}

/// `中文<span class="en">English</span>` with both parts escaped.
fn bi(t: &Text) -> String {
    if t.en.is_empty() || t.en == t.zh {
        esc(&t.zh)
    } else {
        format!("{}<span class=\"en\">{}</span>", esc(&t.zh), esc(&t.en))
    }
}

fn bi2(zh: &str, en: &str) -> String {
    format!("{}<span class=\"en\">{}</span>", esc(zh), esc(en))
}

fn status_slug(s: Status) -> &'static str {
    match s {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::Unverifiable => "unverifiable",
        Status::NotApplicable => "not_applicable",
    }
}

fn badge(s: Status) -> String {
    format!(
        "<span class=\"badge s-{}\">{}</span>",
        status_slug(s),
        bi(&s.label())
    )
}

fn summary_section(h: &mut String, report: &Report) {
    let s = &report.summary;
    h.push_str("<section id=\"summary\">\n<h2>结论<span class=\"en\">Summary</span></h2>\n");
    let overall = match s.overall {
        Some(st) => badge(st),
        None => bi2("未汇总", "not summarised"),
    };
    let _ = writeln!(
        h,
        "<p class=\"overall\">总体结论<span class=\"en\">Overall</span>: {overall}</p>"
    );
    h.push_str("<div class=\"summary\">\n");
    for (st, n) in [
        (Status::Pass, s.pass),
        (Status::Fail, s.fail),
        (Status::Unverifiable, s.unverifiable),
        (Status::NotApplicable, s.not_applicable),
    ] {
        let _ = writeln!(
            h,
            "<div class=\"card s-{}\"><span class=\"n\">{n}</span>{}</div>",
            status_slug(st),
            bi(&st.label())
        );
    }
    h.push_str("</div>\n");
    let _ = writeln!(
        h,
        "<p>容差<span class=\"en\">Tolerance</span>: {} m · {}%</p>\n</section>",
        trimmed(report.tolerance.distance_m, 3),
        trimmed(report.tolerance.area_relative * 100.0, 2)
    );
}

fn checks_section(h: &mut String, report: &Report, twin_url: Option<&str>) {
    h.push_str(
        "<section id=\"checks\">\n<h2>审查项<span class=\"en\">Checks</span></h2>\n<table>\n\
         <thead><tr><th>编号<span class=\"en\">ID</span></th><th>审查项<span class=\"en\">Check</span></th>\
         <th>结论<span class=\"en\">Status</span></th><th>实测<span class=\"en\">Measured</span></th>\
         <th>限值<span class=\"en\">Limit</span></th><th>单位<span class=\"en\">Unit</span></th>\
         <th>依据<span class=\"en\">Clause</span></th><th>说明<span class=\"en\">Explanation</span></th></tr></thead>\n<tbody>\n",
    );
    for c in &report.checks {
        let measured = c
            .measured
            .map(|m| esc(&value_text(m, c.unit)))
            .unwrap_or_else(|| "—".into());
        let limit = limit_text(c).map(|l| esc(&l)).unwrap_or_else(|| "—".into());
        let tol = if c.within_tolerance {
            " <span class=\"tol\">容差内<span class=\"en\">within tolerance</span></span>"
        } else {
            ""
        };
        let clause = match &c.clause {
            Some(cit) => {
                let mut s = format!(
                    "{}<br/><code>{}</code> <span class=\"en\">{}</span>",
                    esc(&cit.clause),
                    esc(&cit.profile),
                    esc(&cit.level)
                );
                if cit.unverified {
                    s.push_str(
                        " <span class=\"flag\">未核实<span class=\"en\">unverified</span></span>",
                    );
                }
                s
            }
            None => "—".into(),
        };
        let twin = match (twin_url, finding_number(report, &c.id)) {
            (Some(url), Some(n)) => format!(
                "<br/><a class=\"twin\" href=\"{}\">三维<span class=\"en\">3D</span></a>",
                esc(&twin_finding_url(url, n))
            ),
            _ => String::new(),
        };
        let _ = writeln!(
            h,
            "<tr id=\"check-{id}\" class=\"r-{slug}\"><td class=\"id\"><code>{id}</code>{twin}</td><td>{title}</td>\
             <td>{badge}{tol}</td><td class=\"num\">{measured}</td><td class=\"num\">{limit}</td>\
             <td>{unit}</td><td>{clause}</td><td>{expl}</td></tr>",
            id = esc(&c.id),
            slug = status_slug(c.status),
            title = bi(&c.title),
            badge = badge(c.status),
            unit = bi(&unit_name(c.unit)),
            expl = bi(&c.explanation),
        );
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

fn row(h: &mut String, zh: &str, en: &str, value: &str) {
    let _ = writeln!(h, "<tr><th>{}</th><td>{value}</td></tr>", bi2(zh, en));
}

fn opt_num(v: Option<f64>, decimals: usize, unit: &str) -> String {
    v.map(|x| format!("{}{unit}", fixed(x, decimals)))
        .unwrap_or_else(|| "—".into())
}

fn building_section(h: &mut String, report: &Report) {
    let b = &report.building;
    h.push_str(
        "<section id=\"building\">\n<h2>建筑概况<span class=\"en\">Building facts</span></h2>\n<table>\n",
    );
    row(h, "模型文件", "Model file", &esc(&b.file));
    row(h, "IFC 版本", "Schema", &esc(&b.schema));
    row(
        h,
        "项目 GlobalId",
        "IfcProject GlobalId",
        &b.project_global_id
            .as_deref()
            .map(|g| format!("<code>{}</code>", esc(g)))
            .unwrap_or_else(|| "—".into()),
    );
    row(
        h,
        "定位方式",
        "Placement",
        &format!("{} ({})", esc(&b.placement), esc(&b.placement_accuracy)),
    );
    row(
        h,
        "基底面积",
        "Base area (ground contact)",
        &format!("{} m²", fixed(b.base_area_m2, 2)),
    );
    row(
        h,
        "投影轮廓面积",
        "Footprint area (all above-ground parts)",
        &format!("{} m²", fixed(b.footprint_area_m2, 2)),
    );
    if b.parts.len() > 1 {
        row(h, "分段高度", "Parts by height", &esc(&parts_text(b)));
    }
    let height = match (&b.height_m, &b.height_method) {
        (Some(v), Some(m)) => format!("{} m ({})", fixed(*v, 2), esc(m)),
        (Some(v), None) => format!("{} m", fixed(*v, 2)),
        _ => "—".into(),
    };
    row(h, "建筑高度", "Building height", &height);
    row(
        h,
        "最高点",
        "Highest point",
        &opt_num(b.highest_point_m, 2, " m"),
    );
    row(
        h,
        "最高点绝对高程",
        "Highest point elevation",
        &opt_num(b.highest_point_abs_m, 2, " m"),
    );
    row(h, "室外地坪", "Ground level", &opt_num(b.ground_m, 2, " m"));
    row(
        h,
        "地上/地下层数",
        "Storeys above / below",
        &format!("{} / {}", b.storeys_above, b.storeys_below),
    );
    row(
        h,
        "总建筑面积",
        "Gross floor area",
        &opt_num(b.gfa_m2, 2, " m²"),
    );
    row(h, "计容面积", "FAR area", &opt_num(b.far_area_m2, 2, " m²"));
    row(h, "使用功能", "Uses", &uses_html(b));
    if !b.warnings.is_empty() {
        let w = b
            .warnings
            .iter()
            .map(|w| esc(w))
            .collect::<Vec<_>>()
            .join("<br/>");
        row(h, "提示", "Warnings", &w);
    }
    h.push_str("</table>\n</section>\n");
}

/// The parts by height, `area m² · height` each.
fn parts_text(b: &crate::report::BuildingInfo) -> String {
    let parts: Vec<String> = b
        .parts
        .iter()
        .map(|p| {
            let h = p
                .height_m
                .map_or("—".into(), |v| format!("{} m", fixed(v, 2)));
            format!("{} m² · {h}", fixed(p.area_m2, 2))
        })
        .collect();
    parts.join("; ")
}

/// The building's uses with their terms, sources and areas, one per line (escaped).
fn uses_html(b: &crate::report::BuildingInfo) -> String {
    if b.uses.is_empty() {
        return "—".to_string();
    }
    b.uses
        .iter()
        .map(|u| {
            format!(
                "{} ({}; {}{})",
                esc(&u.category),
                esc(&u.term),
                esc(&u.source),
                u.area_m2
                    .map(|a| format!("; {} m²", fixed(a, 2)))
                    .unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("<br/>")
}

/// A JSON attribute value as plain text (strings without quotes).
fn json_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".into(),
        other => other.to_string(),
    }
}

fn parcel_section(h: &mut String, report: &Report) {
    let p = &report.parcel;
    h.push_str(
        "<section id=\"parcel\">\n<h2>规划条件<span class=\"en\">Parcel conditions</span></h2>\n<table>\n",
    );
    row(h, "地块编号", "Parcel id", &esc(&p.id));
    if let Some(n) = &p.name {
        row(h, "名称", "Name", &esc(n));
    }
    row(
        h,
        "用地性质",
        "Land use",
        &p.land_use.as_deref().map(esc).unwrap_or_else(|| "—".into()),
    );
    row(
        h,
        "用地面积",
        "Parcel area",
        &format!("{} m²", fixed(p.area_m2, 2)),
    );
    for (k, v) in &p.conditions {
        let _ = writeln!(
            h,
            "<tr><th><code>{}</code></th><td>{}</td></tr>",
            esc(k),
            esc(&json_text(v))
        );
    }
    row(
        h,
        "来源",
        "Source",
        &format!("<code>{}</code>", esc(&p.file)),
    );
    h.push_str("</table>\n</section>\n");
}

fn file_row(h: &mut String, role: &str, f: &FileRef) {
    let _ = writeln!(
        h,
        "<tr><td>{role}</td><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"hash\">{}</td></tr>",
        esc(&f.path),
        f.bytes,
        esc(&f.sha256)
    );
}

fn inputs_section(h: &mut String, report: &Report) {
    let i = &report.inputs;
    h.push_str(
        "<section id=\"inputs\">\n<h2>输入<span class=\"en\">Inputs</span></h2>\n<table>\n\
         <thead><tr><th>类别<span class=\"en\">Role</span></th><th>文件<span class=\"en\">File</span></th>\
         <th>字节<span class=\"en\">Bytes</span></th><th>SHA-256</th></tr></thead>\n<tbody>\n",
    );
    if let Some(m) = &i.model {
        file_row(h, &bi2("模型", "model"), m);
    }
    for f in &i.site {
        file_row(h, &bi2("场地", "site"), f);
    }
    h.push_str("</tbody>\n</table>\n");
    h.push_str(
        "<h3>规则配置<span class=\"en\">Rule profiles</span></h3>\n<table>\n\
         <thead><tr><th>配置<span class=\"en\">Profile</span></th><th>版本<span class=\"en\">Version</span></th>\
         <th>层级<span class=\"en\">Level</span></th><th>SHA-256</th></tr></thead>\n<tbody>\n",
    );
    for p in &i.profiles {
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td class=\"hash\">{}</td></tr>",
            esc(&p.id),
            esc(&p.version),
            esc(&p.level),
            esc(&p.sha256)
        );
    }
    h.push_str("</tbody>\n</table>\n<table>\n");
    row(h, "地块", "Parcel", &esc(&i.parcel));
    row(h, "坐标系", "Site CRS", &esc(&report.site_crs));
    if let (Some(src), Some(why)) = (&i.site_crs_source, &i.site_crs_reason) {
        row(
            h,
            "坐标系依据",
            "Site CRS chosen by",
            &format!("<code>{}</code> {}", esc(src), esc(why)),
        );
    }
    for c in &i.city_crs {
        row(h, "城市独立坐标系", "City coordinate system", &esc(c));
    }
    if let Some(p) = &i.placement {
        row(
            h,
            "定位参数",
            "Placement (--place)",
            &format!("<code>{}</code>", esc(p)),
        );
    }
    if let Some(u) = &i.declared_use {
        row(h, "申报用途", "Declared use (--use)", &esc(u));
    }
    if let Some(d) = &i.declared {
        row(h, "申报指标", "Declared figures", &esc(&declared_text(d)));
    }
    row(
        h,
        "工具",
        "Tool",
        &format!("{} {}", esc(&i.tool), esc(&i.tool_version)),
    );
    h.push_str("</table>\n</section>\n");
}

// ---------------------------------------------------------------------------------------------
// Plan view.

type Pt = (f64, f64);

enum Shape {
    Point(Pt),
    Line(Vec<Pt>),
    /// Rings, the first the outer one.
    Polygon(Vec<Vec<Pt>>),
}

fn point(v: &Value) -> Option<Pt> {
    let a = v.as_array()?;
    let x = a.first()?.as_f64()?;
    let y = a.get(1)?.as_f64()?;
    (x.is_finite() && y.is_finite()).then_some((x, y))
}

fn points(v: &Value) -> Vec<Pt> {
    v.as_array()
        .map(|a| a.iter().filter_map(point).collect())
        .unwrap_or_default()
}

fn rings(v: &Value) -> Vec<Vec<Pt>> {
    v.as_array()
        .map(|a| a.iter().map(points).filter(|r| r.len() >= 3).collect())
        .unwrap_or_default()
}

/// Flattens a GeoJSON geometry (or Feature / FeatureCollection) into drawable shapes.
/// Unknown or malformed members are skipped: the plan is an illustration, the numbers are in
/// the table.
fn shapes(geom: &Value, out: &mut Vec<Shape>) {
    let coords = &geom["coordinates"];
    match geom["type"].as_str() {
        Some("Point") => out.extend(point(coords).map(Shape::Point)),
        Some("MultiPoint") => out.extend(points(coords).into_iter().map(Shape::Point)),
        Some("LineString") => {
            let p = points(coords);
            if p.len() >= 2 {
                out.push(Shape::Line(p));
            }
        }
        Some("MultiLineString") => {
            for l in coords.as_array().into_iter().flatten() {
                let p = points(l);
                if p.len() >= 2 {
                    out.push(Shape::Line(p));
                }
            }
        }
        Some("Polygon") => {
            let r = rings(coords);
            if !r.is_empty() {
                out.push(Shape::Polygon(r));
            }
        }
        Some("MultiPolygon") => {
            for p in coords.as_array().into_iter().flatten() {
                let r = rings(p);
                if !r.is_empty() {
                    out.push(Shape::Polygon(r));
                }
            }
        }
        Some("GeometryCollection") => {
            for g in geom["geometries"].as_array().into_iter().flatten() {
                shapes(g, out);
            }
        }
        Some("Feature") => shapes(&geom["geometry"], out),
        Some("FeatureCollection") => {
            for f in geom["features"].as_array().into_iter().flatten() {
                shapes(f, out);
            }
        }
        _ => {}
    }
}

fn shapes_of(geom: &Value) -> Vec<Shape> {
    let mut v = Vec::new();
    shapes(geom, &mut v);
    v
}

#[derive(Clone, Copy)]
struct Bounds {
    min_x: f64,
    min_y: f64,
    max_x: f64,
    max_y: f64,
}

impl Bounds {
    fn empty() -> Self {
        Bounds {
            min_x: f64::INFINITY,
            min_y: f64::INFINITY,
            max_x: f64::NEG_INFINITY,
            max_y: f64::NEG_INFINITY,
        }
    }
    fn is_empty(&self) -> bool {
        self.min_x > self.max_x
    }
    fn add(&mut self, p: Pt) {
        self.min_x = self.min_x.min(p.0);
        self.min_y = self.min_y.min(p.1);
        self.max_x = self.max_x.max(p.0);
        self.max_y = self.max_y.max(p.1);
    }
    fn add_shapes(&mut self, s: &[Shape]) {
        for sh in s {
            match sh {
                Shape::Point(p) => self.add(*p),
                Shape::Line(l) => l.iter().for_each(|p| self.add(*p)),
                Shape::Polygon(r) => r.iter().flatten().for_each(|p| self.add(*p)),
            }
        }
    }
    fn intersects(&self, o: &Bounds) -> bool {
        !(o.is_empty()
            || o.min_x > self.max_x
            || o.max_x < self.min_x
            || o.min_y > self.max_y
            || o.max_y < self.min_y)
    }
}

/// Site metres to SVG pixels: x right, y down (north up).
struct View {
    min_x: f64,
    max_y: f64,
    scale: f64,
    width: f64,
    height: f64,
    bounds: Bounds,
}

impl View {
    fn fit(b: Bounds) -> View {
        let span = (b.max_x - b.min_x).max(b.max_y - b.min_y).max(1.0);
        let margin = (0.08 * span).max(5.0);
        let bounds = Bounds {
            min_x: b.min_x - margin,
            min_y: b.min_y - margin,
            max_x: b.max_x + margin,
            max_y: b.max_y + margin,
        };
        let dx = bounds.max_x - bounds.min_x;
        let dy = bounds.max_y - bounds.min_y;
        let scale = (PLAN_MAX_PX / dx).min(PLAN_MAX_PX / dy);
        View {
            min_x: bounds.min_x,
            max_y: bounds.max_y,
            scale,
            width: (dx * scale).round(),
            height: (dy * scale).round(),
            bounds,
        }
    }
    fn px(&self, p: Pt) -> Pt {
        (
            (p.0 - self.min_x) * self.scale,
            (self.max_y - p.1) * self.scale,
        )
    }
}

fn path_d(view: &View, rings: &[Vec<Pt>], close: bool) -> String {
    let mut d = String::new();
    for r in rings {
        for (i, p) in r.iter().enumerate() {
            let (x, y) = view.px(*p);
            let _ = write!(d, "{}{x:.2} {y:.2} ", if i == 0 { "M" } else { "L" });
        }
        if close {
            d.push_str("Z ");
        }
    }
    d.trim_end().to_string()
}

/// The style minus its fill attributes: a line of an area layer (a road given as a line) is
/// stroked only, and an attribute may appear once per element.
fn without_fill(style: &str) -> String {
    style
        .split_inclusive("\" ")
        .filter(|a| !a.trim_start().starts_with("fill"))
        .collect::<String>()
        .trim_end()
        .to_string()
}

/// Draws shapes with one style; points become small circles.
fn draw(svg: &mut String, view: &View, shapes: &[Shape], style: &str, class: &str) {
    for s in shapes {
        match s {
            Shape::Point(p) => {
                let (x, y) = view.px(*p);
                let _ = writeln!(
                    svg,
                    "<circle class=\"{class}\" cx=\"{x:.2}\" cy=\"{y:.2}\" r=\"3\" {style}/>"
                );
            }
            Shape::Line(l) => {
                let _ = writeln!(
                    svg,
                    "<path class=\"{class}\" d=\"{}\" fill=\"none\" {}/>",
                    path_d(view, std::slice::from_ref(l), false),
                    without_fill(style)
                );
            }
            Shape::Polygon(r) => {
                let _ = writeln!(
                    svg,
                    "<path class=\"{class}\" d=\"{}\" fill-rule=\"evenodd\" {style}/>",
                    path_d(view, r, true)
                );
            }
        }
    }
}

/// Style of a context feature by site kind (see docs/site-package.md).
fn context_style(kind: &str) -> (&'static str, Text) {
    match kind {
        "road_red_line" => (
            "fill=\"#d9d9d9\" stroke=\"#9e9e9e\" stroke-width=\"1\"",
            Text::new("道路", "road"),
        ),
        "blue_line" => (
            "fill=\"none\" stroke=\"#1565c0\" stroke-width=\"2\"",
            Text::new("蓝线", "blue line"),
        ),
        "green_line" => (
            "fill=\"none\" stroke=\"#2e7d32\" stroke-width=\"2\"",
            Text::new("绿线", "green line"),
        ),
        "purple_line" => (
            "fill=\"none\" stroke=\"#7b1fa2\" stroke-width=\"2\"",
            Text::new("紫线", "purple line"),
        ),
        "yellow_line" => (
            "fill=\"none\" stroke=\"#f9a825\" stroke-width=\"2\"",
            Text::new("黄线", "yellow line"),
        ),
        "building_control_line" => (
            "fill=\"none\" stroke=\"#ef6c00\" stroke-width=\"1.5\" stroke-dasharray=\"8 3 2 3\"",
            Text::new("建筑控制线", "building control line"),
        ),
        "height_zone" => (
            "fill=\"none\" stroke=\"#5d4037\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"",
            Text::new("限高分区", "height zone"),
        ),
        "existing_building" => (
            "fill=\"#9e9e9e\" stroke=\"#616161\" stroke-width=\"1\"",
            Text::new("现状建筑", "existing building"),
        ),
        "green_area" => (
            "fill=\"#c8e6c9\" fill-opacity=\"0.7\" stroke=\"#81c784\" stroke-width=\"1\"",
            Text::new("绿地", "green area"),
        ),
        "parcel" => (
            "fill=\"none\" stroke=\"#9e9e9e\" stroke-width=\"1\"",
            Text::new("相邻地块", "other parcel"),
        ),
        _ => (
            "fill=\"none\" stroke=\"#757575\" stroke-width=\"1\"",
            Text::new("其他要素", "other feature"),
        ),
    }
}

/// Drawing order: areas first, lines on top.
fn context_rank(kind: &str) -> u8 {
    match kind {
        "road_red_line" | "green_area" | "parcel" => 0,
        "existing_building" => 1,
        "height_zone" => 2,
        _ => 3,
    }
}

const FOOTPRINT_STYLE: &str =
    "fill=\"#1e88e5\" fill-opacity=\"0.35\" stroke=\"#0d47a1\" stroke-width=\"2\"";
const BELOW_STYLE: &str =
    "fill=\"none\" stroke=\"#0d47a1\" stroke-width=\"1.5\" stroke-dasharray=\"5 4\"";
const PARCEL_STYLE: &str = "fill=\"#fffde7\" stroke=\"#212121\" stroke-width=\"2.5\"";
const PARCEL_FILL: &str = "fill=\"#fffde7\" stroke=\"none\"";
const PARCEL_OUTLINE: &str = "fill=\"none\" stroke=\"#212121\" stroke-width=\"2.5\"";

fn text_el(svg: &mut String, x: f64, y: f64, anchor: &str, class: &str, fill: &str, s: &str) {
    let _ = writeln!(
        svg,
        "<text class=\"{class}\" x=\"{x:.2}\" y=\"{y:.2}\" text-anchor=\"{anchor}\" fill=\"{fill}\" \
         stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\" font-size=\"{}\"{}>{}</text>",
        if class == "vlabel" { 13 } else { 12 },
        if class == "vlabel" { " font-weight=\"bold\"" } else { "" },
        esc(s)
    );
}

/// Area-weighted centroid of a ring; the vertex mean when the ring has no area.
fn centroid(ring: &[Pt]) -> Pt {
    let (mut a, mut cx, mut cy) = (0.0, 0.0, 0.0);
    for i in 0..ring.len() {
        let p = ring[i];
        let q = ring[(i + 1) % ring.len()];
        let cross = p.0 * q.1 - q.0 * p.1;
        a += cross;
        cx += (p.0 + q.0) * cross;
        cy += (p.1 + q.1) * cross;
    }
    if a.abs() < 1e-9 {
        let n = ring.len().max(1) as f64;
        let sx: f64 = ring.iter().map(|p| p.0).sum();
        let sy: f64 = ring.iter().map(|p| p.1).sum();
        return (sx / n, sy / n);
    }
    (cx / (3.0 * a), cy / (3.0 * a))
}

/// Draws one failed check's evidence in red with its label.
fn draw_violation(svg: &mut String, view: &View, c: &CheckResult, shapes: &[Shape]) {
    let label = match measured_vs_limit(c) {
        Some(m) => format!("{}: {m}", c.title.zh),
        None => c.title.zh.clone(),
    };
    let _ = writeln!(svg, "<g class=\"violation\" data-check=\"{}\">", esc(&c.id));
    let mut labelled = false;
    for s in shapes {
        match s {
            Shape::Line(l) => {
                let d = path_d(view, std::slice::from_ref(l), false);
                let _ = writeln!(
                    svg,
                    "<path d=\"{d}\" fill=\"none\" stroke=\"{VIOLATION_RED}\" stroke-width=\"3\"/>"
                );
                for p in [l[0], l[l.len() - 1]] {
                    let (x, y) = view.px(p);
                    let _ = writeln!(
                        svg,
                        "<circle cx=\"{x:.2}\" cy=\"{y:.2}\" r=\"3.5\" fill=\"{VIOLATION_RED}\"/>"
                    );
                }
                if !labelled {
                    // Label at the midpoint of the middle segment: for the usual two-point
                    // closest-distance segment this is its midpoint.
                    let i = (l.len() - 1) / 2;
                    let m = ((l[i].0 + l[i + 1].0) / 2.0, (l[i].1 + l[i + 1].1) / 2.0);
                    let (x, y) = view.px(m);
                    text_el(
                        svg,
                        x + 6.0,
                        y - 6.0,
                        "start",
                        "vlabel",
                        VIOLATION_RED,
                        &label,
                    );
                    labelled = true;
                }
            }
            Shape::Polygon(r) => {
                let d = path_d(view, r, true);
                let _ = writeln!(
                    svg,
                    "<path d=\"{d}\" fill-rule=\"evenodd\" fill=\"url(#hatch)\" stroke=\"none\"/>\n\
                     <path d=\"{d}\" fill-rule=\"evenodd\" fill=\"{VIOLATION_RED}\" fill-opacity=\"0.18\" \
                     stroke=\"{VIOLATION_RED}\" stroke-width=\"2\"/>"
                );
                if !labelled {
                    let (x, y) = view.px(centroid(&r[0]));
                    text_el(svg, x, y, "middle", "vlabel", VIOLATION_RED, &label);
                    labelled = true;
                }
            }
            Shape::Point(p) => {
                let (x, y) = view.px(*p);
                let _ = writeln!(
                    svg,
                    "<circle cx=\"{x:.2}\" cy=\"{y:.2}\" r=\"6\" fill=\"none\" stroke=\"{VIOLATION_RED}\" stroke-width=\"3\"/>"
                );
                if !labelled {
                    text_el(
                        svg,
                        x + 9.0,
                        y - 9.0,
                        "start",
                        "vlabel",
                        VIOLATION_RED,
                        &label,
                    );
                    labelled = true;
                }
            }
        }
    }
    svg.push_str("</g>\n");
}

/// A "nice" scale bar length (1, 2 or 5 × 10^k metres) near a fifth of the view width.
fn nice_length(view_width_m: f64) -> f64 {
    let target = (view_width_m / 5.0).max(1e-3);
    let p = 10f64.powf(target.log10().floor());
    [5.0, 2.0, 1.0]
        .into_iter()
        .map(|k| k * p)
        .find(|l| *l <= target)
        .unwrap_or(p)
}

fn scale_bar(svg: &mut String, view: &View) {
    let width_m = view.width / view.scale;
    let len_m = nice_length(width_m);
    let len_px = len_m * view.scale;
    let x0 = 16.0;
    let y0 = view.height - 18.0;
    let half = len_px / 2.0;
    let _ = writeln!(
        svg,
        "<g class=\"scalebar\"><rect x=\"{x0:.2}\" y=\"{y0:.2}\" width=\"{half:.2}\" height=\"5\" fill=\"#212121\"/>\
         <rect x=\"{:.2}\" y=\"{y0:.2}\" width=\"{half:.2}\" height=\"5\" fill=\"#ffffff\" stroke=\"#212121\" stroke-width=\"1\"/>",
        x0 + half
    );
    text_el(svg, x0, y0 - 4.0, "middle", "sb", "#212121", "0");
    text_el(
        svg,
        x0 + len_px,
        y0 - 4.0,
        "middle",
        "sb",
        "#212121",
        &format!("{} m", trimmed(len_m, 3)),
    );
    svg.push_str("</g>\n");
}

fn north_arrow(svg: &mut String, view: &View) {
    let x = view.width - 28.0;
    let y = 16.0;
    let _ = writeln!(
        svg,
        "<g class=\"north\"><path d=\"M{x:.2} {y:.2} L{:.2} {:.2} L{x:.2} {:.2} Z\" fill=\"#212121\"/>\
         <path d=\"M{x:.2} {y:.2} L{:.2} {:.2} L{x:.2} {:.2} Z\" fill=\"#ffffff\" stroke=\"#212121\" stroke-width=\"1\"/>",
        x + 8.0,
        y + 26.0,
        y + 20.0,
        x - 8.0,
        y + 26.0,
        y + 20.0
    );
    text_el(svg, x, y + 40.0, "middle", "n", "#212121", "北 N");
    svg.push_str("</g>\n");
}

/// The plan view (总平面示意) as a standalone SVG element, or `None` when the report has no
/// plan geometry at all. North is up; the site CRS is assumed projected with y to grid north.
pub fn plan_svg(report: &Report) -> Option<String> {
    plan(report).map(|(svg, _)| svg)
}

/// The plan SVG and its HTML legend.
fn plan(report: &Report) -> Option<(String, String)> {
    let parcel = shapes_of(&report.parcel.geometry);
    let footprint = report
        .building
        .footprint
        .as_ref()
        .map(shapes_of)
        .unwrap_or_default();
    let below = report
        .building
        .footprint_below
        .as_ref()
        .map(shapes_of)
        .unwrap_or_default();
    let violations: Vec<(&CheckResult, Vec<Shape>)> = report
        .checks
        .iter()
        .filter(|c| c.status == Status::Fail)
        .filter_map(|c| c.evidence.as_ref().map(|e| (c, shapes_of(e))))
        .filter(|(_, s)| !s.is_empty())
        .collect();

    let mut fit = Bounds::empty();
    fit.add_shapes(&parcel);
    fit.add_shapes(&footprint);
    fit.add_shapes(&below);
    for (_, s) in &violations {
        fit.add_shapes(s);
    }
    if fit.is_empty() {
        return None;
    }
    let view = View::fit(fit);

    let mut svg = String::with_capacity(16 * 1024);
    let _ = writeln!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plan\" width=\"{w}\" height=\"{h}\" \
         viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"总平面示意 plan view\" \
         font-family=\"'Noto Sans CJK SC','WenQuanYi Micro Hei',sans-serif\">",
        w = view.width,
        h = view.height
    );
    let _ = writeln!(
        svg,
        "<defs><pattern id=\"hatch\" patternUnits=\"userSpaceOnUse\" width=\"8\" height=\"8\" \
         patternTransform=\"rotate(45)\"><rect width=\"3\" height=\"8\" fill=\"{VIOLATION_RED}\" fill-opacity=\"0.6\"/></pattern></defs>\n\
         <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>"
    );

    // Context near the view only: site layers can span a whole district.
    let mut ctx: Vec<(&ContextFeature, Vec<Shape>)> = report
        .context
        .iter()
        // The parcel under review is drawn on its own, not again as a neighbour.
        .filter(|f| !(f.kind == "parcel" && f.geometry == report.parcel.geometry))
        .map(|f| (f, shapes_of(&f.geometry)))
        .filter(|(_, s)| {
            let mut b = Bounds::empty();
            b.add_shapes(s);
            view.bounds.intersects(&b)
        })
        .collect();
    ctx.sort_by_key(|(f, _)| context_rank(&f.kind));
    let mut kinds_drawn: Vec<&str> = Vec::new();
    // The parcel's fill goes under the context and its outline over the area layers (roads,
    // green areas, other parcels) but under the control lines, so both stay visible.
    draw(&mut svg, &view, &parcel, PARCEL_FILL, "parcel-fill");
    let mut outlined = false;
    for (f, s) in &ctx {
        if !outlined && context_rank(&f.kind) >= 2 {
            draw(&mut svg, &view, &parcel, PARCEL_OUTLINE, "parcel");
            outlined = true;
        }
        let (style, _) = context_style(&f.kind);
        draw(
            &mut svg,
            &view,
            s,
            style,
            &format!("ctx ctx-{}", esc(&f.kind)),
        );
        if !kinds_drawn.contains(&f.kind.as_str()) {
            kinds_drawn.push(&f.kind);
        }
    }
    if !outlined {
        draw(&mut svg, &view, &parcel, PARCEL_OUTLINE, "parcel");
    }
    draw(&mut svg, &view, &below, BELOW_STYLE, "footprint-below");
    draw(&mut svg, &view, &footprint, FOOTPRINT_STYLE, "footprint");
    for (c, s) in &violations {
        draw_violation(&mut svg, &view, c, s);
    }
    scale_bar(&mut svg, &view);
    north_arrow(&mut svg, &view);
    svg.push_str("</svg>\n");

    let mut legend = String::new();
    let mut item = |style: &str, t: &Text| {
        let _ = write!(
            legend,
            "<li><svg width=\"26\" height=\"14\" xmlns=\"http://www.w3.org/2000/svg\"><rect x=\"2\" y=\"2\" width=\"22\" height=\"10\" {style}/></svg>{}</li>",
            bi(t)
        );
    };
    item(PARCEL_STYLE, &Text::new("本地块", "parcel"));
    if !footprint.is_empty() {
        item(FOOTPRINT_STYLE, &Text::new("建筑基底", "footprint"));
    }
    if !below.is_empty() {
        item(
            BELOW_STYLE,
            &Text::new("地下室外轮廓", "below-ground outline"),
        );
    }
    for k in &kinds_drawn {
        let (style, t) = context_style(k);
        item(style, &t);
    }
    if !violations.is_empty() {
        item(
            &format!("fill=\"{VIOLATION_RED}\" fill-opacity=\"0.3\" stroke=\"{VIOLATION_RED}\" stroke-width=\"2\""),
            &Text::new("违规（不通过）", "violation (fail)"),
        );
    }
    Some((svg, format!("<ul class=\"legend\">{legend}</ul>\n")))
}

/// A PNG as an `<img>` with a `data:` URI.
fn png_img(png: &[u8], alt: &str) -> String {
    use base64::Engine as _;
    format!(
        "<img class=\"snapshot\" alt=\"{}\" src=\"data:image/png;base64,{}\"/>",
        esc(alt),
        base64::engine::general_purpose::STANDARD.encode(png)
    )
}

/// One snapshot per finding, captioned with its number, check and measured value.
fn snapshots_section(h: &mut String, report: &Report, pictures: &crate::Pictures) {
    if pictures.findings.is_empty() {
        return;
    }
    h.push_str("<section id=\"snapshots\">\n<h2>问题快照<span class=\"en\">Finding snapshots</span></h2>\n");
    for c in &report.checks {
        let Some(n) = finding_number(report, &c.id) else {
            continue;
        };
        let Some(png) = pictures.findings.get(&n) else {
            continue;
        };
        let _ = writeln!(
            h,
            "<figure id=\"snapshot-{n}\">{}<figcaption>{n}. <code>{}</code> {} — {}</figcaption></figure>",
            png_img(png, &format!("{n}. {}", c.id)),
            esc(&c.id),
            esc(&c.title.zh),
            esc(&measured_vs_limit(c).unwrap_or_default()),
        );
    }
    h.push_str("</section>\n");
}

fn plan_section(h: &mut String, report: &Report, pictures: Option<&crate::Pictures>) {
    h.push_str("<section id=\"plan\">\n<h2>总平面示意<span class=\"en\">Plan view</span></h2>\n");
    if let Some(png) = pictures.and_then(|p| p.plan.as_deref()) {
        let _ = writeln!(
            h,
            "<figure id=\"snapshot-plan\">{}<figcaption>{}</figcaption></figure>",
            png_img(png, "plan"),
            bi2(
                "三维孪生平面快照（紫红色为违规构件，黄色为实测线段）",
                "Twin plan snapshot (violations magenta, measured segments yellow)"
            )
        );
    }
    match plan(report) {
        Some((svg, legend)) => {
            h.push_str(&svg);
            h.push_str(&legend);
        }
        None => h.push_str(&format!(
            "<p>{}</p>\n",
            bi2(
                "报告中没有可绘制的平面几何。",
                "The report has no plan geometry to draw."
            )
        )),
    }
    let fails_without_evidence: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| c.status == Status::Fail && c.evidence.is_none())
        .map(|c| c.id.as_str())
        .collect();
    if !fails_without_evidence.is_empty() {
        let _ = writeln!(
            h,
            "<p>{}: <code>{}</code></p>",
            bi2(
                "以下不通过项无平面证据",
                "Failed checks without plan evidence"
            ),
            esc(&fails_without_evidence.join(", "))
        );
    }
    h.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_fill_keeps_the_strokes() {
        assert_eq!(
            without_fill(r##"fill="#d9d9d9" stroke="#9e9e9e" stroke-width="1""##),
            r##"stroke="#9e9e9e" stroke-width="1""##
        );
        assert_eq!(
            without_fill(
                r##"fill="#c8e6c9" fill-opacity="0.7" stroke="#81c784" stroke-dasharray="8 3 2 3""##
            ),
            r##"stroke="#81c784" stroke-dasharray="8 3 2 3""##
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(trimmed(10.0, 2), "10");
        assert_eq!(trimmed(2.50, 3), "2.5");
        assert_eq!(trimmed(0.126, 2), "0.13");
        assert_eq!(fixed(f64::NAN, 2), "—");
        assert_eq!(value_text(0.35, Unit::Ratio), "0.350 (35.0%)");
        assert_eq!(limit_value_text(0.35, Unit::Ratio), "0.35 (35%)");
        assert_eq!(value_text(3.0, Unit::Count), "3");
        // Scale bars: a fifth of the width rounded down to 1, 2 or 5 × 10^k.
        assert_eq!(nice_length(70.0), 10.0);
        assert_eq!(nice_length(100.0), 20.0);
        assert_eq!(nice_length(260.0), 50.0);
        assert_eq!(nice_length(4.0), 0.5);
    }

    #[test]
    fn escaping() {
        assert_eq!(esc("a<b>&\"c'\u{1}"), "a&lt;b&gt;&amp;&quot;c&#39;");
    }
}

#[cfg(test)]
pub(crate) mod twin_link_tests {
    use super::*;
    use crate::report::{BuildingInfo, Inputs, ParcelInfo, Summary, Text, Tolerance};

    fn check(id: &str, status: Status) -> CheckResult {
        CheckResult {
            id: id.into(),
            title: Text::new("标题", "Title"),
            status,
            measured: Some(4.0),
            limit: Some(10.0),
            unit: Unit::M,
            comparison: Some(Comparison::AtLeast),
            within_tolerance: false,
            clause: None,
            elements: vec!["2O2Fr$t4X7Zf8NOew3FLOH".into()],
            elements_bbox: Some([0.0, 0.0, 0.0, 1.0, 1.0, 1.0]),
            evidence: None,
            explanation: Text::new("说明", "explanation"),
            details: Value::Null,
        }
    }

    /// Four checks: pass, fail, not applicable, unverifiable, fail.
    pub(crate) fn sample() -> Report {
        let checks = vec![
            check("far", Status::Pass),
            check("setback_road", Status::Fail),
            check("blue_line", Status::NotApplicable),
            check("green_ratio", Status::Unverifiable),
            check("height_planning", Status::Fail),
        ];
        Report {
            schema: crate::report::SCHEMA.into(),
            site_crs: "EPSG:4547".into(),
            inputs: Inputs::default(),
            parcel: ParcelInfo {
                id: "DK-1".into(),
                name: None,
                land_use: None,
                area_m2: 100.0,
                conditions: Default::default(),
                geometry: Value::Null,
                file: "parcel.gpkg".into(),
            },
            building: BuildingInfo {
                file: "m.ifc".into(),
                project_global_id: None,
                schema: "IFC4".into(),
                placement: "explicit".into(),
                placement_accuracy: "exact".into(),
                footprint: None,
                footprint_below: None,
                footprint_area_m2: 0.0,
                base_area_m2: 0.0,
                parts: vec![],
                height_m: None,
                height_method: None,
                highest_point_m: None,
                highest_point_abs_m: None,
                ground_m: None,
                storeys_above: 0,
                storeys_below: 0,
                gfa_m2: None,
                far_area_m2: None,
                uses: vec![],
                warnings: vec![],
            },
            tolerance: Tolerance {
                distance_m: 0.05,
                area_relative: 0.005,
            },
            summary: Summary::default(),
            checks,
            context: vec![],
        }
    }

    #[test]
    fn findings_are_numbered_like_the_case_records_them() {
        let r = sample();
        assert_eq!(finding_number(&r, "far"), None);
        assert_eq!(finding_number(&r, "setback_road"), Some(1));
        assert_eq!(finding_number(&r, "blue_line"), None);
        assert_eq!(finding_number(&r, "green_ratio"), Some(2));
        assert_eq!(finding_number(&r, "height_planning"), Some(3));
        assert_eq!(finding_number(&r, "nope"), None);
    }

    #[test]
    fn the_page_links_the_twin_only_when_asked() {
        let r = sample();
        let plain = to_html(&r);
        assert!(!plain.contains("twin"), "no twin link by default");
        let html = to_html_with(
            &r,
            &HtmlOptions {
                twin_url: Some("/twin/7?a=1&b=<2>"),
                ..Default::default()
            },
        );
        // Escaped, in the header and on every finding, none on the others.
        assert!(html.contains("id=\"twin-link\" href=\"/twin/7?a=1&amp;b=&lt;2&gt;\""));
        assert!(!html.contains("b=<2>"));
        for (id, n) in [
            ("setback_road", 1),
            ("green_ratio", 2),
            ("height_planning", 3),
        ] {
            let row = html
                .lines()
                .find(|l| l.contains(&format!("id=\"check-{id}\"")))
                .unwrap();
            assert!(row.contains(&format!("&gt;#f={n}\"")), "{id}: {row}");
        }
        for id in ["far", "blue_line"] {
            let row = html
                .lines()
                .find(|l| l.contains(&format!("id=\"check-{id}\"")))
                .unwrap();
            assert!(!row.contains("class=\"twin\""), "{id}: {row}");
        }
    }
}

#[cfg(test)]
mod picture_tests {
    use super::*;

    #[test]
    fn pictures_are_embedded_as_data_images_with_their_finding() {
        let r = twin_link_tests::sample();
        assert!(!to_html(&r).contains("data:image/png"), "none unless given");
        let mut p = crate::Pictures {
            plan: Some(vec![1, 2, 3]),
            ..Default::default()
        };
        p.findings.insert(2, vec![4, 5, 6]);
        let html = to_html_with(
            &r,
            &HtmlOptions {
                pictures: Some(&p),
                ..Default::default()
            },
        );
        // base64 of [1,2,3] and [4,5,6].
        assert!(html.contains("id=\"snapshot-plan\"><img class=\"snapshot\" alt=\"plan\" src=\"data:image/png;base64,AQID\"/>"));
        assert!(html.contains("<figure id=\"snapshot-2\"><img class=\"snapshot\" alt=\"2. "));
        assert!(html.contains("base64,BAUG"));
        assert!(!html.contains("snapshot-1\""), "finding 1 has no picture");
    }
}
