//! Item catalogue 事项清单: what each approval item is, who handles it, its
//! legal basis, time limits, materials and clock rules. Versioned TOML data.

use crate::error::WorkflowError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The four standard stages of the reform (国办发〔2018〕33号 / 〔2019〕11号).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    /// 立项用地规划许可
    LandUsePlanning,
    /// 工程建设许可
    EngineeringPermit,
    /// 施工许可
    ConstructionPermit,
    /// 竣工验收
    CompletionAcceptance,
}

impl StageKind {
    pub const ALL: [StageKind; 4] = [
        StageKind::LandUsePlanning,
        StageKind::EngineeringPermit,
        StageKind::ConstructionPermit,
        StageKind::CompletionAcceptance,
    ];

    /// National standard stage number (1..=4).
    pub fn number(self) -> u8 {
        match self {
            StageKind::LandUsePlanning => 1,
            StageKind::EngineeringPermit => 2,
            StageKind::ConstructionPermit => 3,
            StageKind::CompletionAcceptance => 4,
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            StageKind::LandUsePlanning => "立项用地规划许可",
            StageKind::EngineeringPermit => "工程建设许可",
            StageKind::ConstructionPermit => "施工许可",
            StageKind::CompletionAcceptance => "竣工验收",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            StageKind::LandUsePlanning => "project approval and land-use planning permit",
            StageKind::EngineeringPermit => "engineering construction permit",
            StageKind::ConstructionPermit => "construction permit",
            StageKind::CompletionAcceptance => "completion acceptance",
        }
    }
}

/// What a 补正 (supplement) after acceptance does to the item's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockRule {
    /// The supplement interval is excluded; counting resumes where it stopped.
    Pause,
    /// Counting starts again from zero on the day the supplement is complete (顺延).
    Restart,
}

/// What happens when a 容缺 (accepted-with-missing-material) deadline passes
/// without the material.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RongqueOverdueAction {
    /// The item is flagged, the supervisor notified, and it cannot be concluded
    /// until the material arrives; a 容缺通过 conclusion already made stands.
    Block,
    /// As `Block`, and a 容缺通过 conclusion already made is revoked (撤销).
    Revoke,
}

/// What a material's file must be, decided from its content when it is uploaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaterialKind {
    /// A PDF that opens and has at least one page (forms, drawings, contracts).
    Pdf,
    /// An IFC-SPF model that passes the STEP pre-scan.
    Ifc,
    /// A site package zip (规划图层).
    SitePackage,
    /// An OGC GeoPackage.
    GeoPackage,
}

impl MaterialKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MaterialKind::Pdf => "pdf",
            MaterialKind::Ifc => "ifc",
            MaterialKind::SitePackage => "site_package",
            MaterialKind::GeoPackage => "geo_package",
        }
    }
}

/// The IDS (buildingSMART Information Delivery Specification) a submitted model must
/// meet before any planning check runs: a file of the definitions directory's `ids/`,
/// pinned by its SHA-256 so a case keeps the gate it was opened under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdsGate {
    pub file: String,
    pub sha256: String,
}

/// One required or optional application material of an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaterialDef {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// 是否必备
    #[serde(default = "yes")]
    pub required: bool,
    /// May be missing at acceptance (容缺受理) and supplied later.
    #[serde(default)]
    pub rongque: bool,
    /// May be replaced by a written commitment (告知承诺书).
    #[serde(default)]
    pub commitment: bool,
    /// The file an upload of this material must be; `None`: any accepted kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<MaterialKind>,
    /// 电子证照复用: a licence of this type issued earlier in the same case satisfies
    /// the material by reference, so it is never asked for twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence: Option<String>,
}

fn yes() -> bool {
    true
}
fn default_extension() -> u32 {
    10
}
fn default_rongque_wd() -> u32 {
    10
}
fn default_check_wd() -> u32 {
    20
}

/// One catalogue entry (事项).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemDef {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub stage: StageKind,
    /// Department id (e.g. `zrzy`); reviewers must belong to it.
    pub department: String,
    pub department_name: String,
    /// 设定依据: statute articles.
    pub legal_basis: Vec<String>,
    /// 法定办结时限, working days.
    pub statutory_limit_wd: u32,
    /// 承诺办结时限, working days; the item's clock runs against this one.
    pub promised_limit_wd: u32,
    /// Most working days an approved extension may add (行政许可法 Art. 42: 10).
    #[serde(default = "default_extension")]
    pub max_extension_wd: u32,
    /// 受理条件
    #[serde(default)]
    pub conditions: Vec<String>,
    pub materials: Vec<MaterialDef>,
    /// A BIM/GIS machine review report must be recorded before 通过.
    #[serde(default)]
    pub bim_review: bool,
    /// Licence type issued on 通过 / 容缺通过 (e.g. 建设工程规划许可证).
    #[serde(default)]
    pub licence: Option<String>,
    /// The IDS a submitted model must meet before the planning checks run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ids: Option<IdsGate>,
    /// Clock rule for a 补正 after acceptance.
    pub supplement_clock: ClockRule,
    /// Working days after acceptance to supply 容缺 materials.
    #[serde(default = "default_rongque_wd")]
    pub rongque_supplement_wd: u32,
    #[serde(default = "rongque_block")]
    pub rongque_overdue: RongqueOverdueAction,
    /// Working days after a 告知承诺 approval when the 核查 check falls due.
    #[serde(default = "default_check_wd")]
    pub commitment_check_wd: u32,
}

fn rongque_block() -> RongqueOverdueAction {
    RongqueOverdueAction::Block
}

impl ItemDef {
    pub fn material(&self, code: &str) -> Option<&MaterialDef> {
        self.materials.iter().find(|m| m.code == code)
    }
}

/// The versioned item catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    pub id: String,
    pub version: String,
    /// 行政区划代码 of the issuing authority.
    pub region: String,
    #[serde(default)]
    pub source: String,
    pub items: Vec<ItemDef>,
}

impl Catalogue {
    pub fn from_toml(text: &str) -> Result<Catalogue, WorkflowError> {
        let c: Catalogue = toml::from_str(text).map_err(|e| WorkflowError::Toml {
            doc: "catalogue".into(),
            message: e.to_string(),
        })?;
        c.validate()?;
        Ok(c)
    }

    pub fn item(&self, code: &str) -> Option<&ItemDef> {
        self.items.iter().find(|i| i.code == code)
    }

    fn validate(&self) -> Result<(), WorkflowError> {
        let doc = format!("catalogue {} {}", self.id, self.version);
        if self.id.is_empty() || self.version.is_empty() {
            return Err(WorkflowError::field(
                &doc,
                "id/version",
                "must not be empty",
            ));
        }
        let mut codes = BTreeSet::new();
        for it in &self.items {
            let f = |name: &str| format!("items[{}].{name}", it.code);
            if it.code.is_empty() {
                return Err(WorkflowError::field(&doc, "items[].code", "empty code"));
            }
            if !codes.insert(it.code.as_str()) {
                return Err(WorkflowError::field(&doc, f("code"), "duplicate item code"));
            }
            if it.department.is_empty() {
                return Err(WorkflowError::field(&doc, f("department"), "empty"));
            }
            if it.legal_basis.is_empty() {
                return Err(WorkflowError::field(
                    &doc,
                    f("legal_basis"),
                    "at least one 设定依据 is required",
                ));
            }
            if it.promised_limit_wd == 0 || it.promised_limit_wd > it.statutory_limit_wd {
                return Err(WorkflowError::field(
                    &doc,
                    f("promised_limit_wd"),
                    format!(
                        "{} must be between 1 and statutory_limit_wd {}",
                        it.promised_limit_wd, it.statutory_limit_wd
                    ),
                ));
            }
            if it.rongque_supplement_wd == 0 || it.commitment_check_wd == 0 {
                return Err(WorkflowError::field(
                    &doc,
                    f("rongque_supplement_wd/commitment_check_wd"),
                    "must be at least 1",
                ));
            }
            if let Some(g) = &it.ids {
                let hex = g.sha256.len() == 64
                    && g.sha256
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
                if g.file.is_empty() || g.file.contains(['/', '\\']) || !hex {
                    return Err(WorkflowError::field(
                        &doc,
                        f("ids"),
                        "needs file (a name in ids/, no path) and sha256 (64 lowercase hex digits)",
                    ));
                }
            }
            let mut mats = BTreeSet::new();
            for m in &it.materials {
                if !mats.insert(m.code.as_str()) {
                    return Err(WorkflowError::field(
                        &doc,
                        format!("items[{}].materials[{}]", it.code, m.code),
                        "duplicate material code",
                    ));
                }
                if (m.rongque || m.commitment) && !m.required {
                    return Err(WorkflowError::field(
                        &doc,
                        format!("items[{}].materials[{}]", it.code, m.code),
                        "容缺/告知承诺 flags only make sense on required materials",
                    ));
                }
            }
        }
        Ok(())
    }
}
