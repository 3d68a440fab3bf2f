//! WKB → geo, for geometries that arrive as bytes (GDAL's Arrow stream). Pure and
//! `Send`, so the loader parses a batch on every core, where OGR geometries would be
//! built one by one on the reading thread.
//!
//! The result must equal what the feature path gets from GDAL's own conversion
//! (`geo::Geometry::try_from(&gdal::vector::Geometry)` after `flatten_to_2d`): Z and M
//! are dropped, polygons are built with `Polygon::new` (which closes open rings), and
//! the vertex count is OGR's (rings as stored, before closing). Whatever that conversion
//! treats in its own way — empty polygons and points, curves, surfaces — is
//! `Unsupported` here, and the caller reads the layer feature by feature instead.

use geo::{
    Coord, Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon,
    Point, Polygon,
};

#[derive(Debug, thiserror::Error, PartialEq)]
pub(crate) enum WkbError {
    #[error("WKB geometry not read here: {0}")]
    Unsupported(String),
    #[error("malformed WKB: {0}")]
    Malformed(&'static str),
}

/// A parsed geometry with what the loader checks before using it.
/// (An M-only geometry is `Unsupported`: the feature path does not flatten it.)
#[derive(Debug)]
pub(crate) struct Parsed {
    pub geometry: Geometry<f64>,
    /// Vertices over all parts and rings, as stored.
    pub vertices: u64,
    /// Z or M values were dropped.
    pub had_z_or_m: bool,
}

/// Collections nested deeper than this are left to GDAL.
const MAX_DEPTH: usize = 32;

pub(crate) fn parse(wkb: &[u8]) -> Result<Parsed, WkbError> {
    let mut r = Reader {
        b: wkb,
        pos: 0,
        vertices: 0,
        had_z_or_m: false,
    };
    let geometry = r.geometry(0, None)?;
    if r.pos != wkb.len() {
        return Err(WkbError::Malformed("trailing bytes"));
    }
    Ok(Parsed {
        geometry,
        vertices: r.vertices,
        had_z_or_m: r.had_z_or_m,
    })
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
    vertices: u64,
    had_z_or_m: bool,
}

/// A geometry header: little-endian or not, base type 1..=7 and coordinate dimension.
struct Header {
    le: bool,
    base: u32,
    dims: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], WkbError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or(WkbError::Malformed("truncated"))?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn u32(&mut self, le: bool) -> Result<u32, WkbError> {
        let s: [u8; 4] = self.take(4)?.try_into().expect("4 bytes");
        Ok(if le {
            u32::from_le_bytes(s)
        } else {
            u32::from_be_bytes(s)
        })
    }

    fn header(&mut self) -> Result<Header, WkbError> {
        let le = match self.take(1)?[0] {
            0 => false,
            1 => true,
            _ => return Err(WkbError::Malformed("byte order")),
        };
        let code = self.u32(le)?;
        // EWKB-style flags (OGR writes wkb25DBit for 2.5D), else ISO thousands.
        let (z_flag, m_flag, srid) = (
            code & 0x8000_0000 != 0,
            code & 0x4000_0000 != 0,
            code & 0x2000_0000 != 0,
        );
        if srid {
            self.u32(le)?;
        }
        let iso = code & 0x0fff_ffff;
        let (base, z, m) = match iso / 1000 {
            0 => (iso, z_flag, m_flag),
            1 => (iso % 1000, true, m_flag),
            2 => (iso % 1000, z_flag, true),
            3 => (iso % 1000, true, true),
            _ => return Err(WkbError::Unsupported(format!("type {code:#x}"))),
        };
        // The feature path flattens only what has Z; an M-only geometry is GDAL's to refuse.
        if m && !z {
            return Err(WkbError::Unsupported(format!("measured type {code:#x}")));
        }
        if !(1..=7).contains(&base) {
            return Err(WkbError::Unsupported(format!("type {code:#x}")));
        }
        self.had_z_or_m |= z || m;
        Ok(Header {
            le,
            base,
            dims: 2 + usize::from(z) + usize::from(m),
        })
    }

    fn coords(&mut self, h: &Header) -> Result<Vec<Coord<f64>>, WkbError> {
        let n = self.u32(h.le)? as usize;
        let bytes = n
            .checked_mul(h.dims * 8)
            .ok_or(WkbError::Malformed("point count"))?;
        self.vertices += n as u64;
        let s = self.take(bytes)?;
        let f = |c: &[u8]| {
            let a: [u8; 8] = c.try_into().expect("8 bytes");
            if h.le {
                f64::from_le_bytes(a)
            } else {
                f64::from_be_bytes(a)
            }
        };
        Ok(s.chunks_exact(h.dims * 8)
            .map(|p| Coord {
                x: f(&p[0..8]),
                y: f(&p[8..16]),
            })
            .collect())
    }

    fn polygon(&mut self, h: &Header) -> Result<Polygon<f64>, WkbError> {
        let rings = self.u32(h.le)? as usize;
        if rings == 0 {
            return Err(WkbError::Unsupported("empty polygon".into()));
        }
        // Each ring takes at least its 4-byte count.
        if rings > (self.b.len() - self.pos) / 4 {
            return Err(WkbError::Malformed("ring count"));
        }
        let outer = LineString(self.coords(h)?);
        let mut holes = Vec::with_capacity(rings - 1);
        for _ in 1..rings {
            holes.push(LineString(self.coords(h)?));
        }
        Ok(Polygon::new(outer, holes))
    }

    /// A geometry; `want` is the base type a multi-geometry's member must have.
    fn geometry(&mut self, depth: usize, want: Option<u32>) -> Result<Geometry<f64>, WkbError> {
        if depth > MAX_DEPTH {
            return Err(WkbError::Unsupported("collections nested too deep".into()));
        }
        let h = self.header()?;
        if want.is_some_and(|w| w != h.base) {
            return Err(WkbError::Malformed("member of a different type"));
        }
        Ok(match h.base {
            1 => {
                let c = self.coords_fixed(&h)?;
                if c.x.is_nan() && c.y.is_nan() {
                    return Err(WkbError::Unsupported("empty point".into()));
                }
                Geometry::Point(Point(c))
            }
            2 => Geometry::LineString(LineString(self.coords(&h)?)),
            3 => Geometry::Polygon(self.polygon(&h)?),
            _ => {
                let n = self.u32(h.le)? as usize;
                // Each member takes at least its 5-byte header.
                if n > (self.b.len() - self.pos) / 5 {
                    return Err(WkbError::Malformed("member count"));
                }
                let member = (h.base != 7).then_some(h.base - 3);
                let mut parts = Vec::with_capacity(n);
                for _ in 0..n {
                    parts.push(self.geometry(depth + 1, member)?);
                }
                collect(h.base, parts)
            }
        })
    }

    /// A point's single coordinate (no count in WKB).
    fn coords_fixed(&mut self, h: &Header) -> Result<Coord<f64>, WkbError> {
        let le = h.le;
        let s = self.take(h.dims * 8)?;
        let f = |c: &[u8]| {
            let a: [u8; 8] = c.try_into().expect("8 bytes");
            if le {
                f64::from_le_bytes(a)
            } else {
                f64::from_be_bytes(a)
            }
        };
        let c = Coord {
            x: f(&s[0..8]),
            y: f(&s[8..16]),
        };
        self.vertices += 1;
        Ok(c)
    }
}

/// Members of a multi-geometry or collection (types checked by the caller).
fn collect(base: u32, parts: Vec<Geometry<f64>>) -> Geometry<f64> {
    match base {
        4 => Geometry::MultiPoint(MultiPoint(
            parts
                .into_iter()
                .filter_map(|g| match g {
                    Geometry::Point(p) => Some(p),
                    _ => None,
                })
                .collect(),
        )),
        5 => Geometry::MultiLineString(MultiLineString(
            parts
                .into_iter()
                .filter_map(|g| match g {
                    Geometry::LineString(l) => Some(l),
                    _ => None,
                })
                .collect(),
        )),
        6 => Geometry::MultiPolygon(MultiPolygon(
            parts
                .into_iter()
                .filter_map(|g| match g {
                    Geometry::Polygon(p) => Some(p),
                    _ => None,
                })
                .collect(),
        )),
        _ => Geometry::GeometryCollection(GeometryCollection(parts)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gdal::vector::ToGdal;

    /// WKB written by GDAL parses to what GDAL's own conversion gives.
    #[test]
    fn gdal_wkb_parses_like_gdal_converts() {
        for wkt in [
            "POINT (1 2)",
            "LINESTRING (0 0,1 1,2 0)",
            "POLYGON ((0 0,10 0,10 10,0 10,0 0),(2 2,3 2,3 3,2 2))",
            "POLYGON ((0 0,10 0,10 10,0 10))",
            "MULTIPOLYGON (((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5)))",
            "MULTILINESTRING ((0 0,1 1),(2 2,3 3,4 4))",
            "MULTIPOINT ((1 2),(3 4))",
            "GEOMETRYCOLLECTION (POINT (1 2),POLYGON ((0 0,1 0,1 1,0 0)))",
            "POLYGON Z ((0 0 5,10 0 5,10 10 5,0 0 5))",
            "MULTIPOLYGON ZM (((0 0 1 2,1 0 1 2,1 1 1 2,0 0 1 2)))",
        ] {
            let g = gdal::vector::Geometry::from_wkt(wkt).unwrap();
            let p = parse(&g.wkb().unwrap()).unwrap_or_else(|e| panic!("{wkt}: {e}"));
            let mut flat = g.clone();
            flat.flatten_to_2d();
            let want = geo::Geometry::try_from(&flat).unwrap();
            assert_eq!(p.geometry, want, "{wkt}");
            assert_eq!(p.vertices, count(&g), "{wkt}");
            assert_eq!(p.had_z_or_m, wkt.contains(" Z"), "{wkt}");
        }
        // ISO WKB (type 1003, Polygon Z), big-endian, as other writers produce it.
        let mut iso = vec![0u8];
        iso.extend(1003u32.to_be_bytes());
        iso.extend(1u32.to_be_bytes());
        iso.extend(4u32.to_be_bytes());
        for (x, y) in [(0.0f64, 0.0f64), (2.0, 0.0), (2.0, 2.0), (0.0, 0.0)] {
            for v in [x, y, 7.0] {
                iso.extend(v.to_be_bytes());
            }
        }
        let p = parse(&iso).unwrap();
        assert!(p.had_z_or_m);
        assert_eq!(p.vertices, 4);
        let tri = LineString::from(vec![(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 0.0)]);
        assert_eq!(p.geometry, Geometry::Polygon(Polygon::new(tri, vec![])));
        // geo → GDAL → WKB round trip of a hand-made polygon.
        let poly = Polygon::new(
            LineString::from(vec![(0.0, 0.0), (4.0, 0.0), (4.0, 3.0)]),
            vec![],
        );
        let wkb = poly.to_gdal().unwrap().wkb().unwrap();
        assert_eq!(parse(&wkb).unwrap().geometry, Geometry::Polygon(poly));
    }

    fn count(g: &gdal::vector::Geometry) -> u64 {
        let n = g.geometry_count();
        if n == 0 {
            return g.point_count() as u64;
        }
        (0..n).map(|i| count(&g.get_geometry(i))).sum()
    }

    #[test]
    fn what_gdal_converts_its_own_way_or_broken_bytes_are_errors() {
        let wkb = |wkt: &str| {
            gdal::vector::Geometry::from_wkt(wkt)
                .unwrap()
                .wkb()
                .unwrap()
        };
        assert!(matches!(
            parse(&wkb("POLYGON EMPTY")),
            Err(WkbError::Unsupported(_))
        ));
        assert!(matches!(
            parse(&wkb("LINESTRING M (0 0 1,1 1 2)")),
            Err(WkbError::Unsupported(_))
        ));
        assert!(matches!(
            parse(&wkb("CIRCULARSTRING (0 0,1 1,2 0)")),
            Err(WkbError::Unsupported(_))
        ));
        let good = wkb("POLYGON ((0 0,10 0,10 10,0 0))");
        for cut in [0, 1, 5, 9, good.len() - 1] {
            assert!(
                matches!(parse(&good[..cut]), Err(WkbError::Malformed(_))),
                "cut at {cut}"
            );
        }
        let mut huge = good.clone();
        huge[9..13].copy_from_slice(&u32::MAX.to_le_bytes()); // ring count
        assert!(parse(&huge).is_err());
        let mut bad_order = good.clone();
        bad_order[0] = 7;
        assert_eq!(
            parse(&bad_order).unwrap_err(),
            WkbError::Malformed("byte order")
        );
    }
}
