//! The supervision report 效能监督报告 use case: cases from the store, scoped by
//! region, through `zhishen_workflow::supervision`, out as JSON or a self-contained
//! HTML page (Chinese first, English beside it; inline SVG charts; every text
//! escaped). Why here: the CLI and the server both call it, neither computes.

use crate::AppError;
use chrono::NaiveDate;
use std::collections::BTreeSet;
use std::fmt::Write;
use zhishen_report::html::esc;
use zhishen_store::Store;
use zhishen_workflow::supervision::{
    supervision_report, Durations, LightEntry, Period, ReportInput, SupervisionReport,
};

/// What the report covers.
#[derive(Debug, Clone)]
pub struct SupervisionQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// 行政区划代码 the cases are filed in (`case_scope.region`); all when `None`.
    pub region: Option<String>,
}

/// Reads the cases in scope and computes the report with the newest published
/// catalogue and calendar.
pub async fn report(store: &Store, q: &SupervisionQuery) -> Result<SupervisionReport, AppError> {
    if q.from > q.to {
        return Err(AppError::BadInput(format!(
            "--from {} 晚于 is after --to {}",
            q.from, q.to
        )));
    }
    let defs = store.latest_definitions().await?;
    let mut cases = store.cases().await?;
    if let Some(r) = &q.region {
        let ids: BTreeSet<String> = store
            .case_scopes()
            .await?
            .into_iter()
            .filter(|s| &s.region == r)
            .map(|s| s.case_id)
            .collect();
        cases.retain(|c| ids.contains(&c.id));
    }
    Ok(supervision_report(&ReportInput {
        cases: &cases,
        calendar: &defs.calendar,
        catalogue: &defs.catalogue,
        period: Period {
            from: q.from,
            to: q.to,
        },
        region: q.region.clone(),
    }))
}

fn opt1(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_string(), |x| format!("{x:.1}"))
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_string(), |x| format!("{:.1}%", x * 100.0))
}

fn signed(v: Option<f64>, percent: bool) -> String {
    match v {
        None => "—".to_string(),
        Some(x) if percent => format!("{:+.1} pp", x * 100.0),
        Some(x) => format!("{x:+.1}"),
    }
}

fn dur(d: &Durations) -> (String, String) {
    (
        opt1(d.mean_wd),
        d.p90_wd.map_or_else(|| "—".to_string(), |x| x.to_string()),
    )
}

/// One bar row of a chart: label, mean, p90 and an optional limit mark.
struct Bar {
    label: String,
    mean: f64,
    p90: f64,
    limit: Option<f64>,
}

/// A horizontal bar chart (mean bar, p90 tick, limit line), inline SVG.
fn bar_chart(title: &str, bars: &[Bar]) -> String {
    let max = bars
        .iter()
        .flat_map(|b| [b.mean, b.p90, b.limit.unwrap_or(0.0)])
        .fold(1.0_f64, f64::max);
    let (left, width, row) = (260.0, 420.0, 22.0);
    let h = 30.0 + row * bars.len() as f64;
    let mut s = format!(
        "<svg role=\"img\" aria-label=\"{}\" viewBox=\"0 0 {} {h}\" width=\"100%\" xmlns=\"http://www.w3.org/2000/svg\">",
        esc(title),
        left + width + 60.0
    );
    for (i, b) in bars.iter().enumerate() {
        let y = 20.0 + row * i as f64;
        let w = b.mean / max * width;
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"12\">{}</text>\
             <rect x=\"{left}\" y=\"{}\" width=\"{w:.1}\" height=\"14\" fill=\"#4a7ab5\"><title>{} {:.1}</title></rect>\
             <line x1=\"{p:.1}\" x2=\"{p:.1}\" y1=\"{}\" y2=\"{}\" stroke=\"#222\" stroke-width=\"2\"/>",
            left - 6.0,
            y + 11.0,
            esc(&b.label),
            y,
            esc(&b.label),
            b.mean,
            y - 2.0,
            y + 16.0,
            p = left + b.p90 / max * width,
        );
        if let Some(l) = b.limit {
            let x = left + l / max * width;
            let _ = write!(
                s,
                "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{}\" y2=\"{}\" stroke=\"#c0392b\" stroke-dasharray=\"3 2\" stroke-width=\"2\"/>",
                y - 3.0,
                y + 17.0
            );
        }
    }
    s.push_str("</svg>");
    s
}

fn light_rows(list: &[LightEntry]) -> String {
    let mut s = String::new();
    for e in list.iter().take(200) {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&e.case_id),
            esc(&e.project_name),
            esc(&e.item),
            esc(&e.department),
            e.remaining_wd,
            if e.running {
                "办理中 running"
            } else {
                "已办结 concluded"
            }
        );
    }
    if list.len() > 200 {
        let _ = write!(
            s,
            "<tr><td colspan=\"6\">另有 {} 条 and {} more (JSON 全量 full list in JSON)</td></tr>",
            list.len() - 200,
            list.len() - 200
        );
    }
    s
}

fn headline_table(r: &SupervisionReport) -> String {
    let (h, p, c) = (&r.headline, &r.previous, &r.change);
    let (hm, hp) = dur(&h.items);
    let (pm, pp) = dur(&p.items);
    let rows = [
        (
            "办结事项 Items concluded",
            h.items.count.to_string(),
            p.items.count.to_string(),
            format!("{:+}", c.items),
        ),
        ("平均用时 Mean (wd)", hm, pm, signed(c.mean_wd, false)),
        (
            "P90 用时 P90 (wd)",
            hp,
            pp,
            c.p90_wd.map_or_else(|| "—".into(), |x| format!("{x:+}")),
        ),
        (
            "超期率 Overdue rate",
            pct(h.overdue_rate),
            pct(p.overdue_rate),
            signed(c.overdue_rate, true),
        ),
        (
            "补正率 Supplement rate",
            pct(h.supplement_rate),
            pct(p.supplement_rate),
            signed(c.supplement_rate, true),
        ),
        (
            "满意度 Mean rating",
            opt1(h.rating_mean),
            opt1(p.rating_mean),
            signed(c.rating_mean, false),
        ),
    ];
    let mut s = String::from("<table><tr><th>指标 Measure</th><th>本期 This period</th><th>上期 Previous</th><th>变化 Change</th></tr>");
    for (k, a, b, d) in rows {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(k),
            esc(&a),
            esc(&b),
            esc(&d)
        );
    }
    s.push_str("</table>");
    s
}

fn stage_section(r: &SupervisionReport) -> String {
    let mut s = String::from("<h2>阶段用时 Stage durations</h2>");
    let bars: Vec<Bar> = r
        .stages
        .iter()
        .map(|st| Bar {
            label: st.name_zh.clone(),
            mean: st.durations.mean_wd.unwrap_or(0.0),
            p90: st.durations.p90_wd.unwrap_or(0) as f64,
            limit: st.limit_wd.map(f64::from),
        })
        .collect();
    s.push_str(&bar_chart("阶段用时 stage durations", &bars));
    s.push_str("<table><tr><th>阶段 Stage</th><th>数量 n</th><th>平均 mean</th><th>P90</th><th>时限 limit</th><th>超时限 over</th></tr>");
    for st in &r.stages {
        let (m, p) = dur(&st.durations);
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{m}</td><td>{p}</td><td>{}</td><td>{}</td></tr>",
            esc(&st.name_zh),
            st.durations.count,
            st.limit_wd.map_or_else(|| "—".into(), |l| l.to_string()),
            st.over_limit
        );
    }
    s.push_str("</table>");
    s
}

fn item_section(r: &SupervisionReport) -> String {
    let mut s =
        String::from("<h2>事项用时 Item durations (承诺/法定时限 promised/statutory limits)</h2>");
    let bars: Vec<Bar> = r
        .items
        .iter()
        .map(|it| Bar {
            label: format!("{} {}", it.code, it.name_zh),
            mean: it.durations.mean_wd.unwrap_or(0.0),
            p90: it.durations.p90_wd.unwrap_or(0) as f64,
            limit: it.promised_limit_wd.map(f64::from),
        })
        .collect();
    s.push_str(&bar_chart("事项用时 item durations", &bars));
    s.push_str("<table><tr><th>事项 Item</th><th>部门 Dept</th><th>数量 n</th><th>平均 mean</th><th>P90</th><th>承诺 promised</th><th>法定 statutory</th><th>超期率 overdue</th><th>补正率 suppl.</th></tr>");
    for it in &r.items {
        let (m, p) = dur(&it.durations);
        let lim = |v: Option<u32>| v.map_or_else(|| "—".to_string(), |l| l.to_string());
        let _ = write!(
            s,
            "<tr><td>{} {}</td><td>{}</td><td>{}</td><td>{m}</td><td>{p}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&it.code),
            esc(&it.name_zh),
            esc(&it.department),
            it.durations.count,
            lim(it.promised_limit_wd),
            lim(it.statutory_limit_wd),
            pct(it.overdue_rate),
            pct(it.supplement_rate)
        );
    }
    s.push_str("</table>");
    s
}

fn department_section(r: &SupervisionReport) -> String {
    let mut s = String::from("<h2>部门排名 Department ranking</h2><p>按超期率、再按平均用时排序 ranked by overdue rate, then mean duration.</p>");
    let bars: Vec<Bar> = r
        .departments
        .iter()
        .map(|d| Bar {
            label: format!("{}. {}", d.rank, d.name_zh),
            mean: d.durations.mean_wd.unwrap_or(0.0),
            p90: d.durations.p90_wd.unwrap_or(0) as f64,
            limit: None,
        })
        .collect();
    s.push_str(&bar_chart("部门排名 department ranking", &bars));
    s.push_str("<table><tr><th>名次 Rank</th><th>部门 Department</th><th>数量 n</th><th>平均 mean</th><th>P90</th><th>超期率 overdue</th><th>补正率 suppl.</th></tr>");
    for d in &r.departments {
        let (m, p) = dur(&d.durations);
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{} ({})</td><td>{}</td><td>{m}</td><td>{p}</td><td>{}</td><td>{}</td></tr>",
            d.rank,
            esc(&d.name_zh),
            esc(&d.department),
            d.durations.count,
            pct(d.overdue_rate),
            pct(d.supplement_rate)
        );
    }
    s.push_str("</table>");
    s
}

fn lists_and_risk(r: &SupervisionReport) -> String {
    let mut s = String::new();
    let head = "<tr><th>案件 Case</th><th>项目 Project</th><th>事项 Item</th><th>部门 Dept</th><th>剩余工作日 Days left</th><th>状态 Status</th></tr>";
    let _ = write!(
        s,
        "<h2>红灯 Red list ({})</h2><table>{head}{}</table><h2>黄灯 Yellow list ({})</h2><table>{head}{}</table>",
        r.red.len(),
        light_rows(&r.red),
        r.yellow.len(),
        light_rows(&r.yellow)
    );
    let _ = write!(
        s,
        "<h2>风险分布 Risk distribution</h2><p>来源 source: {} ({} 件 cases)</p><table><tr><th>等级 Level</th><th>件数 Cases</th></tr>",
        esc(&r.risk.source),
        r.risk.cases
    );
    for (k, n) in &r.risk.counts {
        let _ = write!(s, "<tr><td>{}</td><td>{n}</td></tr>", esc(k));
    }
    s.push_str("</table><h2>好差评 Satisfaction</h2><table><tr><th>评价 Level</th><th>件数 Count</th></tr>");
    for l in &r.satisfaction.by_level {
        let _ = write!(
            s,
            "<tr><td>{} ({})</td><td>{}</td></tr>",
            esc(&l.name_zh),
            l.score,
            l.count
        );
    }
    let _ = write!(
        s,
        "</table><p>共 {} 条，平均 {}，差评 {} total {}, mean {}, bad {}</p>",
        r.satisfaction.count,
        opt1(r.satisfaction.mean),
        r.satisfaction.bad,
        r.satisfaction.count,
        opt1(r.satisfaction.mean),
        r.satisfaction.bad
    );
    s
}

/// The report as one self-contained HTML page (no script, no external resource).
pub fn to_html(r: &SupervisionReport) -> String {
    let region = r.region.as_deref().unwrap_or("全部 all");
    let mut s = String::from("<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>效能监督报告 Supervision report</title><style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #bbb;padding:2px 6px;font-size:13px}th{background:#eee}</style></head><body>");
    let _ = write!(
        s,
        "<h1>效能监督报告 <small>Supervision report</small></h1><p>统计期 Period: {} — {}；上期 previous: {} — {}；区划 region: {}；事项清单 catalogue: {}；日历 calendar: {}；案件 cases: {}</p>\
         <p>时长为工作日，不含特别程序、含补正；P90 为最近秩法 (⌈0.9n⌉)。Durations in working days without 特别程序, with 补正; P90 by nearest rank (⌈0.9n⌉). 图中蓝条为平均、黑线为 P90、红虚线为时限 bars: mean, black tick: P90, red dashes: limit.</p>",
        r.period.from,
        r.period.to,
        r.previous_period.from,
        r.previous_period.to,
        esc(region),
        esc(&r.catalogue),
        esc(&r.calendar_version),
        r.cases
    );
    s.push_str("<h2>总览 Overview</h2>");
    s.push_str(&figures_line(r));
    s.push_str(&headline_table(r));
    s.push_str(&stage_section(r));
    s.push_str(&item_section(r));
    s.push_str(&department_section(r));
    s.push_str(&lists_and_risk(r));
    if !r.errors.is_empty() {
        let _ = write!(s, "<h2>未能计算 Not measured ({})</h2><ul>", r.errors.len());
        for e in r.errors.iter().take(50) {
            let _ = write!(s, "<li>{}</li>", esc(e));
        }
        s.push_str("</ul>");
    }
    s.push_str("</body></html>\n");
    s
}

/// The headline figures as one line, each in an element with a stable id
/// (`sup-items`, `sup-mean`, `sup-p90`, `sup-overdue`, `sup-supplement`,
/// `sup-satisfaction`, `sup-red`, `sup-yellow`), formatted as in the report.
fn figures_line(r: &SupervisionReport) -> String {
    let h = &r.headline;
    let (mean, p90) = dur(&h.items);
    let figures = [
        ("sup-items", "办结事项 items", h.items.count.to_string()),
        ("sup-mean", "平均用时 mean (wd)", mean),
        ("sup-p90", "P90 (wd)", p90),
        ("sup-overdue", "超期率 overdue", pct(h.overdue_rate)),
        (
            "sup-supplement",
            "补正率 supplement",
            pct(h.supplement_rate),
        ),
        (
            "sup-satisfaction",
            "满意度 rating",
            opt1(r.satisfaction.mean),
        ),
        ("sup-red", "红灯 red", r.red.len().to_string()),
        ("sup-yellow", "黄灯 yellow", r.yellow.len().to_string()),
    ];
    let mut s = String::from("<p id=\"sup-figures\">");
    for (i, (id, label, v)) in figures.iter().enumerate() {
        if i > 0 {
            s.push_str(" · ");
        }
        let _ = write!(s, "{} <strong id=\"{id}\">{}</strong>", esc(label), esc(v));
    }
    s.push_str("</p>");
    s
}

/// The supervisor dashboard's part of the report (the server's `/supervision`
/// page): the period, the headline figures against the previous period, each
/// item's mean and p90 against its limits with the chart, and 好差评 — the same
/// report and the same formatting as [`to_html`], so the page and the report agree.
pub fn dashboard_fragment(r: &SupervisionReport) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<p>统计期 Period: <span id=\"sup-period\">{} — {}</span>；上期 previous: {} — {}；区划 region: {}</p>",
        r.period.from,
        r.period.to,
        r.previous_period.from,
        r.previous_period.to,
        esc(r.region.as_deref().unwrap_or("全部 all"))
    );
    s.push_str(&figures_line(r));
    s.push_str(&headline_table(r));
    s.push_str(&item_section(r));
    s.push_str(
        "<h2>好差评 Satisfaction</h2><table><tr><th>评价 Level</th><th>件数 Count</th></tr>",
    );
    for l in &r.satisfaction.by_level {
        let _ = write!(
            s,
            "<tr><td>{} ({})</td><td>{}</td></tr>",
            esc(&l.name_zh),
            l.score,
            l.count
        );
    }
    s.push_str("</table>");
    s
}
