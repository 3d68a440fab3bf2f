//! Writes the demo district site package (datasets/district): a synthetic but realistic
//! 控规 extract in EPSG:4547 (CGCS2000 / 3-degree Gauss-Kruger, CM 114E).
//!
//! `cargo run -p zhishen-site --example make_district -- datasets/district`
//!
//! Deterministic: the same coordinates and attributes on every run (GeoPackage timestamps
//! are pinned with OGR_CURRENT_DATE). datasets/README.md documents every layer, parcel and
//! the expected outcome of each placed building.

use gdal::spatial_ref::SpatialRef;
use gdal::vector::OGRwkbGeometryType;
use gdal::vector::{Defn, Feature, Geometry, LayerAccess, LayerOptions, OGRFieldType};
use gdal::DriverManager;
use std::path::Path;

const EPSG: u32 = 4547;

enum V {
    S(&'static str),
    F(f64),
}

/// One layer: field definitions and rows of (WKT, values).
struct Layer {
    fields: &'static [(&'static str, OGRFieldType::Type)],
    rows: Vec<(String, Vec<V>)>,
}

fn write(
    path: &Path,
    driver: &str,
    name: &str,
    epsg: Option<u32>,
    layer: &Layer,
    options: &[&str],
) {
    let drv = DriverManager::get_driver_by_name(driver).expect("GDAL driver");
    let mut ds = drv
        .create_vector_only(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let srs = epsg.map(|c| SpatialRef::from_epsg(c).expect("EPSG"));
    let lyr = ds
        .create_layer(LayerOptions {
            name,
            srs: srs.as_ref(),
            ty: OGRwkbGeometryType::wkbUnknown,
            options: (!options.is_empty()).then_some(options),
        })
        .expect("layer");
    lyr.create_defn_fields(layer.fields).expect("fields");
    let defn = Defn::from_layer(&lyr);
    for (wkt, vals) in &layer.rows {
        let mut f = Feature::new(&defn).expect("feature");
        f.set_geometry(Geometry::from_wkt(wkt).unwrap_or_else(|e| panic!("{wkt}: {e}")))
            .expect("geometry");
        for (i, v) in vals.iter().enumerate() {
            match v {
                V::S(s) => f.set_field_string(i, s).expect("string field"),
                V::F(x) => f.set_field_double(i, *x).expect("real field"),
            }
        }
        f.create(&lyr).expect("create feature");
    }
}

/// Axis-aligned rectangle [x0, x1] x [y0, y1] as a WKT polygon (counter-clockwise).
fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> String {
    format!("POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))")
}

// ---------------------------------------------------------------------------------------
// District grid. Columns A-D (west to east) and rows 1-3 (south to north) of blocks,
// separated by road red lines. All numbers in metres, EPSG:4547.
// ---------------------------------------------------------------------------------------

/// Roads: (name, class, width, x0, y0, x1, y1). Horizontal roads span the district east-west,
/// vertical roads north-south; they overlap at intersections like red-line data often does.
const ROADS: &[(&str, &str, f64, f64, f64, f64, f64)] = &[
    // east-west
    (
        "滨江路",
        "次干路",
        30.0,
        528_200.0,
        3_386_380.0,
        529_155.0,
        3_386_410.0,
    ),
    (
        "长江大道",
        "主干路",
        60.0,
        528_200.0,
        3_386_560.0,
        529_155.0,
        3_386_620.0,
    ),
    (
        "学府路",
        "支路",
        20.0,
        528_200.0,
        3_386_770.0,
        529_155.0,
        3_386_790.0,
    ),
    (
        "北环路",
        "次干路",
        30.0,
        528_200.0,
        3_386_940.0,
        529_155.0,
        3_386_970.0,
    ),
    // north-south
    (
        "解放大道",
        "主干路",
        50.0,
        528_200.0,
        3_386_380.0,
        528_250.0,
        3_386_970.0,
    ),
    (
        "中山路",
        "次干路",
        30.0,
        528_450.0,
        3_386_380.0,
        528_480.0,
        3_386_970.0,
    ),
    (
        "友谊路",
        "支路",
        20.0,
        528_680.0,
        3_386_380.0,
        528_700.0,
        3_386_970.0,
    ),
    (
        "建设路",
        "支路",
        15.0,
        528_900.0,
        3_386_380.0,
        528_915.0,
        3_386_970.0,
    ),
    (
        "青年路",
        "次干路",
        40.0,
        529_115.0,
        3_386_380.0,
        529_155.0,
        3_386_970.0,
    ),
];

/// Parcels: (地块编号, 用地性质, 名称, 容积率, 建筑密度 %, 绿地率 %, 建筑限高 m, 道路退线 m,
/// 用地退线 m, x0, y0, x1, y1).
type ParcelRow = (
    &'static str,
    &'static str,
    &'static str,
    f64,
    f64,
    f64,
    f64,
    f64,
    f64,
    [f64; 4],
);

const PARCELS: &[ParcelRow] = &[
    // row 1 (N 3386410-3386560)
    (
        "DK-01",
        "1401",
        "滨江公园",
        0.1,
        5.0,
        70.0,
        10.0,
        5.0,
        3.0,
        [528_250.0, 3_386_410.0, 528_450.0, 3_386_560.0],
    ),
    (
        "DK-05",
        "R2",
        "中山路住宅组团",
        1.8,
        30.0,
        30.0,
        36.0,
        8.0,
        5.0,
        [528_480.0, 3_386_450.0, 528_680.0, 3_386_560.0],
    ),
    (
        "DK-05-1",
        "0701",
        "滨江低层住宅1号地块",
        1.0,
        35.0,
        30.0,
        12.0,
        5.0,
        3.0,
        [528_480.0, 3_386_410.0, 528_520.0, 3_386_450.0],
    ),
    (
        "DK-05-2",
        "R1",
        "滨江低层住宅2号地块",
        0.25,
        35.0,
        30.0,
        12.0,
        5.0,
        3.0,
        [528_520.0, 3_386_410.0, 528_550.0, 3_386_450.0],
    ),
    (
        "DK-05-3",
        "070101",
        "滨江低层住宅3号地块",
        0.8,
        35.0,
        30.0,
        12.0,
        5.0,
        3.0,
        [528_550.0, 3_386_410.0, 528_580.0, 3_386_450.0],
    ),
    (
        "DK-05-4",
        "0701",
        "滨江低层住宅4号地块",
        1.0,
        35.0,
        30.0,
        12.0,
        5.0,
        3.0,
        [528_580.0, 3_386_410.0, 528_620.0, 3_386_450.0],
    ),
    (
        "DK-05-5",
        "0702",
        "社区服务站",
        1.0,
        40.0,
        25.0,
        15.0,
        5.0,
        3.0,
        [528_620.0, 3_386_410.0, 528_680.0, 3_386_450.0],
    ),
    (
        "DK-06",
        "0901",
        "滨江商业中心",
        3.0,
        45.0,
        20.0,
        50.0,
        10.0,
        5.0,
        [528_700.0, 3_386_410.0, 528_900.0, 3_386_560.0],
    ),
    (
        "DK-08",
        "B1",
        "建设路商业街",
        4.0,
        50.0,
        20.0,
        100.0,
        10.0,
        5.0,
        [528_915.0, 3_386_410.0, 529_115.0, 3_386_560.0],
    ),
    // row 2 (N 3386620-3386770)
    (
        "DK-02",
        "R2",
        "解放大道住宅小区",
        2.5,
        30.0,
        30.0,
        60.0,
        10.0,
        5.0,
        [528_250.0, 3_386_620.0, 528_450.0, 3_386_770.0],
    ),
    (
        "DK-07",
        "B1/R2",
        "长江大道商住综合体",
        3.5,
        40.0,
        25.0,
        80.0,
        10.0,
        3.0,
        [528_480.0, 3_386_620.0, 528_680.0, 3_386_770.0],
    ),
    (
        "DK-09",
        "080403",
        "友谊路小学",
        1.0,
        30.0,
        35.0,
        24.0,
        8.0,
        5.0,
        [528_700.0, 3_386_620.0, 528_900.0, 3_386_770.0],
    ),
    (
        "DK-10",
        "0701",
        "青年路住宅小区",
        2.8,
        25.0,
        35.0,
        100.0,
        10.0,
        5.0,
        [528_915.0, 3_386_620.0, 529_115.0, 3_386_770.0],
    ),
    // row 3 (N 3386790-3386940)
    (
        "DK-03",
        "0701",
        "解放大道北住宅小区",
        2.2,
        28.0,
        35.0,
        80.0,
        10.0,
        5.0,
        [528_250.0, 3_386_790.0, 528_450.0, 3_386_940.0],
    ),
    (
        "DK-04",
        "A33",
        "学府路中学",
        1.2,
        30.0,
        35.0,
        24.0,
        8.0,
        5.0,
        [528_480.0, 3_386_790.0, 528_680.0, 3_386_940.0],
    ),
    (
        "DK-11",
        "G1",
        "学府公园",
        0.05,
        3.0,
        75.0,
        8.0,
        5.0,
        3.0,
        [528_700.0, 3_386_790.0, 528_900.0, 3_386_940.0],
    ),
    (
        "DK-12",
        "0701",
        "老街住宅地块",
        1.5,
        30.0,
        35.0,
        24.0,
        8.0,
        5.0,
        [528_915.0, 3_386_790.0, 529_115.0, 3_386_940.0],
    ),
];

/// River blue line: the 汉江 water-body control area south of 滨江路.
const BLUE: [f64; 4] = [528_150.0, 3_386_300.0, 529_200.0, 3_386_370.0];
/// Purple line: 历史文化街区 protection range in DK-12 (closed DXF polyline).
const PURPLE: [f64; 4] = [529_040.0, 3_386_860.0, 529_100.0, 3_386_925.0];
/// The purple line's DXF layer name in GBK (紫线_历史文化街区).
const PURPLE_LAYER_GBK: &[u8] = &[
    215, 207, 207, 223, 95, 192, 250, 202, 183, 206, 196, 187, 175, 189, 214, 199, 248,
];

/// Height zones: (名称, 限高 m, 绝对高程 是/否, rectangle).
const HEIGHT_ZONES: &[(&str, f64, &str, [f64; 4])] = &[
    (
        "老街风貌限高区",
        12.0,
        "否",
        [529_000.0, 3_386_840.0, 529_115.0, 3_386_940.0],
    ),
    (
        "微波通道限高区",
        60.0,
        "是",
        [528_915.0, 3_386_410.0, 529_115.0, 3_386_770.0],
    ),
];

/// Existing buildings: (名称, 建筑用途, 建筑高度 m, rectangle).
const EXISTING: &[(&str, &str, f64, [f64; 4])] = &[
    (
        "解放小区1栋",
        "住宅",
        33.0,
        [528_280.0, 3_386_820.0, 528_340.0, 3_386_835.0],
    ),
    (
        "解放小区2栋",
        "住宅",
        33.0,
        [528_280.0, 3_386_870.0, 528_340.0, 3_386_885.0],
    ),
    (
        "解放小区3栋",
        "住宅",
        18.0,
        [528_370.0, 3_386_820.0, 528_430.0, 3_386_835.0],
    ),
    (
        "学府路中学教学楼",
        "教育",
        18.0,
        [528_520.0, 3_386_840.0, 528_600.0, 3_386_860.0],
    ),
    (
        "建设路商业楼",
        "商业",
        45.0,
        [528_950.0, 3_386_450.0, 529_000.0, 3_386_500.0],
    ),
    (
        "青年路小区1栋",
        "住宅",
        54.0,
        [528_960.0, 3_386_650.0, 528_990.0, 3_386_670.0],
    ),
    (
        "青年路小区2栋",
        "住宅",
        54.0,
        [529_040.0, 3_386_650.0, 529_070.0, 3_386_670.0],
    ),
    (
        "刘家祠堂",
        "文物古迹",
        7.5,
        [529_060.0, 3_386_880.0, 529_080.0, 3_386_895.0],
    ),
    (
        "老街民居",
        "住宅",
        6.0,
        [529_070.0, 3_386_900.0, 529_090.0, 3_386_915.0],
    ),
];

/// Green areas: (名称, rectangle).
const GREEN_AREAS: &[(&str, [f64; 4])] = &[
    (
        "滨江公园绿地",
        [528_260.0, 3_386_420.0, 528_440.0, 3_386_550.0],
    ),
    (
        "学府公园绿地",
        [528_710.0, 3_386_800.0, 528_890.0, 3_386_930.0],
    ),
    (
        "DK-05-1宅旁绿地北",
        [528_480.0, 3_386_438.0, 528_520.0, 3_386_450.0],
    ),
    (
        "DK-05-1宅旁绿地西",
        [528_480.0, 3_386_410.0, 528_490.0, 3_386_438.0],
    ),
    (
        "DK-05-2宅旁绿地",
        [528_540.0, 3_386_410.0, 528_550.0, 3_386_450.0],
    ),
    (
        "DK-05-3宅旁绿地",
        [528_550.0, 3_386_435.0, 528_580.0, 3_386_450.0],
    ),
    (
        "DK-05-4宅旁绿地",
        [528_580.0, 3_386_410.0, 528_600.0, 3_386_450.0],
    ),
    (
        "DK-06商业广场绿地",
        [528_700.0, 3_386_525.0, 528_900.0, 3_386_560.0],
    ),
    (
        "DK-02小区绿地北",
        [528_250.0, 3_386_740.0, 528_450.0, 3_386_770.0],
    ),
    (
        "DK-02小区绿地西",
        [528_250.0, 3_386_620.0, 528_300.0, 3_386_740.0],
    ),
    (
        "DK-07集中绿地",
        [528_480.0, 3_386_700.0, 528_680.0, 3_386_770.0],
    ),
    (
        "DK-12集中绿地",
        [528_915.0, 3_386_790.0, 529_000.0, 3_386_940.0],
    ),
];

const PARCEL_FIELDS: &[(&str, OGRFieldType::Type)] = &[
    ("地块编号", OGRFieldType::OFTString),
    ("用地性质", OGRFieldType::OFTString),
    ("名称", OGRFieldType::OFTString),
    ("容积率", OGRFieldType::OFTReal),
    ("建筑密度", OGRFieldType::OFTReal),
    ("绿地率", OGRFieldType::OFTReal),
    ("建筑限高", OGRFieldType::OFTReal),
    ("道路退线", OGRFieldType::OFTReal),
    ("用地退线", OGRFieldType::OFTReal),
];

fn r(b: [f64; 4]) -> String {
    rect(b[0], b[1], b[2], b[3])
}

fn parcels() -> Layer {
    Layer {
        fields: PARCEL_FIELDS,
        rows: PARCELS
            .iter()
            .map(|&(id, code, name, far, cov, green, h, sr, sb, b)| {
                (
                    r(b),
                    vec![
                        V::S(id),
                        V::S(code),
                        V::S(name),
                        V::F(far),
                        V::F(cov),
                        V::F(green),
                        V::F(h),
                        V::F(sr),
                        V::F(sb),
                    ],
                )
            })
            .collect(),
    }
}

fn roads() -> Layer {
    Layer {
        fields: &[
            ("名称", OGRFieldType::OFTString),
            ("道路等级", OGRFieldType::OFTString),
            ("道路宽度", OGRFieldType::OFTReal),
        ],
        rows: ROADS
            .iter()
            .map(|&(name, class, w, x0, y0, x1, y1)| {
                (rect(x0, y0, x1, y1), vec![V::S(name), V::S(class), V::F(w)])
            })
            .collect(),
    }
}

fn named(rows: Vec<(String, &'static str)>) -> Layer {
    Layer {
        fields: &[("名称", OGRFieldType::OFTString)],
        rows: rows.into_iter().map(|(g, n)| (g, vec![V::S(n)])).collect(),
    }
}

/// The purple line as an R12 DXF: one closed POLYLINE on a GBK-named layer.
fn purple_dxf() -> Vec<u8> {
    let [x0, y0, x1, y1] = PURPLE;
    zhishen_testkit::r12_dxf(
        PURPLE_LAYER_GBK,
        &[vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1]]],
    )
}

const SITE_TOML: &str = r#"# Demo district site package (see datasets/README.md).
# With this file present only the layers listed here are read.
crs = "EPSG:4547"

[[layer]]
path = "parcel.gpkg"
kind = "parcel"

[[layer]]
path = "road_red_line.shp"
kind = "road_red_line"

[[layer]]
path = "blue_line.geojson"
kind = "blue_line"

[[layer]]
path = "green_line.geojson"
kind = "green_line"

# DXF carries no CRS.
[[layer]]
path = "purple_line.dxf"
kind = "purple_line"
crs = "EPSG:4547"

[[layer]]
path = "height_zone.gpkg"
kind = "height_zone"

[[layer]]
path = "existing_building.geojson"
kind = "existing_building"

[[layer]]
path = "green_area.geojson"
kind = "green_area"
"#;

const BUILDINGS_TOML: &str = r#"# Sample IFC models placed on the district with explicit placements
# (place = "E,N,rotation_deg": where the model origin lands in EPSG:4547 and how its +X axis
# is turned counter-clockwise from grid east). `use` is the declared building use; `expect_fail`
# lists the checks that must fail, every other check in datasets/README.md must pass.
# `submission` is the same model as handed in for the planning permit (../submission/: it
# meets the demo IDS of JSGCGHXK); the demo cases submit it, with the same placement.

[[building]]
id = "P1"
model = "../ifc/AC20-FZK-Haus_ArchiCAD20_IFC4.ifc"
submission = "../submission/AC20-FZK-Haus_georef-EPSG4547.ifc"
parcel = "DK-05-1"
place = "528496,3386425,0"
use = "住宅"
expect_fail = []
note = "compliant detached house"

[[building]]
id = "P2"
model = "../ifc/Duplex_Revit2011_IFC2x3.ifc"
parcel = "DK-05-2"
place = "528530,3386438,0"
use = "住宅"
expect_fail = ["far"]
note = "FAR over the 0.25 limit of the villa plot"

[[building]]
id = "P3"
model = "../ifc/LargeBuilding_Revit2021_IFC2x3.ifc"
parcel = "DK-06"
place = "528800,3386485,0"
use = "商业"
expect_fail = []
note = "compliant shop on commercial land"

[[building]]
id = "P4"
model = "../ifc/LargeBuilding_Revit2021_IFC2x3.ifc"
parcel = "DK-02"
place = "528350,3386700,30"
use = "办公"
expect_fail = ["land_use"]
note = "office on R2 residential land"

[[building]]
id = "P5"
model = "../ifc/TallBuilding_Revit2021_IFC2x3.ifc"
parcel = "DK-07"
place = "528580,3386631.98,0"
use = "商业"
expect_fail = ["setback_road"]
note = "4 m from the 长江大道 red line where 10 m is required"

[[building]]
id = "P6"
model = "../ifc/TallBuilding_Revit2021_IFC2x3.ifc"
parcel = "DK-05-3"
place = "528566,3386430,0"
use = "住宅"
expect_fail = ["height_planning"]
note = "16.4 m on a plot limited to 12 m"

[[building]]
id = "P7"
model = "../ifc/AC20-FZK-Haus_ArchiCAD20_IFC4.ifc"
submission = "../submission/AC20-FZK-Haus_georef-EPSG4547.ifc"
parcel = "DK-05-4"
place = "528614.5,3386425,0"
use = "住宅"
expect_fail = ["redline_containment", "setback_boundary", "setback_underground"]
note = "crosses the east boundary of DK-05-4 into DK-05-5"

[[building]]
id = "P8"
model = "../ifc/Duplex_Revit2011_IFC2x3.ifc"
parcel = "DK-12"
place = "529035,3386885,0"
use = "住宅"
expect_fail = ["setback_control_line"]
note = "enters the purple line (历史文化街区 protection range)"
"#;

fn main() {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "datasets/district".into());
    let dir = Path::new(&out);
    std::fs::create_dir_all(dir).expect("create output directory");
    // Start from a clean package so drivers never append to an old file.
    for f in [
        "parcel.gpkg",
        "road_red_line.shp",
        "road_red_line.shx",
        "road_red_line.dbf",
        "road_red_line.prj",
        "road_red_line.cpg",
        "blue_line.geojson",
        "green_line.geojson",
        "purple_line.dxf",
        "height_zone.gpkg",
        "existing_building.geojson",
        "green_area.geojson",
        "site.toml",
        "buildings.toml",
    ] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    // Pin GeoPackage timestamps so reruns give the same files.
    gdal::config::set_config_option("OGR_CURRENT_DATE", "2026-01-01T00:00:00Z")
        .expect("config option");

    write(
        &dir.join("parcel.gpkg"),
        "GPKG",
        "parcel",
        Some(EPSG),
        &parcels(),
        &[],
    );

    write(
        &dir.join("road_red_line.shp"),
        "ESRI Shapefile",
        "road_red_line",
        Some(EPSG),
        &roads(),
        &["ENCODING=CP936", "DBF_DATE_LAST_UPDATE=2026-01-01"],
    );
    // GBK text without a .cpg: the reader has to detect the encoding itself.
    std::fs::remove_file(dir.join("road_red_line.cpg")).expect("remove .cpg");

    write(
        &dir.join("blue_line.geojson"),
        "GeoJSON",
        "blue_line",
        Some(EPSG),
        &named(vec![(r(BLUE), "汉江蓝线")]),
        &[],
    );

    let green_lines = PARCELS
        .iter()
        .filter(|p| p.1 == "1401" || p.1 == "G1")
        .map(|p| {
            let [x0, y0, x1, y1] = p.9;
            (
                format!("LINESTRING({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0})"),
                if p.0 == "DK-01" {
                    "滨江公园绿线"
                } else {
                    "学府公园绿线"
                },
            )
        })
        .collect();
    write(
        &dir.join("green_line.geojson"),
        "GeoJSON",
        "green_line",
        Some(EPSG),
        &named(green_lines),
        &[],
    );

    std::fs::write(dir.join("purple_line.dxf"), purple_dxf()).expect("write DXF");

    write(
        &dir.join("height_zone.gpkg"),
        "GPKG",
        "height_zone",
        Some(EPSG),
        &Layer {
            fields: &[
                ("名称", OGRFieldType::OFTString),
                ("限高", OGRFieldType::OFTReal),
                ("绝对高程", OGRFieldType::OFTString),
            ],
            rows: HEIGHT_ZONES
                .iter()
                .map(|&(n, h, abs, b)| (r(b), vec![V::S(n), V::F(h), V::S(abs)]))
                .collect(),
        },
        &[],
    );

    write(
        &dir.join("existing_building.geojson"),
        "GeoJSON",
        "existing_building",
        Some(EPSG),
        &Layer {
            fields: &[
                ("名称", OGRFieldType::OFTString),
                ("建筑用途", OGRFieldType::OFTString),
                ("建筑高度", OGRFieldType::OFTReal),
            ],
            rows: EXISTING
                .iter()
                .map(|&(n, u, h, b)| (r(b), vec![V::S(n), V::S(u), V::F(h)]))
                .collect(),
        },
        &[],
    );

    write(
        &dir.join("green_area.geojson"),
        "GeoJSON",
        "green_area",
        Some(EPSG),
        &named(GREEN_AREAS.iter().map(|&(n, b)| (r(b), n)).collect()),
        &[],
    );

    std::fs::write(dir.join("site.toml"), SITE_TOML).expect("write site.toml");
    std::fs::write(dir.join("buildings.toml"), BUILDINGS_TOML).expect("write buildings.toml");
    println!("wrote the district site package to {}", dir.display());
}
