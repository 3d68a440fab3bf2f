//! Material uploads 材料上传 and the material check 材料核验 of a case's item.
//!
//! Why a path of its own: a material is on record only as the file the server checked.
//! The catalogue names the kind each material must be; the upload is streamed through
//! [`crate::upload::UploadSink`] with that kind (type sniffed from the content, a PDF
//! opened and its pages counted, an IFC pre-scanned), and only then is the
//! `AttachMaterial` command recorded with what was found. The generic command API
//! refuses `attach_material` (`cases::act`), so no caller can claim a hash and a kind.

use crate::auth::Principal;
use crate::cases::{execute_visible, visible_case};
use crate::ids::{ItemCode, RequestId};
use crate::upload::{StoredUpload, UploadKind};
use crate::AppError;
use zhishen_store::{Executed, Store};
use zhishen_workflow::{Attachment, Command, ItemDef, MaterialKind, MaterialLine};

/// The upload kind a material's file must be: the catalogue's, a PDF when it names none.
pub fn upload_kind_of(kind: Option<MaterialKind>) -> UploadKind {
    match kind {
        Some(MaterialKind::Ifc) => UploadKind::Ifc,
        Some(MaterialKind::SitePackage) => UploadKind::SitePackageZip,
        Some(MaterialKind::GeoPackage) => UploadKind::GeoPackage,
        Some(MaterialKind::Pdf) | None => UploadKind::Pdf,
    }
}

fn material_kind_of(kind: UploadKind) -> MaterialKind {
    match kind {
        UploadKind::Ifc | UploadKind::IfcZip => MaterialKind::Ifc,
        UploadKind::SitePackageZip => MaterialKind::SitePackage,
        UploadKind::GeoPackage => MaterialKind::GeoPackage,
        UploadKind::Pdf => MaterialKind::Pdf,
    }
}

/// One material of one item of one case.
pub struct MaterialRef<'a> {
    pub case_id: &'a str,
    pub item: &'a ItemCode,
    pub material: &'a str,
}

async fn item_def(
    store: &Store,
    p: &Principal,
    case_id: &str,
    item: &ItemCode,
) -> Result<ItemDef, AppError> {
    let sc = visible_case(store, p, case_id).await?;
    if sc.case.item(item.as_str()).is_none() {
        return Err(AppError::NotFound(format!(
            "案件 {case_id} 没有事项 {item} / case {case_id} has no item {item}"
        )));
    }
    let defs = store.case_definitions(&sc.case).await?;
    defs.catalogue
        .item(item.as_str())
        .cloned()
        .ok_or_else(|| AppError::NotFound(format!("catalogue item {item}")))
}

/// What the upload of `m` must be, decided before its body is read: the case must be
/// visible to `p`, and the material must be one of the item's.
pub async fn upload_kind(
    store: &Store,
    p: &Principal,
    m: &MaterialRef<'_>,
) -> Result<UploadKind, AppError> {
    let def = item_def(store, p, m.case_id, m.item).await?;
    let Some(md) = def.material(m.material) else {
        return Err(AppError::NotFound(format!(
            "事项 {} 没有材料 {} / item {} has no material {}",
            m.item, m.material, m.item, m.material
        )));
    };
    Ok(upload_kind_of(md.kind))
}

/// Records a checked upload as the material's file, as `p` (the domain decides whether
/// `p` may: the case's applicant, its agent or a clerk, while the item is open).
pub async fn attach(
    store: &Store,
    p: &Principal,
    m: &MaterialRef<'_>,
    stored: &StoredUpload,
    request_id: &RequestId,
) -> Result<Executed, AppError> {
    let cmd = attach_command(m, stored);
    execute_visible(store, p, m.case_id, &cmd, request_id).await
}

/// The command that records a checked upload as material `m`'s file.
pub fn attach_command(m: &MaterialRef<'_>, stored: &StoredUpload) -> Command {
    Command::AttachMaterial {
        item: m.item.as_str().to_string(),
        material: m.material.to_string(),
        attachment: Attachment::File {
            sha256: stored.sha256.as_str().to_string(),
            kind: material_kind_of(stored.kind),
            pages: stored.pages,
        },
    }
}

/// Checks and stores a whole file as the upload path does (the CLI's way in): the
/// kind from the catalogue entry `def`, default limits.
pub async fn store_file(
    store: &Store,
    def: &ItemDef,
    material: &str,
    bytes: &[u8],
) -> Result<StoredUpload, AppError> {
    let md = def.material(material).ok_or_else(|| {
        AppError::NotFound(format!(
            "事项 {} 没有材料 {material} / item {} has no material {material}",
            def.code, def.code
        ))
    })?;
    let mut sink = crate::upload::UploadSink::new(
        store,
        upload_kind_of(md.kind),
        crate::upload::UploadLimits::default(),
    )?;
    sink.write(bytes).await?;
    sink.finish().await
}

/// The item's catalogue materials against what the case holds (材料核验).
pub async fn status(
    store: &Store,
    p: &Principal,
    case_id: &str,
    item: &ItemCode,
) -> Result<Vec<MaterialLine>, AppError> {
    let def = item_def(store, p, case_id, item).await?;
    let sc = visible_case(store, p, case_id).await?;
    let it = sc
        .case
        .item(item.as_str())
        .ok_or_else(|| AppError::NotFound(format!("item {item}")))?;
    Ok(zhishen_workflow::materials::status(&def, it))
}
