//! Human-readable `site info` output, Chinese first with English beside.

use std::io::{Result, Write};

pub fn print_site(w: &mut impl Write, m: &zhishen_site::SiteModel) -> Result<()> {
    writeln!(w, "坐标系 CRS: {}", m.crs)?;
    if let Some(c) = &m.crs_choice {
        writeln!(w, "  选定依据 chosen by: {} — {}", c.source, c.reason)?;
    }
    writeln!(w)?;
    writeln!(w, "图层 Layers")?;
    for l in &m.layers {
        let ext = l
            .extent
            .map(|e| format!("[{:.1}, {:.1}] – [{:.1}, {:.1}]", e[0], e[1], e[2], e[3]))
            .unwrap_or_else(|| "—".into());
        writeln!(
            w,
            "  {:<22} {:>6}  {:<12} {}  {}{}",
            l.kind.as_str(),
            l.features,
            if l.crs_assumed {
                format!("{} (assumed)", l.source_crs)
            } else {
                l.source_crs.clone()
            },
            ext,
            l.file,
            l.encoding
                .as_deref()
                .map(|e| format!("  [{e}]"))
                .unwrap_or_default()
        )?;
    }
    print_road_widths(w, m)?;
    if !m.findings.is_empty() {
        writeln!(w)?;
        writeln!(w, "检查发现 Findings")?;
        for f in &m.findings {
            let level = match f.severity {
                zhishen_site::Severity::Error => "错误 error",
                zhishen_site::Severity::Warning => "警告 warning",
            };
            let place = [
                Some(f.file.clone()),
                f.layer.clone(),
                f.fid.map(|x| format!("fid {x}")),
                f.field.clone(),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" / ");
            writeln!(w, "  [{level}] {}: {} ({place})", f.code, f.message)?;
        }
    }
    Ok(())
}

/// Each road's width and where it came from; a road without one says so (the checks
/// that need it are unverifiable).
fn print_road_widths(w: &mut impl Write, m: &zhishen_site::SiteModel) -> Result<()> {
    let roads = m.road_widths();
    if roads.is_empty() {
        return Ok(());
    }
    writeln!(w)?;
    writeln!(w, "道路宽度 Road widths")?;
    for r in &roads {
        let place = match r.fid {
            Some(fid) => format!("{} / {} / fid {fid}", r.file, r.layer),
            None => format!("{} / {}", r.file, r.layer),
        };
        let what = match (r.width_m, r.source) {
            (Some(width), Some(source)) => format!("{width} m  ← {}", width_source(source)),
            (Some(width), None) => format!("{width} m"),
            (None, _) => {
                "无宽度 no width (依赖宽度的核验项无法核验 checks that need it are unverifiable)"
                    .into()
            }
        };
        writeln!(w, "  {:<16} {what}  ({place})", r.road)?;
    }
    Ok(())
}

fn width_source(s: zhishen_site::WidthSource) -> &'static str {
    match s {
        zhishen_site::WidthSource::Attribute => "属性 attribute",
        zhishen_site::WidthSource::SiteToml => "site.toml width_m",
        zhishen_site::WidthSource::LayerName => "图层名 layer name",
        zhishen_site::WidthSource::DxfLabel => "DXF 标注 DXF label",
    }
}
