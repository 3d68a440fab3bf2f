//! Signed e-licences (电子证照) for concluded items: when an item's decision carries a
//! licence, the application signs the record (Ed25519 or SM2, `zhishen-audit`), keeps
//! the signed JSON as a blob and files it by number, so the public page the QR code
//! opens can verify it. Numbers follow `<prefix>字第<region 6><year 4><serial 5>号`.

use crate::cases::ScopedCase;
use crate::AppError;
use zhishen_audit::licence::{self, LicenceKind, Scale, SignedLicence};
use zhishen_audit::Signer;
use zhishen_store::{IssuedLicence, Store};
use zhishen_workflow::model::LicenceStatus;
use zhishen_workflow::Sha256;

/// What issuing needs besides the case.
pub struct Issuer<'a> {
    pub signer: &'a (dyn Signer + Sync),
    /// 发证机关 name.
    pub name: &'a str,
    /// Base URL of the public verification page (`…/licence/verify`).
    pub verify_url: &'a str,
}

/// Acts on a case (`cases::act`) and, when the command decided an item, signs and
/// files the licences it issued. The decision stands whatever happens to the
/// signing: a licence that cannot be signed is logged as an alert and issued on the
/// case's next decision.
pub async fn act_and_issue(
    store: &Store,
    p: &crate::auth::Principal,
    act: &crate::cases::Act<'_>,
    who: &Issuer<'_>,
) -> Result<zhishen_store::Executed, AppError> {
    let ex = crate::cases::act(store, p, act.case_id, act.command, act.request_id).await?;
    if matches!(act.command, zhishen_workflow::Command::Conclude { .. }) {
        let Some(scope) = store.case_scope(act.case_id).await? else {
            return Ok(ex);
        };
        let sc = ScopedCase {
            case: ex.case.clone(),
            scope,
        };
        if let Err(e) = issue_pending(store, &sc, who).await {
            tracing::error!(alert = "licence_not_issued", case = act.case_id, error = %e, "ALERT: licence not issued");
        }
    }
    Ok(ex)
}

/// Signs and files the licences of every item of the case that concluded with an
/// issued one and has none on record yet. Returns the newly issued.
pub async fn issue_pending(
    store: &Store,
    sc: &ScopedCase,
    who: &Issuer<'_>,
) -> Result<Vec<IssuedLicence>, AppError> {
    let mut out = Vec::new();
    let on_record = store.licences_of_case(&sc.case.id).await?;
    for item in &sc.case.items {
        let Some(l) = &item.licence else { continue };
        if l.status != LicenceStatus::Issued || on_record.iter().any(|r| r.item == item.code) {
            continue;
        }
        let Some(kind) = LicenceKind::ALL.into_iter().find(|k| k.zh() == l.kind) else {
            tracing::warn!(kind = %l.kind, "licence kind with no e-licence form; not signed");
            continue;
        };
        out.push(issue_one(store, sc, &item.code, kind, who).await?);
    }
    Ok(out)
}

async fn issue_one(
    store: &Store,
    sc: &ScopedCase,
    item: &str,
    kind: LicenceKind,
    who: &Issuer<'_>,
) -> Result<IssuedLicence, AppError> {
    let today = store.now().date_naive();
    let case_id = zhishen_workflow::CaseId::new(sc.case.id.clone())?;
    // The parcel of the item's latest review, when it had one.
    let parcel = store
        .review_jobs(&case_id)
        .await?
        .into_iter()
        .rev()
        .find(|j| j.item.as_str() == item)
        .and_then(|j| j.parcel)
        .unwrap_or_else(|| "未登记 not recorded".into());
    let region: String = sc
        .scope
        .region
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let region = if region.len() == 6 {
        region
    } else {
        "000000".into()
    };
    // A serial taken by a concurrent issue makes the insert fail; try the next.
    for attempt in 0..5 {
        let serial = store.licence_count().await? + 1 + attempt;
        let number = format!(
            "{}字第{region}{}{serial:05}号",
            kind.prefix(),
            today.format("%Y")
        );
        let record = licence::Licence {
            number: number.clone(),
            kind,
            holder: sc.scope.enterprise.clone(),
            project_code: sc.case.project_code.clone(),
            project_name: sc.case.project_name.clone(),
            parcel_id: parcel.clone(),
            location: format!("行政区划 {} · 宗地 {parcel}", sc.scope.region),
            scale: Scale::default(),
            issuer: who.name.to_string(),
            issued_on: today,
            valid_until: None,
            case_id: sc.case.id.clone(),
            item_code: item.to_string(),
            conditions: Vec::new(),
            attachments: Vec::new(),
            verify_url: who.verify_url.to_string(),
        };
        let signed = licence::sign(record, who.signer)
            .map_err(|e| AppError::Internal(format!("signing licence {number}: {e}")))?;
        let sha = store
            .put_blob(signed.to_json().as_bytes(), "application/json")
            .await?;
        let row = IssuedLicence {
            number,
            case_id: sc.case.id.clone(),
            item: item.to_string(),
            blob_sha256: sha.as_str().to_string(),
        };
        if store.insert_licence(&row).await? {
            return Ok(row);
        }
    }
    Err(AppError::Conflict(format!(
        "no free licence serial for {} {item}",
        sc.case.id
    )))
}

/// The signed licence filed under `number`, if any.
pub async fn by_number(store: &Store, number: &str) -> Result<Option<SignedLicence>, AppError> {
    let Some(row) = store.licence_by_number(number).await? else {
        return Ok(None);
    };
    let sha = Sha256::parse(&row.blob_sha256)
        .map_err(|e| AppError::Internal(format!("licence {number}: {e}")))?;
    let bytes = store.get_blob(&sha).await?;
    let text = String::from_utf8(bytes)
        .map_err(|e| AppError::Internal(format!("licence {number}: {e}")))?;
    SignedLicence::from_json(&text)
        .map(Some)
        .map_err(|e| AppError::Internal(format!("licence {number}: {e}")))
}
