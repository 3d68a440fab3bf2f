//! A layer read through GDAL's Arrow stream (`OGR_L_GetArrowStream`, GDAL ≥ 3.6), with
//! each batch's rows — WKB parsing, GEOS validity, attributes — built on every core
//! while GDAL reads the next batch. The feature-by-feature read was the sequential
//! bulk of a large load (issue 13: 1M parcels in 3.6–7 s).
//!
//! The result must be the feature path's, feature for feature and finding for finding
//! (`build_feature` and `checked_geometry` are shared). So the stream is used only
//! where it provably sees the same values, and anything else falls back to the
//! feature path (`Err`, with nothing of the attempt kept):
//! - no per-vertex change (CRS transform, city plane, swapped axes) and not DXF
//!   (closed polylines and text labels are read by fid the feature way);
//! - one geometry field; attribute types integer, integer64, real, string (GDAL's
//!   Arrow conversion of dates, lists and float32 differs from `FieldValue`);
//! - outside GeoPackage and Shapefile (where a missing value is always NULL), a null
//!   string may be an *unset* field, which the feature path reads as "": any null
//!   string sends the layer back;
//! - WKB the parser leaves to GDAL (empty polygons, curves), malformed Arrow data, a
//!   stream error, or any GDAL message while reading (so that it is reported per fid).
//!
//! Text arrives as GDAL recoded it (the Shapefile `ENCODING` open option applies to
//! the stream as to features), and is decoded the same lossy way as the gdal crate does.

use crate::arrow::{ArrowError, Batch, Cell, Column, ColumnSchema, Stream, Values};
use crate::cpl::Capture;
use crate::load::{
    build_feature, checked_geometry, gdal_findings, limit_finding, LayerRead, Out, Record, RowCtx,
};
use crate::model::{Feature, Finding};
use crate::options::Limit;
use crate::wkb;
use gdal::vector::{FieldValue, LayerAccess, OGRFieldType};
use rayon::prelude::*;

/// Rows per batch: large enough to amortise a batch, small enough that the reading
/// and the parsing of consecutive batches overlap well.
const BATCH_ROWS: usize = 16_384;

/// Why a layer goes back to the feature path.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Fallback {
    #[error(transparent)]
    Arrow(#[from] ArrowError),
    #[error("{0}")]
    Layer(String),
    #[error("fid {fid:?}: {why}")]
    Row { fid: Option<u64>, why: String },
}

/// Whether the stream may be tried for this layer at all.
pub(crate) fn eligible(ctx: &LayerRead<'_>) -> bool {
    ctx.transform.is_none() && !ctx.axis_swapped && ctx.row.s.plane.is_none() && ctx.driver != "DXF"
}

/// The columns: FID first, the attribute fields in order, the geometry last.
struct Layout {
    schema: Vec<ColumnSchema>,
    /// A null string may be an unset field (see the module header).
    null_string_ambiguous: bool,
}

/// The attribute field types, when the layer has one geometry field.
fn field_types(layer: &gdal::vector::Layer<'_>) -> Result<Vec<OGRFieldType::Type>, Fallback> {
    let defn = layer.defn();
    if defn.geom_fields().count() != 1 {
        return Err(Fallback::Layer("not one geometry field".into()));
    }
    Ok(defn.fields().map(|f| f.field_type()).collect())
}

fn layout(
    ctx: &LayerRead<'_>,
    types: &[OGRFieldType::Type],
    stream: &mut Stream<'_>,
) -> Result<Layout, Fallback> {
    let schema = stream.schema()?;
    if schema.len() != types.len() + 2 {
        return Err(Fallback::Layer(format!(
            "{} Arrow columns for {} fields",
            schema.len(),
            types.len()
        )));
    }
    let fits = |ty: OGRFieldType::Type, format: &str| match ty {
        OGRFieldType::OFTInteger => matches!(format, "i" | "s" | "b"),
        OGRFieldType::OFTInteger64 => format == "l",
        OGRFieldType::OFTReal => format == "g",
        OGRFieldType::OFTString => matches!(format, "u" | "U"),
        _ => false,
    };
    let geometry = &schema[schema.len() - 1].format;
    let fields_fit = types
        .iter()
        .zip(&schema[1..])
        .all(|(ty, c)| fits(*ty, &c.format));
    if schema[0].format != "l" || !matches!(geometry.as_str(), "z" | "Z") || !fields_fit {
        let formats: Vec<&str> = schema.iter().map(|c| c.format.as_str()).collect();
        return Err(Fallback::Layer(format!("column types {formats:?}")));
    }
    Ok(Layout {
        schema,
        null_string_ambiguous: !matches!(ctx.driver.as_str(), "GPKG" | "ESRI Shapefile"),
    })
}

/// Reads the layer through its Arrow stream: `Ok(Some(n))` features returned,
/// `Ok(None)` when reading stopped at the feature limit (with a finding), `Err` when
/// the caller must read the layer feature by feature instead.
pub(crate) fn read_layer(
    ctx: &LayerRead<'_>,
    layer: &mut gdal::vector::Layer<'_>,
    capture: &Capture,
    out: &mut Out,
) -> Result<Option<u64>, Fallback> {
    let batch_opt = format!("MAX_FEATURES_IN_BATCH={BATCH_ROWS}");
    let _ = capture.drain();
    let types = field_types(layer)?;
    let mut stream = Stream::open(layer, &["INCLUDE_FID=YES", &batch_opt])?;
    let lay = layout(ctx, &types, &mut stream)?;
    quiet(capture)?;
    let max = ctx.row.limits.max_features_per_layer;
    let mut returned = 0u64;
    let mut pending = stream.next_batch()?;
    quiet(capture)?;
    let mut rows: Vec<Result<Row, Fallback>> = Vec::new();
    while let Some(batch) = pending.take() {
        let cols = columns(&batch, &lay)?;
        let take = batch
            .len()
            .min(usize::try_from(max - returned).unwrap_or(usize::MAX));
        // This batch's rows are built on the pool while GDAL reads the next one here.
        let (row, cols_ref, buf) = (&ctx.row, &cols, &mut rows);
        let next = std::thread::scope(|s| {
            let worker = s.spawn(move || build_rows(row, cols_ref, take, buf));
            let next = stream.next_batch();
            worker
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            next
        });
        quiet(capture)?;
        for r in rows.drain(..) {
            let (feature, findings) = r?;
            out.findings.extend(findings);
            out.features.extend(feature);
        }
        returned += take as u64;
        if take < batch.len() {
            let fid = fid_of(&cols[0], take);
            out.findings.push(limit_finding(
                &ctx.row.here,
                fid,
                Limit::FeaturesPerLayer,
                returned + 1,
                max,
            ));
            return Ok(None);
        }
        pending = next?;
    }
    Ok(Some(returned))
}

/// Any GDAL message while the stream reads sends the layer back to the feature path,
/// which attributes it to a fid.
fn quiet(capture: &Capture) -> Result<(), Fallback> {
    let (messages, dropped) = capture.drain();
    match messages.first() {
        Some(m) => Err(Fallback::Layer(format!("GDAL said: {}", m.text.trim()))),
        None if dropped > 0 => Err(Fallback::Layer("GDAL messages".into())),
        None => Ok(()),
    }
}

fn columns<'b>(batch: &'b Batch, lay: &Layout) -> Result<Vec<Column<'b>>, Fallback> {
    let cols = batch.columns(&lay.schema)?;
    if lay.null_string_ambiguous {
        let n = cols.len();
        for (c, s) in cols[1..n - 1].iter().zip(&lay.schema[1..n - 1]) {
            if matches!(s.format.as_str(), "u" | "U") && (0..batch.len()).any(|i| c.is_null(i)) {
                return Err(Fallback::Layer(format!(
                    "field {:?} has nulls that may be unset values",
                    s.name
                )));
            }
        }
    }
    Ok(cols)
}

fn fid_of(c: &Column<'_>, i: usize) -> Option<u64> {
    match c.get(i) {
        Some(Cell::Int(v)) => u64::try_from(v).ok(),
        _ => None,
    }
}

type Row = (Option<Feature>, Vec<Finding>);

/// The first `n` rows, in order, built in parallel into `out` (reused across batches).
fn build_rows(
    ctx: &RowCtx<'_>,
    cols: &[Column<'_>],
    n: usize,
    out: &mut Vec<Result<Row, Fallback>>,
) {
    (0..n)
        .into_par_iter()
        .with_min_len(256)
        .map(|i| build_row(ctx, cols, i))
        .collect_into_vec(out);
}

fn build_row(ctx: &RowCtx<'_>, cols: &[Column<'_>], i: usize) -> Result<Row, Fallback> {
    // GDAL and GEOS messages raised for this row (on this thread) become its findings.
    let capture = Capture::start();
    let fid = fid_of(&cols[0], i);
    let last = cols.len() - 1;
    let values = cols[1..last]
        .iter()
        .map(|c| value(c.get(i), matches!(c.values, Values::Int64(_))))
        .collect();
    let geometry = row_geometry(ctx, fid, cols[last].get(i))?;
    let mut findings = Vec::new();
    let feature = build_feature(
        ctx,
        Record {
            fid,
            values,
            geometry,
        },
        &mut findings,
    );
    let (messages, _) = capture.drain();
    gdal_findings(&ctx.here, fid, &messages, &mut findings);
    Ok((feature, findings))
}

/// A cell as the gdal crate's `FieldValue` of the field's type (checked in `layout`):
/// an int64 column (OFTInteger64) gives `Integer64Value` whatever the value, as a
/// feature does; text is decoded the lossy way the gdal crate decodes a feature's.
fn value(cell: Option<Cell<'_>>, int64: bool) -> Option<FieldValue> {
    Some(match cell? {
        Cell::Int(v) if int64 => FieldValue::Integer64Value(v),
        Cell::Int(v) => match i32::try_from(v) {
            Ok(v) => FieldValue::IntegerValue(v),
            Err(_) => FieldValue::Integer64Value(v),
        },
        Cell::Real(v) => FieldValue::RealValue(v),
        Cell::Text(b) | Cell::Bytes(b) => {
            FieldValue::StringValue(String::from_utf8_lossy(b).into_owned())
        }
    })
}

type Checked = Result<(geo::Geometry<f64>, Option<String>), Box<Finding>>;

/// The row's geometry as the feature path would have it; `Err(Fallback)` for WKB the
/// parser leaves to GDAL.
fn row_geometry(
    ctx: &RowCtx<'_>,
    fid: Option<u64>,
    cell: Option<Cell<'_>>,
) -> Result<Checked, Fallback> {
    let here = &ctx.here;
    let Some(Cell::Bytes(bytes)) = cell else {
        return Ok(Err(Box::new(here.error(
            "no_geometry",
            fid,
            None,
            "feature has no geometry; skipped".into(),
        ))));
    };
    let parsed = wkb::parse(bytes).map_err(|e| Fallback::Row {
        fid,
        why: e.to_string(),
    })?;
    let max = ctx.limits.max_vertices_per_feature;
    if parsed.vertices > max {
        return Ok(Err(Box::new(limit_finding(
            here,
            fid,
            Limit::VerticesPerFeature,
            parsed.vertices,
            max,
        ))));
    }
    let flatten = parsed.had_z_or_m;
    let polygonal = matches!(
        parsed.geometry,
        geo::Geometry::Polygon(_) | geo::Geometry::MultiPolygon(_)
    );
    // GEOS's verdict on the geometry as GDAL would hold it (flattened when 3-D).
    let valid_as_read = || {
        polygonal.then(|| {
            gdal::vector::Geometry::from_wkb(bytes).is_ok_and(|mut g| {
                if flatten {
                    g.flatten_to_2d();
                }
                g.is_valid()
            })
        })
    };
    Ok(checked_geometry(ctx, fid, parsed.geometry, valid_as_read))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_become_the_field_values_the_feature_api_gives() {
        assert_eq!(value(None, false), None);
        assert_eq!(
            value(Some(Cell::Int(7)), false),
            Some(FieldValue::IntegerValue(7))
        );
        // An OFTInteger64 field is Integer64Value even when the value is small.
        assert_eq!(
            value(Some(Cell::Int(7)), true),
            Some(FieldValue::Integer64Value(7))
        );
        assert_eq!(
            value(Some(Cell::Int(1 << 40)), false),
            Some(FieldValue::Integer64Value(1 << 40))
        );
        assert_eq!(
            value(Some(Cell::Real(2.5)), false),
            Some(FieldValue::RealValue(2.5))
        );
        let text = |b: &[u8]| value(Some(Cell::Text(b)), false);
        assert_eq!(
            text("滨江".as_bytes()),
            Some(FieldValue::StringValue("滨江".into()))
        );
        // Not UTF-8 (GBK 滨 = B1 F5, then "A", that no encoding recoded): each bad
        // byte replaced, as the gdal crate does.
        assert_eq!(
            text(&[0xB1, 0xF5, b'A']),
            Some(FieldValue::StringValue("\u{FFFD}\u{FFFD}A".into()))
        );
    }
}
