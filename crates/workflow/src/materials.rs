//! 材料核验: which of an item's catalogue materials are in, as what, and what is missing.
//!
//! Why here: the catalogue says what each item needs (required, optional, 容缺-eligible,
//! the kind of file) and the case records what arrived, so matching the two is domain
//! logic every caller must meet, not a page's guess. The file itself is checked at the
//! edge (the application layer sniffs its type, opens a PDF, pre-scans an IFC) and
//! arrives here as an [`Attachment`] with the kind it was found to be.
//!
//! 电子证照复用: a material whose catalogue entry names a licence type (`licence`) is
//! satisfied by a licence of that type issued earlier in the same case. On 收件 it is
//! attached by reference automatically, marked as such, and a 补正 may not ask for it.

use crate::catalogue::{ItemDef, MaterialKind};
use crate::command::{Event, Refusal};
use crate::model::{Case, ItemCase, LicenceStatus};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

/// How a material arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Attachment {
    /// An uploaded file, stored as a blob; `kind` is what its content was found to be.
    File {
        sha256: String,
        kind: MaterialKind,
        /// Pages of a PDF.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pages: Option<u32>,
    },
    /// 电子证照复用: satisfied by a licence issued earlier in the case.
    Licence {
        /// The item that issued it.
        item: String,
        kind: String,
        number: String,
    },
}

/// Where one catalogue material stands for an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum MaterialStatus {
    /// In, with its file or licence reference.
    Attached { attachment: Attachment },
    /// Listed as handed in at 收件 without a file on record (paper, or before uploads).
    Declared,
    /// Replaced by a written commitment 告知承诺书.
    Committed,
    /// Not in. `rongque`: may be missing at acceptance (容缺) and supplied later.
    Missing { required: bool, rongque: bool },
}

/// One line of the material check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaterialLine {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub kind: Option<MaterialKind>,
    #[serde(flatten)]
    pub status: MaterialStatus,
}

/// The catalogue's materials of an item against what the case holds, in catalogue order.
pub fn status(def: &ItemDef, item: &ItemCase) -> Vec<MaterialLine> {
    def.materials
        .iter()
        .map(|m| {
            let status = if let Some(a) = item.attachments.get(&m.code) {
                MaterialStatus::Attached {
                    attachment: a.clone(),
                }
            } else if item.materials.contains(&m.code) {
                MaterialStatus::Declared
            } else if item.commitments.contains(&m.code) {
                MaterialStatus::Committed
            } else {
                MaterialStatus::Missing {
                    required: m.required,
                    rongque: m.rongque,
                }
            };
            MaterialLine {
                code: m.code.clone(),
                name_zh: m.name_zh.clone(),
                name_en: m.name_en.clone(),
                kind: m.kind,
                status,
            }
        })
        .collect()
}

fn refuse<T>(code: &'static str, zh: String, en: String) -> Result<T, Refusal> {
    Err(Refusal::new(code, zh, en))
}

/// Checks an uploaded file against the catalogue entry: the material exists, and its
/// content kind is the one the catalogue asks for.
pub fn check_file(def: &ItemDef, material: &str, found: MaterialKind) -> Result<(), Refusal> {
    let Some(m) = def.material(material) else {
        return refuse(
            "unknown_material",
            format!("事项 {} 没有材料 {material}", def.code),
            format!("item {} has no material '{material}'", def.code),
        );
    };
    match m.kind {
        Some(want) if want != found => refuse(
            "material_kind",
            format!(
                "材料 {material}（{}）应为 {}，上传的是 {}",
                m.name_zh,
                want.as_str(),
                found.as_str()
            ),
            format!(
                "material {material} ({}) must be {}, the upload is {}",
                m.name_en,
                want.as_str(),
                found.as_str()
            ),
        ),
        _ => Ok(()),
    }
}

/// The licence of `kind` issued in the case, with the item that issued it.
fn issued_licence<'a>(case: &'a Case, kind: &str) -> Option<(&'a str, &'a str)> {
    case.items.iter().find_map(|i| {
        let l = i.licence.as_ref()?;
        (l.kind == kind && l.status == LicenceStatus::Issued && i.state.is_passed())
            .then_some((i.code.as_str(), l.number.as_str()))
    })
}

/// 电子证照复用 on 收件: every licence-eligible material not handed in that a licence
/// of the case satisfies is attached by reference.
pub fn reused_on_receipt(
    case: &Case,
    def: &ItemDef,
    handed_in: &[String],
    at: DateTime<FixedOffset>,
) -> Vec<Event> {
    def.materials
        .iter()
        .filter(|m| !handed_in.contains(&m.code))
        .filter_map(|m| {
            let kind = m.licence.as_deref()?;
            let (from, number) = issued_licence(case, kind)?;
            Some(Event::MaterialAttached {
                item: def.code.clone(),
                material: m.code.clone(),
                attachment: Attachment::Licence {
                    item: from.to_string(),
                    kind: kind.to_string(),
                    number: number.to_string(),
                },
                at,
            })
        })
        .collect()
}

/// A 补正 may not ask again for a material a licence of the case already satisfies.
pub fn check_not_reused(item: &ItemCase, requested: &[String]) -> Result<(), Refusal> {
    let reused: Vec<&str> = requested
        .iter()
        .filter(|m| {
            matches!(
                item.attachments.get(m.as_str()),
                Some(Attachment::Licence { .. })
            )
        })
        .map(|s| s.as_str())
        .collect();
    if reused.is_empty() {
        return Ok(());
    }
    let list = reused.join(", ");
    refuse(
        "licence_reused",
        format!("材料 {list} 已由本案件已发电子证照复用，不得要求重复提交"),
        format!("material {list} is satisfied by a licence already issued in this case (电子证照复用); it cannot be asked for again"),
    )
}
