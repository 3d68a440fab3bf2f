//! Human-readable `inspect` output, Chinese first with English beside.

use std::io::{Result, Write};
use zhishen_ifc::{Model, Severity};

fn l(zh: bool, zh_s: &str, en_s: &str) -> String {
    if zh {
        format!("{zh_s} {en_s}")
    } else {
        en_s.to_string()
    }
}

fn opt(v: Option<f64>, unit: &str) -> String {
    v.map(|x| format!("{x:.3} {unit}"))
        .unwrap_or_else(|| "—".into())
}

pub fn print(w: &mut impl Write, m: &Model, zh: bool) -> Result<()> {
    writeln!(w, "{}: {}", l(zh, "文件", "File"), m.file)?;
    writeln!(w, "{}: {}", l(zh, "模式", "Schema"), m.schema)?;
    writeln!(
        w,
        "{}: {}",
        l(zh, "创建软件", "Application"),
        m.header.originating_system.as_deref().unwrap_or("—")
    )?;
    writeln!(
        w,
        "{}: {} m",
        l(zh, "长度单位", "Length unit"),
        m.length_unit_m
    )?;
    writeln!(w)?;
    writeln!(w, "{}", l(zh, "楼层", "Storeys"))?;
    for s in &m.storeys {
        writeln!(
            w,
            "  {:<24} {:>10}  {}",
            s.node.name.as_deref().unwrap_or("—"),
            opt(s.elevation_m, "m"),
            s.node.global_id
        )?;
    }
    facts(w, &m.facts, zh)?;
    georef(w, &m.georef, zh)?;
    writeln!(w)?;
    writeln!(w, "{}", l(zh, "构件数量", "Element counts"))?;
    for (k, v) in &m.element_counts {
        writeln!(w, "  {k:<32} {v}")?;
    }
    let warnings: Vec<_> = m
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .collect();
    if !warnings.is_empty() {
        writeln!(w)?;
        writeln!(w, "{}", l(zh, "警告", "Warnings"))?;
        for d in warnings {
            writeln!(w, "  [{}] {}", d.code, d.message)?;
        }
    }
    Ok(())
}

/// The building facts block of `print`.
fn facts(w: &mut impl Write, f: &zhishen_ifc::Facts, zh: bool) -> Result<()> {
    writeln!(w)?;
    writeln!(w, "{}", l(zh, "建筑指标", "Building facts"))?;
    let rows = [
        (
            l(zh, "基底面积", "Footprint area"),
            opt(Some(f.footprint_area_m2), "m²"),
        ),
        (
            l(zh, "地下轮廓面积", "Below-ground outline"),
            opt(Some(f.footprint_below_area_m2), "m²"),
        ),
        (l(zh, "室外地面标高", "Ground level"), opt(f.ground_m, "m")),
        (
            l(zh, "规划建筑高度", "Planning height"),
            opt(f.height_m, "m"),
        ),
        (
            l(zh, "最高点", "Highest point"),
            opt(f.highest_point_m, "m"),
        ),
        (
            l(zh, "地上层数", "Storeys above ground"),
            f.storeys_above.to_string(),
        ),
        (
            l(zh, "地下层数", "Storeys below ground"),
            f.storeys_below.to_string(),
        ),
        (l(zh, "总建筑面积", "Gross floor area"), opt(f.gfa_m2, "m²")),
    ];
    for (k, v) in rows {
        writeln!(w, "  {k:<28} {v}")?;
    }
    if let Some(method) = f.height_method {
        writeln!(
            w,
            "  {:<28} {:?}",
            l(zh, "高度算法", "Height method"),
            method
        )?;
    }
    for n in &f.height_notes {
        writeln!(w, "    · {n}")?;
    }
    missing_geometry(w, &f.missing_geometry, zh)
}

/// The building elements the facts lack, so that nobody reads them as the building's.
fn missing_geometry(
    w: &mut impl Write,
    mg: &[zhishen_ifc::MissingGeometry],
    zh: bool,
) -> Result<()> {
    /// Elements named before the rest are counted.
    const NAMED: usize = 10;
    if mg.is_empty() {
        return Ok(());
    }
    writeln!(
        w,
        "  {}: {}",
        l(
            zh,
            "几何缺失的建筑构件 (以上指标不含它们, 审查结果无法核验)",
            "Building elements without geometry (missing from the facts above; a review cannot verify them)"
        ),
        mg.len()
    )?;
    for g in mg.iter().take(NAMED) {
        let name = g
            .name
            .as_deref()
            .map(|n| format!(" '{n}'"))
            .unwrap_or_default();
        writeln!(w, "    · {} #{}{name}: {}", g.ifc_class, g.id, g.reason)?;
    }
    if mg.len() > NAMED {
        writeln!(w, "    · … {}", mg.len() - NAMED)?;
    }
    Ok(())
}

/// The georeferencing block of `print`.
fn georef(w: &mut impl Write, g: &zhishen_ifc::Georef, zh: bool) -> Result<()> {
    writeln!(w)?;
    writeln!(w, "{}", l(zh, "地理配准", "Georeferencing"))?;
    match &g.map_conversion {
        Some(mc) => writeln!(
            w,
            "  {}: E {:.3} m, N {:.3} m, H {:.3} m, {} {:.4}°, CRS {}",
            mc.source,
            mc.eastings_m,
            mc.northings_m,
            mc.orthogonal_height_m,
            l(zh, "旋转", "rotation"),
            mc.rotation_deg,
            mc.crs
                .as_ref()
                .and_then(|c| c.name.as_deref())
                .unwrap_or("—")
        )?,
        None => writeln!(w, "  IfcMapConversion: —")?,
    }
    if let Some(s) = &g.site_ref {
        writeln!(
            w,
            "  IfcSite RefLatitude/RefLongitude: {:.6}, {:.6}",
            s.lat, s.lon
        )?;
    }
    writeln!(w, "  {}: {:?}", l(zh, "可信度", "Confidence"), g.confidence)?;
    for x in &g.warnings {
        writeln!(w, "  ! {x}")?;
    }
    Ok(())
}
