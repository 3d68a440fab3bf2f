//! Site-model benchmark: load a large synthetic site package through GDAL and run
//! neighbourhood / nearest-road queries against the R-tree.
//!
//! ```sh
//! cargo run --release -p zhishen-site --example bench_site -- [--parcels N] [--queries Q] [--dir D]
//! ```
//!
//! The package (parcel.gpkg + road_red_line.gpkg, EPSG:4547) is generated once and cached in
//! D (default `$HOME/.cache/zhishen/bench/site-N`). The query footprints are written to
//! `D/queries.csv` (id, wkt) so `bench/site_bench.py` runs the same queries in PostGIS.
//! Prints one JSON line with all figures.

use gdal::spatial_ref::SpatialRef;
use gdal::vector::OGRwkbGeometryType;
use gdal::vector::{Defn, Feature, Geometry, LayerAccess, LayerOptions, OGRFieldType};
use gdal::DriverManager;
use geo::{Coord, Rect};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;
use zhishen_site::{Kind, Severity, SiteModel};

/// Origin of the grid in EPSG:4547 (CGCS2000 / 3-degree Gauss-Kruger CM 114E).
const X0: f64 = 500_000.0;
const Y0: f64 = 3_300_000.0;
/// Parcel pitch inside a block, parcels per block side, road width between blocks.
const PARCEL: f64 = 30.0;
const BLOCK: usize = 10;
const ROAD: f64 = 20.0;
const BLOCK_PITCH: f64 = BLOCK as f64 * PARCEL + ROAD;
/// Query footprint side and neighbourhood distance.
const FOOT: f64 = 20.0;
const NEAR: f64 = 50.0;
const SEED: u64 = 0x5eed_2026;
/// Bump when the generated data changes so cached packages are rebuilt.
const FORMAT: &str = "site-bench v1";

struct Args {
    parcels: usize,
    queries: usize,
    dir: PathBuf,
    threads: usize,
}

fn usage() -> ! {
    eprintln!("usage: bench_site [--parcels N] [--queries Q] [--dir D] [--threads T]");
    std::process::exit(2)
}

fn args() -> Args {
    let mut parcels = 1_000_000usize;
    let mut queries = 100_000usize;
    let mut dir: Option<PathBuf> = None;
    let mut threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut val = || it.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--parcels" => parcels = val().parse().unwrap_or_else(|_| usage()),
            "--queries" => queries = val().parse().unwrap_or_else(|_| usage()),
            "--dir" => dir = Some(PathBuf::from(val())),
            "--threads" => threads = val().parse().unwrap_or_else(|_| usage()),
            "-h" | "--help" => usage(),
            _ => usage(),
        }
    }
    let dir = dir.unwrap_or_else(|| {
        let home = std::env::var_os("HOME").unwrap_or_else(|| ".".into());
        PathBuf::from(home).join(format!(".cache/zhishen/bench/site-{parcels}"))
    });
    Args {
        parcels: parcels.max(1),
        queries,
        dir,
        threads: threads.max(1),
    }
}

/// SplitMix64: small, fixed-seed, reproducible.
struct Rng(u64);
impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Grid layout: `cols` parcels per row, rows filled until N.
struct Layout {
    n: usize,
    cols: usize,
    rows: usize,
}

impl Layout {
    fn new(n: usize) -> Self {
        let cols = (n as f64).sqrt().ceil() as usize;
        let rows = n.div_ceil(cols);
        Layout { n, cols, rows }
    }
    fn blocks_x(&self) -> usize {
        self.cols.div_ceil(BLOCK)
    }
    fn blocks_y(&self) -> usize {
        self.rows.div_ceil(BLOCK)
    }
    /// Lower-left corner of the parcel cell (i = column, j = row).
    fn cell(&self, i: usize, j: usize) -> (f64, f64) {
        (
            X0 + (i / BLOCK) as f64 * BLOCK_PITCH + (i % BLOCK) as f64 * PARCEL,
            Y0 + (j / BLOCK) as f64 * BLOCK_PITCH + (j % BLOCK) as f64 * PARCEL,
        )
    }
    /// Extent covered by blocks and the roads around them.
    fn extent(&self) -> Rect<f64> {
        Rect::new(
            Coord {
                x: X0 - ROAD,
                y: Y0 - ROAD,
            },
            Coord {
                x: X0 + self.blocks_x() as f64 * BLOCK_PITCH,
                y: Y0 + self.blocks_y() as f64 * BLOCK_PITCH,
            },
        )
    }
}

fn ring_wkt(pts: &[(f64, f64)]) -> String {
    let mut s = String::from("POLYGON((");
    for (k, (x, y)) in pts.iter().chain(pts.first()).enumerate() {
        if k > 0 {
            s.push(',');
        }
        s.push_str(&format!("{x} {y}"));
    }
    s.push_str("))");
    s
}

/// A parcel: its cell with each corner pulled inward by up to 1.5 m (a convex quadrilateral).
fn parcel_wkt(rng: &mut Rng, x: f64, y: f64) -> String {
    let mut j = || (rng.unit() * 1500.0).round() / 1000.0;
    let pts = [
        (x + j(), y + j()),
        (x + PARCEL - j(), y + j()),
        (x + PARCEL - j(), y + PARCEL - j()),
        (x + j(), y + PARCEL - j()),
    ];
    ring_wkt(&pts)
}

const LAND_USES: &[&str] = &["R2", "B1", "A33", "G1", "M1", "S42", "R21", "B29"];

fn gdal_err(what: &str) -> impl Fn(gdal::errors::GdalError) -> String + '_ {
    move |e| format!("{what}: {e}")
}

fn generate(dir: &Path, lay: &Layout) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for f in ["parcel.gpkg", "road_red_line.gpkg", "generated.txt"] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    let drv = DriverManager::get_driver_by_name("GPKG").map_err(gdal_err("GPKG driver"))?;
    let srs = SpatialRef::from_epsg(4547).map_err(gdal_err("EPSG:4547"))?;

    // Parcels, one transaction.
    {
        let mut ds = drv
            .create_vector_only(dir.join("parcel.gpkg"))
            .map_err(gdal_err("create parcel.gpkg"))?;
        let mut txn = ds.start_transaction().map_err(gdal_err("transaction"))?;
        {
            let lyr = txn
                .create_layer(LayerOptions {
                    name: "parcel",
                    srs: Some(&srs),
                    ty: OGRwkbGeometryType::wkbPolygon,
                    options: None,
                })
                .map_err(gdal_err("create layer"))?;
            lyr.create_defn_fields(&[
                ("地块编号", OGRFieldType::OFTString),
                ("用地性质", OGRFieldType::OFTString),
            ])
            .map_err(gdal_err("fields"))?;
            let defn = Defn::from_layer(&lyr);
            let mut rng = Rng(SEED ^ 0x9a7c);
            for k in 0..lay.n {
                let (i, j) = (k % lay.cols, k / lay.cols);
                let (x, y) = lay.cell(i, j);
                let mut f = Feature::new(&defn).map_err(gdal_err("feature"))?;
                let g = Geometry::from_wkt(&parcel_wkt(&mut rng, x, y)).map_err(gdal_err("wkt"))?;
                f.set_geometry(g).map_err(gdal_err("geometry"))?;
                f.set_field_string(0, &format!("P{k:07}"))
                    .map_err(gdal_err("field"))?;
                f.set_field_string(1, LAND_USES[k % LAND_USES.len()])
                    .map_err(gdal_err("field"))?;
                f.create(&lyr).map_err(gdal_err("write parcel"))?;
            }
        }
        txn.commit().map_err(gdal_err("commit parcels"))?;
    }

    // Roads: a rectangle along each side of every block (intersections left open).
    {
        let mut ds = drv
            .create_vector_only(dir.join("road_red_line.gpkg"))
            .map_err(gdal_err("create road_red_line.gpkg"))?;
        let mut txn = ds.start_transaction().map_err(gdal_err("transaction"))?;
        {
            let lyr = txn
                .create_layer(LayerOptions {
                    name: "road_red_line",
                    srs: Some(&srs),
                    ty: OGRwkbGeometryType::wkbPolygon,
                    options: None,
                })
                .map_err(gdal_err("create layer"))?;
            lyr.create_defn_fields(&[
                ("id", OGRFieldType::OFTInteger64),
                ("width", OGRFieldType::OFTReal),
            ])
            .map_err(gdal_err("fields"))?;
            let defn = Defn::from_layer(&lyr);
            let side = BLOCK as f64 * PARCEL;
            let (bx, by) = (lay.blocks_x(), lay.blocks_y());
            let mut id: i64 = 0;
            let mut put = |x0: f64, y0: f64, x1: f64, y1: f64| -> Result<(), String> {
                id += 1;
                let mut f = Feature::new(&defn).map_err(gdal_err("feature"))?;
                let g = Geometry::from_wkt(&ring_wkt(&[(x0, y0), (x1, y0), (x1, y1), (x0, y1)]))
                    .map_err(gdal_err("wkt"))?;
                f.set_geometry(g).map_err(gdal_err("geometry"))?;
                f.set_field_integer64(0, id).map_err(gdal_err("field"))?;
                f.set_field_double(1, ROAD).map_err(gdal_err("field"))?;
                f.create(&lyr).map_err(gdal_err("write road"))
            };
            for j in 0..=by {
                for i in 0..bx {
                    // Horizontal road below block row j.
                    let x = X0 + i as f64 * BLOCK_PITCH;
                    let y = Y0 + j as f64 * BLOCK_PITCH;
                    put(x, y - ROAD, x + side, y)?;
                }
            }
            for i in 0..=bx {
                for j in 0..by {
                    // Vertical road left of block column i.
                    let x = X0 + i as f64 * BLOCK_PITCH;
                    let y = Y0 + j as f64 * BLOCK_PITCH;
                    put(x - ROAD, y, x, y + side)?;
                }
            }
        }
        txn.commit().map_err(gdal_err("commit roads"))?;
    }
    std::fs::write(
        dir.join("generated.txt"),
        format!("{FORMAT} parcels={}\n", lay.n),
    )
    .map_err(|e| e.to_string())
}

fn is_cached(dir: &Path, n: usize) -> bool {
    dir.join("parcel.gpkg").is_file()
        && dir.join("road_red_line.gpkg").is_file()
        && std::fs::read_to_string(dir.join("generated.txt"))
            .is_ok_and(|s| s.trim() == format!("{FORMAT} parcels={n}"))
}

/// Query footprints: 20 x 20 m squares at pseudo-random positions over the extent.
fn footprints(lay: &Layout, q: usize) -> Vec<geo::Geometry<f64>> {
    let e = lay.extent();
    let mut rng = Rng(SEED);
    (0..q)
        .map(|_| {
            let x = e.min().x + rng.unit() * (e.width() - FOOT);
            let y = e.min().y + rng.unit() * (e.height() - FOOT);
            geo::Geometry::Polygon(
                Rect::new(
                    Coord { x, y },
                    Coord {
                        x: x + FOOT,
                        y: y + FOOT,
                    },
                )
                .to_polygon(),
            )
        })
        .collect()
}

fn write_queries(path: &Path, qs: &[geo::Geometry<f64>]) -> Result<(), String> {
    let f = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut w = std::io::BufWriter::new(f);
    let io = |e: std::io::Error| format!("{}: {e}", path.display());
    writeln!(w, "id,wkt").map_err(io)?;
    for (k, g) in qs.iter().enumerate() {
        let geo::Geometry::Polygon(p) = g else {
            continue;
        };
        let pts: Vec<(f64, f64)> = p.exterior().coords().map(|c| (c.x, c.y)).collect();
        // ring_wkt closes the ring itself.
        writeln!(w, "{k},\"{}\"", ring_wkt(&pts[..pts.len() - 1])).map_err(io)?;
    }
    w.flush().map_err(io)
}

fn neighbourhood(m: &SiteModel, qs: &[geo::Geometry<f64>]) -> u64 {
    qs.iter()
        .map(|g| m.within(Kind::Parcel, g, NEAR).len() as u64)
        .sum()
}

/// (sum of nearest-road distances, queries without a road).
fn nearest(m: &SiteModel, qs: &[geo::Geometry<f64>]) -> (f64, u64) {
    let mut sum = 0.0;
    let mut missing = 0;
    for g in qs {
        match m.nearest(Kind::RoadRedLine, g) {
            Some((_, d)) => sum += d,
            None => missing += 1,
        }
    }
    (sum, missing)
}

/// Runs `f` over `threads` contiguous chunks of the queries in parallel; returns seconds.
fn parallel<T: Send>(
    qs: &[geo::Geometry<f64>],
    threads: usize,
    f: impl Fn(&[geo::Geometry<f64>]) -> T + Sync,
) -> (Vec<T>, f64) {
    let chunk = qs.len().div_ceil(threads).max(1);
    let t = Instant::now();
    let out = std::thread::scope(|s| {
        let hs: Vec<_> = qs.chunks(chunk).map(|c| s.spawn(|| f(c))).collect();
        hs.into_iter()
            .map(|h| h.join().expect("query thread panicked"))
            .collect()
    });
    (out, t.elapsed().as_secs_f64())
}

fn qps(q: usize, secs: f64) -> f64 {
    if secs > 0.0 {
        q as f64 / secs
    } else {
        f64::INFINITY
    }
}

fn main() {
    let a = args();
    let lay = Layout::new(a.parcels);

    let gen_t = Instant::now();
    let generated = if is_cached(&a.dir, a.parcels) {
        false
    } else {
        eprintln!(
            "generating {} parcels in {} (once) ...",
            a.parcels,
            a.dir.display()
        );
        if let Err(e) = generate(&a.dir, &lay) {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
        true
    };
    let gen_s = gen_t.elapsed().as_secs_f64();

    let qs = footprints(&lay, a.queries);
    if let Err(e) = write_queries(&a.dir.join("queries.csv"), &qs) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }

    let (t, cpu) = (Instant::now(), cpu_seconds());
    let m = match zhishen_site::load(&a.dir) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let load_s = t.elapsed().as_secs_f64();
    let load_cpu_s = cpu_seconds().zip(cpu).map(|(b, a)| b - a);
    let errors = m
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    // Layers GDAL's Arrow stream read (the rest went feature by feature).
    let arrow_layers: Vec<&str> = m
        .layers
        .iter()
        .filter(|l| l.arrow)
        .map(|l| l.layer.as_str())
        .collect();
    let parcels = m.count(Kind::Parcel);
    let roads = m.count(Kind::RoadRedLine);

    // Single thread (the comparable figure: one PostGIS backend is one thread).
    let t = Instant::now();
    let nb_hits = neighbourhood(&m, &qs);
    let nb_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let (near_sum, near_missing) = nearest(&m, &qs);
    let near_s = t.elapsed().as_secs_f64();

    // All threads (the model is shared read-only).
    let (nb_mt, nb_mt_s) = parallel(&qs, a.threads, |c| neighbourhood(&m, c));
    let (near_mt, near_mt_s) = parallel(&qs, a.threads, |c| nearest(&m, c));
    let nb_mt_hits: u64 = nb_mt.iter().sum();
    let near_mt_missing: u64 = near_mt.iter().map(|x| x.1).sum();
    assert_eq!(
        nb_mt_hits, nb_hits,
        "threaded neighbourhood checksum differs"
    );
    assert_eq!(near_mt_missing, near_missing);

    let nb_qps = qps(a.queries, nb_s);
    let near_qps = qps(a.queries, near_s);
    let yes = |b: bool| if b { "yes" } else { "no" };
    let out = serde_json::json!({
        "parcels": parcels,
        "roads": roads,
        "queries": a.queries,
        "dir": a.dir.display().to_string(),
        "generated": generated,
        "generate_seconds": if generated { Some(gen_s) } else { None },
        "load_seconds": load_s,
        "load_cpu_seconds": load_cpu_s,
        "arrow_layers": arrow_layers,
        "findings": m.findings.len(),
        "finding_errors": errors,
        "neighbourhood_distance_m": NEAR,
        "footprint_m": FOOT,
        "neighbourhood_seconds": nb_s,
        "neighbourhood_qps": nb_qps,
        "neighbourhood_checksum": nb_hits,
        "nearest_seconds": near_s,
        "nearest_qps": near_qps,
        "nearest_checksum": format!("{near_sum:.3}"),
        "nearest_missing": near_missing,
        "threads": a.threads,
        "neighbourhood_qps_mt": qps(a.queries, nb_mt_s),
        "nearest_qps_mt": qps(a.queries, near_mt_s),
        "goal_load_lt_2s": yes(load_s < 2.0),
        "goal_250k_qps": yes(nb_qps >= 250_000.0 && near_qps >= 250_000.0),
    });
    println!("{out}");
}

/// CPU seconds (user + system, all threads) the process has used so far, from
/// /proc/self/stat (Linux; `None` elsewhere). On a shared machine the load's wall time
/// depends on the other jobs; its CPU time much less so.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    // USER_HZ is 100 on every Linux this runs on.
    Some(ticks / 100.0)
}
