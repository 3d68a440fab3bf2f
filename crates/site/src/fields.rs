//! Layer kinds and the mapping of source attribute names to canonical fields.

use serde::Serialize;

/// What a planning layer holds (DESIGN.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Parcel 地块 / 用地红线.
    Parcel,
    /// Road red line 道路红线.
    RoadRedLine,
    /// Blue line 蓝线 (water).
    BlueLine,
    /// Green line 绿线 (green space).
    GreenLine,
    /// Purple line 紫线 (historic protection).
    PurpleLine,
    /// Yellow line 黄线 (infrastructure).
    YellowLine,
    /// Building control line 建筑控制线.
    BuildingControlLine,
    /// Height-limit zone 限高区.
    HeightZone,
    /// Existing building 现状建筑.
    ExistingBuilding,
    /// Green area 绿地.
    GreenArea,
}

pub const ALL_KINDS: &[Kind] = &[
    Kind::Parcel,
    Kind::RoadRedLine,
    Kind::BlueLine,
    Kind::GreenLine,
    Kind::PurpleLine,
    Kind::YellowLine,
    Kind::BuildingControlLine,
    Kind::HeightZone,
    Kind::ExistingBuilding,
    Kind::GreenArea,
];

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Parcel => "parcel",
            Kind::RoadRedLine => "road_red_line",
            Kind::BlueLine => "blue_line",
            Kind::GreenLine => "green_line",
            Kind::PurpleLine => "purple_line",
            Kind::YellowLine => "yellow_line",
            Kind::BuildingControlLine => "building_control_line",
            Kind::HeightZone => "height_zone",
            Kind::ExistingBuilding => "existing_building",
            Kind::GreenArea => "green_area",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        ALL_KINDS.iter().copied().find(|k| k.as_str() == s)
    }

    /// Kinds whose features are areas; closed lines in them become polygons.
    pub fn is_areal(self) -> bool {
        matches!(
            self,
            Kind::Parcel | Kind::HeightZone | Kind::ExistingBuilding | Kind::GreenArea
        )
    }

    /// Canonical fields a feature of this kind must have.
    pub fn required(self) -> &'static [&'static str] {
        match self {
            Kind::Parcel => &["id", "land_use"],
            Kind::RoadRedLine => &["width"],
            Kind::HeightZone => &["limit_m"],
            Kind::ExistingBuilding => &["height_m"],
            _ => &[],
        }
    }
}

/// How a canonical field is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Text,
    Number,
    /// A ratio: values above 1 are read as percent (30 -> 0.30).
    Ratio,
    Bool,
}

/// Canonical field, its type and the source names recognised without a mapping.
pub const FIELDS: &[(&str, FieldType, &[&str])] = &[
    (
        "id",
        FieldType::Text,
        &[
            "id",
            "地块编号",
            "DKBH",
            "地块代码",
            "DKDM",
            "编号",
            "parcel_id",
        ],
    ),
    (
        "land_use",
        FieldType::Text,
        &[
            "land_use",
            "用地性质",
            "用地代码",
            "YDXZ",
            "YDDM",
            "用地类型",
            "用地性质代码",
            "landuse",
        ],
    ),
    (
        "far_max",
        FieldType::Number,
        &["far_max", "容积率", "RJL", "容积率上限", "RJLSX", "FAR"],
    ),
    (
        "far_min",
        FieldType::Number,
        &["far_min", "容积率下限", "RJLXX"],
    ),
    (
        "coverage_max",
        FieldType::Ratio,
        &["coverage_max", "建筑密度", "JZMD", "coverage"],
    ),
    (
        "green_min",
        FieldType::Ratio,
        &["green_min", "绿地率", "LDL", "green_ratio"],
    ),
    (
        "height_max",
        FieldType::Number,
        &["height_max", "建筑限高", "JZXG", "限高高度"],
    ),
    (
        "setback_road_min",
        FieldType::Number,
        &[
            "setback_road_min",
            "道路退线",
            "退道路红线",
            "退线_道路",
            "DLTX",
            "TDLHX",
        ],
    ),
    (
        "setback_boundary_min",
        FieldType::Number,
        &[
            "setback_boundary_min",
            "用地退线",
            "退用地红线",
            "退界",
            "退线_用地",
            "YDTX",
            "TYDHX",
        ],
    ),
    (
        "width",
        FieldType::Number,
        &["width", "道路宽度", "DLKD", "红线宽度", "HXKD"],
    ),
    ("class", FieldType::Text, &["class", "道路等级", "DLDJ"]),
    (
        "limit_m",
        FieldType::Number,
        &["limit_m", "限高", "高度限制", "XG"],
    ),
    (
        "absolute",
        FieldType::Bool,
        &["absolute", "绝对高程", "是否绝对高程", "JDGC"],
    ),
    (
        "height_m",
        FieldType::Number,
        &["height_m", "建筑高度", "高度", "JZGD", "height"],
    ),
    ("use", FieldType::Text, &["use", "建筑用途", "用途", "JZYT"]),
    ("name", FieldType::Text, &["name", "名称", "MC", "Layer"]),
];

/// The canonical name for a source field, when it is one of the recognised names.
pub fn canonical(source: &str) -> Option<(&'static str, FieldType)> {
    let s = source.trim();
    FIELDS.iter().find_map(|(name, ty, aliases)| {
        aliases
            .iter()
            .any(|a| a.eq_ignore_ascii_case(s))
            .then_some((*name, *ty))
    })
}

pub fn field_type(canonical: &str) -> Option<FieldType> {
    FIELDS.iter().find(|f| f.0 == canonical).map(|f| f.1)
}

/// Parses a number that may carry a unit or percent sign ("30%", "2.5", "100m").
pub fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim().trim_end_matches(['%', '％', 'm', '米']).trim();
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_and_pinyin_names_map() {
        assert_eq!(canonical("地块编号").unwrap().0, "id");
        assert_eq!(canonical("dkbh").unwrap().0, "id");
        assert_eq!(canonical("用地代码").unwrap().0, "land_use");
        assert_eq!(canonical("RJL").unwrap().0, "far_max");
        assert_eq!(
            canonical("建筑密度").unwrap(),
            ("coverage_max", FieldType::Ratio)
        );
        assert_eq!(canonical("道路宽度").unwrap().0, "width");
        assert_eq!(canonical("unrelated"), None);
    }

    #[test]
    fn numbers_with_units() {
        assert_eq!(parse_number("30%"), Some(30.0));
        assert_eq!(parse_number(" 2.5 "), Some(2.5));
        assert_eq!(parse_number("24米"), Some(24.0));
        assert_eq!(parse_number("n/a"), None);
    }

    #[test]
    fn kinds_round_trip() {
        for k in ALL_KINDS {
            assert_eq!(Kind::parse(k.as_str()), Some(*k));
        }
    }
}
