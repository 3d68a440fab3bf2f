//! E-licences 电子证照: a licence record, signed over its RFC 8785 canonical JSON, verified
//! offline against trusted keys, and rendered as a self-contained bilingual HTML page with a
//! QR code of its verification URL.
//!
//! This is the system's own signed record of what it issued. The legal 电子证照 with an
//! electronic seal (GB/T 38540, OFD per GB/T 36905) is issued by the provincial platform;
//! this record carries the same data and can be checked without it.

use crate::{
    canonical_json, canonical_json_of, hex, AuditError, HashAlg, SigAlg, Signer, TrustedKeys,
};
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Kind of licence (证照类型).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LicenceKind {
    /// 建设项目用地预审与选址意见书
    SiteSelection,
    /// 建设用地规划许可证
    ConstructionLandPlanning,
    /// 建设工程规划许可证
    ConstructionProjectPlanning,
    /// 乡村建设规划许可证
    RuralConstructionPlanning,
    /// 建筑工程施工许可证
    ConstructionPermit,
    /// 建设工程规划核实合格证 (planning verification at completion)
    PlanningVerification,
}

impl LicenceKind {
    pub const ALL: [LicenceKind; 6] = [
        LicenceKind::SiteSelection,
        LicenceKind::ConstructionLandPlanning,
        LicenceKind::ConstructionProjectPlanning,
        LicenceKind::RuralConstructionPlanning,
        LicenceKind::ConstructionPermit,
        LicenceKind::PlanningVerification,
    ];

    pub fn zh(self) -> &'static str {
        match self {
            LicenceKind::SiteSelection => "建设项目用地预审与选址意见书",
            LicenceKind::ConstructionLandPlanning => "建设用地规划许可证",
            LicenceKind::ConstructionProjectPlanning => "建设工程规划许可证",
            LicenceKind::RuralConstructionPlanning => "乡村建设规划许可证",
            LicenceKind::ConstructionPermit => "建筑工程施工许可证",
            LicenceKind::PlanningVerification => "建设工程规划核实合格证",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            LicenceKind::SiteSelection => "Land pre-examination and site selection opinion",
            LicenceKind::ConstructionLandPlanning => "Construction land planning permit",
            LicenceKind::ConstructionProjectPlanning => "Construction project planning permit",
            LicenceKind::RuralConstructionPlanning => "Rural construction planning permit",
            LicenceKind::ConstructionPermit => "Construction permit",
            LicenceKind::PlanningVerification => "Planning verification certificate",
        }
    }

    /// Number prefix (the character before 字第), e.g. 建 for 建字第….
    pub fn prefix(self) -> &'static str {
        match self {
            LicenceKind::SiteSelection => "选",
            LicenceKind::ConstructionLandPlanning => "地",
            LicenceKind::ConstructionProjectPlanning => "建",
            LicenceKind::RuralConstructionPlanning => "乡",
            LicenceKind::ConstructionPermit => "施",
            LicenceKind::PlanningVerification => "核",
        }
    }
}

/// Scale of the works (建设规模). Missing values stay `None`, never 0.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scale {
    /// 总建筑面积, m².
    pub building_area_m2: Option<f64>,
    /// 用地面积, m².
    pub land_area_m2: Option<f64>,
    /// 建筑高度, m.
    pub height_m: Option<f64>,
    /// 地上层数.
    pub floors_above: Option<u32>,
    /// 地下层数.
    pub floors_below: Option<u32>,
    /// Free text, e.g. 建设内容.
    pub note: Option<String>,
}

/// A file issued with the licence (附图、附件), bound by its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    pub name: String,
    /// Lowercase hex SHA-256 of the file bytes.
    pub sha256: String,
}

/// An e-licence record (电子证照).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Licence {
    /// 证照编号: `<prefix>字第<region 6><year 4><serial 5>号`, e.g. 建字第440300202600001号.
    pub number: String,
    pub kind: LicenceKind,
    /// 持证者 / 建设单位.
    pub holder: String,
    /// 项目代码 (GB/T 40058), e.g. 2304-441900-04-01-135254.
    pub project_code: String,
    pub project_name: String,
    /// 宗地代码 / parcel id.
    pub parcel_id: String,
    /// 建设位置.
    pub location: String,
    pub scale: Scale,
    /// 发证机关 (department).
    pub issuer: String,
    pub issued_on: NaiveDate,
    /// `None`: no expiry (the exchange standard writes 9999-01-01).
    pub valid_until: Option<NaiveDate>,
    /// Workflow case and catalogue item that produced it.
    pub case_id: String,
    pub item_code: String,
    /// 附加条件 / 规划条件 the holder must keep.
    pub conditions: Vec<String>,
    pub attachments: Vec<Attachment>,
    /// Base URL of the online check; the QR code adds the number and a signature digest.
    pub verify_url: String,
}

/// Parts of a licence number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumberParts {
    pub prefix: String,
    /// Administrative division code (行政区划代码), 6 digits.
    pub region: String,
    pub year: i32,
    pub serial: u32,
}

/// Parses `<prefix>字第<region 6><year 4><serial 5>号`.
pub fn parse_number(number: &str) -> Result<NumberParts, AuditError> {
    let bad =
        |reason: &str| AuditError::format("licence", "number", format!("`{number}`: {reason}"));
    let (prefix, rest) = number
        .split_once("字第")
        .ok_or_else(|| bad("expected <prefix>字第<15 digits>号"))?;
    let digits = rest
        .strip_suffix('号')
        .ok_or_else(|| bad("must end with 号"))?;
    let pc = prefix.chars().count();
    if !(1..=4).contains(&pc)
        || !prefix
            .chars()
            .all(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    {
        return Err(bad("prefix must be 1-4 Chinese characters"));
    }
    if digits.len() != 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("expected 15 digits: region 6 + year 4 + serial 5"));
    }
    let serial: u32 = digits[10..].parse().map_err(|_| bad("serial"))?;
    if serial == 0 {
        return Err(bad("serial 00000 is not allowed"));
    }
    Ok(NumberParts {
        prefix: prefix.to_string(),
        region: digits[..6].to_string(),
        year: digits[6..10].parse().map_err(|_| bad("year"))?,
        serial,
    })
}

/// Formats a licence number for `kind`.
pub fn format_number(kind: LicenceKind, region: &str, year: i32, serial: u32) -> String {
    format!("{}字第{region}{year:04}{serial:05}号", kind.prefix())
}

/// Checks the GB/T 40058 project code shape `YYMM-RRRRRR-NN-NN-XXXXXX` (format only; the
/// check character algorithm is not public, the NDRC platform is the authority).
pub fn check_project_code(code: &str) -> Result<(), AuditError> {
    let parts: Vec<&str> = code.split('-').collect();
    let lens = [4, 6, 2, 2, 6];
    let ok = parts.len() == 5
        && parts.iter().zip(lens).enumerate().all(|(i, (p, n))| {
            p.len() == n
                && if i < 4 {
                    p.bytes().all(|b| b.is_ascii_digit())
                } else {
                    p.bytes()
                        .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
                }
        });
    if ok {
        Ok(())
    } else {
        Err(AuditError::format(
            "licence",
            "project_code",
            format!("`{code}` is not YYMM-RRRRRR-NN-NN-XXXXXX (GB/T 40058)"),
        ))
    }
}

/// Fields a later application reuses (一次生成、多次复用).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReuseFields {
    pub licence_number: String,
    pub kind: LicenceKind,
    pub holder: String,
    pub project_code: String,
    pub project_name: String,
    pub parcel_id: String,
    pub location: String,
    pub scale: Scale,
    pub valid_until: Option<NaiveDate>,
}

impl Licence {
    /// Checks the record before signing; errors name the field.
    pub fn validate(&self) -> Result<(), AuditError> {
        let f = |field: &str, reason: &str| AuditError::format("licence", field, reason);
        let parts = parse_number(&self.number)?;
        if parts.prefix != self.kind.prefix() {
            return Err(f(
                "number",
                &format!(
                    "prefix {} does not match kind {} ({}字)",
                    parts.prefix,
                    self.kind.zh(),
                    self.kind.prefix()
                ),
            ));
        }
        if parts.year != self.issued_on.year() {
            return Err(f("number", "year in the number differs from issued_on"));
        }
        check_project_code(&self.project_code)?;
        for (name, v) in [
            ("holder", &self.holder),
            ("project_name", &self.project_name),
            ("parcel_id", &self.parcel_id),
            ("location", &self.location),
            ("issuer", &self.issuer),
            ("case_id", &self.case_id),
            ("item_code", &self.item_code),
        ] {
            if v.trim().is_empty() {
                return Err(f(name, "empty"));
            }
        }
        if let Some(v) = self.valid_until {
            if v < self.issued_on {
                return Err(f("valid_until", "before issued_on"));
            }
        }
        for (name, v) in [
            ("scale.building_area_m2", self.scale.building_area_m2),
            ("scale.land_area_m2", self.scale.land_area_m2),
            ("scale.height_m", self.scale.height_m),
        ] {
            if v.is_some_and(|x| !x.is_finite() || x < 0.0) {
                return Err(f(name, "must be a finite number >= 0"));
            }
        }
        for (i, a) in self.attachments.iter().enumerate() {
            if a.sha256.len() != 64
                || !a
                    .sha256
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            {
                return Err(f(
                    &format!("attachments[{i}].sha256"),
                    "expected 64 lowercase hex digits",
                ));
            }
        }
        if !(self.verify_url.starts_with("https://") || self.verify_url.starts_with("http://")) {
            return Err(f("verify_url", "must be an http(s) URL"));
        }
        Ok(())
    }

    /// The bytes that are signed: RFC 8785 canonical JSON of the licence.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        // Serialising this struct cannot fail (string keys, no maps with other keys).
        canonical_json_of(self).unwrap_or_default()
    }

    /// SHA-256 (hex) of each top-level field's canonical JSON, to name what changed.
    pub fn field_digests(&self) -> BTreeMap<String, String> {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(m)) => m
                .iter()
                .map(|(k, v)| (k.clone(), hex(&HashAlg::Sha256.digest(&canonical_json(v)))))
                .collect(),
            _ => BTreeMap::new(),
        }
    }

    pub fn reuse_fields(&self) -> ReuseFields {
        ReuseFields {
            licence_number: self.number.clone(),
            kind: self.kind,
            holder: self.holder.clone(),
            project_code: self.project_code.clone(),
            project_name: self.project_name.clone(),
            parcel_id: self.parcel_id.clone(),
            location: self.location.clone(),
            scale: self.scale.clone(),
            valid_until: self.valid_until,
        }
    }
}

/// A licence with its signature. JSON form:
/// `{"licence": {...}, "alg": "ed25519", "key_id": "...", "signature": "<base64>", "field_digests": {...}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedLicence {
    pub licence: Licence,
    pub alg: SigAlg,
    pub key_id: String,
    /// Signature over `licence.canonical_bytes()`.
    #[serde(with = "b64")]
    pub signature: Vec<u8>,
    /// Per-field digests at issue. Not signed: only a hint that names the changed field when
    /// the signature fails; validity never depends on it.
    #[serde(default)]
    pub field_digests: BTreeMap<String, String>,
}

mod b64 {
    use super::B64;
    use base64::Engine;
    use serde::{de::Error, Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&B64.encode(v))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let t = String::deserialize(d)?;
        B64.decode(t.trim())
            .map_err(|e| D::Error::custom(format!("not base64: {e}")))
    }
}

/// Validates and signs a licence.
pub fn sign(licence: Licence, signer: &dyn Signer) -> Result<SignedLicence, AuditError> {
    licence.validate()?;
    let signature = signer.sign(&licence.canonical_bytes());
    Ok(SignedLicence {
        field_digests: licence.field_digests(),
        licence,
        alg: signer.alg(),
        key_id: signer.key_id(),
        signature,
    })
}

/// Verifies a signed licence offline. `Tampered` names the changed fields when the issue
/// digests allow; `UnknownKey` when the key is not trusted.
pub fn verify(signed: &SignedLicence, keys: &TrustedKeys) -> Result<(), AuditError> {
    let key = keys
        .get(&signed.key_id)
        .ok_or_else(|| AuditError::UnknownKey(signed.key_id.clone()))?;
    if key.alg != signed.alg {
        return Err(AuditError::BadSignature(format!(
            "licence says {} but key `{}` is {}",
            signed.alg, key.key_id, key.alg
        )));
    }
    if key
        .verify(&signed.licence.canonical_bytes(), &signed.signature)
        .is_ok()
    {
        return Ok(());
    }
    let now = signed.licence.field_digests();
    let changed: Vec<&str> = now
        .iter()
        .filter(|(k, v)| signed.field_digests.get(*k).is_some_and(|old| old != *v))
        .map(|(k, _)| k.as_str())
        .collect();
    Err(AuditError::Tampered(if !changed.is_empty() {
        format!(
            "签名与内容不符，被改动的字段 changed field(s): {}",
            changed.join(", ")
        )
    } else {
        "签名与内容不符 the signature does not match the content (signature or content altered)"
            .to_string()
    }))
}

impl SignedLicence {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Parses the JSON form; the error names the JSON path of the bad field.
    pub fn from_json(text: &str) -> Result<SignedLicence, AuditError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            AuditError::format(
                "signed licence",
                if path == "." { String::new() } else { path },
                e.into_inner(),
            )
        })
    }

    /// Short digest of the signature (hex SHA-256, first 16 bytes) shown and put in the QR code.
    pub fn signature_digest(&self) -> String {
        hex(&HashAlg::Sha256.digest(&self.signature)[..16])
    }

    /// `verify_url?no=<number>&d=<signature digest>`, percent-encoded.
    pub fn verification_url(&self) -> String {
        let sep = if self.licence.verify_url.contains('?') {
            '&'
        } else {
            '?'
        };
        format!(
            "{}{sep}no={}&d={}",
            self.licence.verify_url,
            percent_encode(&self.licence.number),
            self.signature_digest()
        )
    }
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Page language: which comes first; the other is shown beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "zh" | "zh-CN" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

/// Inline SVG QR code (error correction level M) of `data`, without the XML declaration.
pub fn qr_svg(data: &str) -> Result<String, AuditError> {
    let code = qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| AuditError::format("licence", "verify_url", format!("QR code: {e}")))?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(180, 180)
        .quiet_zone(true)
        .build();
    Ok(match svg.find("<svg") {
        Some(i) => svg[i..].to_string(),
        None => svg,
    })
}

fn num(x: Option<f64>, unit: &str) -> String {
    x.map(|v| format!("{v} {unit}"))
        .unwrap_or_else(|| "—".into())
}

/// Self-contained bilingual HTML page of a signed licence (inline CSS and SVG, no scripts).
pub fn to_html(signed: &SignedLicence, lang: Lang) -> Result<String, AuditError> {
    let l = &signed.licence;
    let url = signed.verification_url();
    let qr = qr_svg(&url)?;
    let label = |zh: &str, en: &str| match lang {
        Lang::Zh => format!("{zh}<br><small>{en}</small>"),
        Lang::En => format!("{en}<br><small>{zh}</small>"),
    };
    let s = &l.scale;
    let mut scale = vec![
        format!(
            "总建筑面积 building area: {}",
            num(s.building_area_m2, "m²")
        ),
        format!("用地面积 land area: {}", num(s.land_area_m2, "m²")),
        format!("建筑高度 height: {}", num(s.height_m, "m")),
        format!(
            "层数 floors: {} / {}",
            s.floors_above
                .map_or("—".into(), |v| format!("地上 {v} above")),
            s.floors_below
                .map_or("—".into(), |v| format!("地下 {v} below"))
        ),
    ];
    if let Some(n) = &s.note {
        scale.push(n.clone());
    }
    // Items are HTML already (escaped by the caller).
    let list = |items: &[String]| {
        if items.is_empty() {
            "—".to_string()
        } else {
            format!(
                "<ol>{}</ol>",
                items
                    .iter()
                    .map(|c| format!("<li>{c}</li>"))
                    .collect::<String>()
            )
        }
    };
    let conditions: Vec<String> = l.conditions.iter().map(|c| esc(c)).collect();
    let attachments: Vec<String> = l
        .attachments
        .iter()
        .map(|a| format!("{} <code>SHA-256 {}</code>", esc(&a.name), esc(&a.sha256)))
        .collect();
    let rows: Vec<(String, String)> = vec![
        (label("证照编号", "Licence number"), esc(&l.number)),
        (label("持证单位", "Holder"), esc(&l.holder)),
        (label("项目名称", "Project name"), esc(&l.project_name)),
        (label("项目代码", "Project code"), esc(&l.project_code)),
        (label("宗地代码", "Parcel"), esc(&l.parcel_id)),
        (label("建设位置", "Location"), esc(&l.location)),
        (
            label("建设规模", "Scale"),
            scale
                .iter()
                .map(|x| esc(x))
                .collect::<Vec<_>>()
                .join("<br>"),
        ),
        (label("附加条件", "Conditions"), list(&conditions)),
        (label("附件", "Attachments"), list(&attachments)),
        (label("发证机关", "Issuer"), esc(&l.issuer)),
        (label("发证日期", "Issued on"), l.issued_on.to_string()),
        (
            label("有效期至", "Valid until"),
            l.valid_until
                .map_or("长期 no expiry".into(), |d| d.to_string()),
        ),
        (
            label("办件编号 / 事项", "Case / item"),
            format!("{} / {}", esc(&l.case_id), esc(&l.item_code)),
        ),
        (
            label("电子签名", "Signature"),
            format!(
                "{} · {} · <code>{}</code>",
                signed.alg.as_str().to_uppercase(),
                esc(&signed.key_id),
                signed.signature_digest()
            ),
        ),
    ];
    let (title, sub) = match lang {
        Lang::Zh => (l.kind.zh(), l.kind.en()),
        Lang::En => (l.kind.en(), l.kind.zh()),
    };
    let mut h = String::with_capacity(16 * 1024);
    h.push_str("<!DOCTYPE html>\n<html lang=\"");
    h.push_str(if lang == Lang::Zh { "zh-CN" } else { "en" });
    h.push_str("\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
    h.push_str(&esc(&format!("{title} {}", l.number)));
    h.push_str("</title>\n<style>body{font-family:\"Noto Serif CJK SC\",\"Songti SC\",serif;margin:2em auto;max-width:52em;color:#222}h1{text-align:center;color:#b22;letter-spacing:.2em;margin-bottom:0}.sub{text-align:center;color:#666;margin-top:.2em}table{border-collapse:collapse;width:100%}th,td{border:1px solid #999;padding:.45em;vertical-align:top;text-align:left}th{width:11em;background:#f6f1e7;font-weight:normal}small{color:#666}code{font-size:.85em}.qr{text-align:center;margin-top:1.2em}.qr svg{width:180px;height:180px}.note{font-size:.85em;color:#555}</style>\n</head>\n<body>\n");
    h.push_str(&format!(
        "<h1>{}</h1>\n<p class=\"sub\">{}</p>\n<table>\n",
        esc(title),
        esc(sub)
    ));
    for (k, v) in rows {
        h.push_str(&format!("<tr><th>{k}</th><td>{v}</td></tr>\n"));
    }
    h.push_str("</table>\n<div class=\"qr\">\n");
    h.push_str(&qr);
    h.push_str(&format!(
        "\n<p class=\"note\">扫码核验 Scan to verify: <a href=\"{0}\">{0}</a></p>\n</div>\n",
        esc(&url)
    ));
    h.push_str("<p class=\"note\">本页由签名数据生成；离线核验：<code>zhishen licence verify FILE</code>。This page is rendered from the signed record; verify offline with <code>zhishen licence verify FILE</code>.</p>\n</body>\n</html>\n");
    Ok(h)
}

/// Key id of the built-in demo key.
pub const DEMO_KEY_ID: &str = "zhishen-demo-2026";

/// The demo signing key. Its seed is public (derived from a fixed text), so a licence signed
/// with it proves nothing: for demos and tests only.
pub fn demo_signer() -> crate::Ed25519Signer {
    let seed = HashAlg::Sha256.digest(b"zhishen demo licence key; public, never for production");
    crate::Ed25519Signer::from_seed(DEMO_KEY_ID, &seed)
}

/// Trusted keys holding only the demo public key.
pub fn demo_keys() -> TrustedKeys {
    TrustedKeys::from_signer(&demo_signer())
}

/// A filled-in example licence (建设工程规划许可证 in Shenzhen), for docs, demos and tests.
pub fn sample_licence() -> Licence {
    Licence {
        number: "建字第440300202600001号".into(),
        kind: LicenceKind::ConstructionProjectPlanning,
        holder: "深圳市示例置业有限公司".into(),
        project_code: "2601-440300-04-01-13525X".into(),
        project_name: "示例花园二期".into(),
        parcel_id: "440300012003GB00123".into(),
        location: "深圳市南山区示例路以东、科技路以北".into(),
        scale: Scale {
            building_area_m2: Some(86500.5),
            land_area_m2: Some(21034.0),
            height_m: Some(99.8),
            floors_above: Some(32),
            floors_below: Some(3),
            note: Some("住宅及配套商业".into()),
        },
        issuer: "深圳市规划和自然资源局南山管理局".into(),
        issued_on: NaiveDate::from_ymd_opt(2026, 3, 18).unwrap_or_default(),
        valid_until: NaiveDate::from_ymd_opt(2027, 3, 17),
        case_id: "C2026-000123".into(),
        item_code: "440300-GH-003".into(),
        conditions: vec![
            "容积率不大于 4.1".into(),
            "建筑限高 100 米".into(),
            "按批准的总平面图施工，不得擅自变更".into(),
        ],
        attachments: vec![Attachment {
            name: "总平面图.pdf".into(),
            sha256: hex(&HashAlg::Sha256.digest(b"site plan placeholder")),
        }],
        verify_url: "https://zw.example.gov.cn/licence/verify".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Ed25519Signer, Sm2Signer};

    #[test]
    fn sign_and_verify_both_algorithms() {
        let l = sample_licence();
        let s = sign(l.clone(), &demo_signer()).unwrap();
        verify(&s, &demo_keys()).unwrap();
        let sm = Sm2Signer::from_seed("sm2-licence", &[9; 32]);
        let s2 = sign(l, &sm).unwrap();
        assert_eq!(s2.alg, SigAlg::Sm2);
        verify(&s2, &TrustedKeys::from_signer(&sm)).unwrap();
        assert_eq!(
            verify(&s2, &demo_keys()),
            Err(AuditError::UnknownKey("sm2-licence".into()))
        );
    }

    #[test]
    fn signature_covers_canonical_bytes() {
        let s = sign(sample_licence(), &demo_signer()).unwrap();
        let bytes = s.licence.canonical_bytes();
        // Keys sorted, so the canonical text starts with "attachments" and has no spaces
        // outside strings.
        assert!(bytes.starts_with(b"{\"attachments\":[{\"name\":"));
        crate::verify_signature(
            SigAlg::Ed25519,
            &demo_signer().public_key(),
            &bytes,
            &s.signature,
        )
        .unwrap();
        // JSON round trip keeps it valid.
        let back = SignedLicence::from_json(&s.to_json()).unwrap();
        assert_eq!(back, s);
        verify(&back, &demo_keys()).unwrap();
    }

    #[test]
    fn tampering_names_the_field() {
        let s = sign(sample_licence(), &demo_signer()).unwrap();
        let mut t = s.clone();
        t.licence.holder = "别的公司".into();
        let e = verify(&t, &demo_keys()).unwrap_err();
        assert!(
            matches!(&e, AuditError::Tampered(m) if m.contains("holder")),
            "{e}"
        );
        let mut t = s.clone();
        t.licence.scale.building_area_m2 = Some(96500.5);
        t.licence.conditions.pop();
        let e = verify(&t, &demo_keys()).unwrap_err().to_string();
        assert!(e.contains("conditions, scale"), "{e}");
        // Signature itself altered: tampered, no field named.
        let mut t = s.clone();
        t.signature[0] ^= 1;
        let e = verify(&t, &demo_keys()).unwrap_err().to_string();
        assert!(e.contains("篡改") && !e.contains("changed field"), "{e}");
        // Someone else's key under the demo key id.
        let evil = Ed25519Signer::from_seed(DEMO_KEY_ID, &[1; 32]);
        let forged = sign(sample_licence(), &evil).unwrap();
        assert!(matches!(
            verify(&forged, &demo_keys()),
            Err(AuditError::Tampered(_))
        ));
        // Algorithm label swapped.
        let mut t = s;
        t.alg = SigAlg::Sm2;
        assert!(matches!(
            verify(&t, &demo_keys()),
            Err(AuditError::BadSignature(_))
        ));
    }

    #[test]
    fn numbers() {
        let p = parse_number("建字第440300202600001号").unwrap();
        assert_eq!(
            p,
            NumberParts {
                prefix: "建".into(),
                region: "440300".into(),
                year: 2026,
                serial: 1
            }
        );
        assert_eq!(
            format_number(LicenceKind::ConstructionLandPlanning, "440300", 2026, 42),
            "地字第440300202600042号"
        );
        for bad in [
            "建字第44030020260001号",
            "建字第440300202600001",
            "A字第440300202600001号",
            "建字第440300202600000号",
            "建第440300202600001号",
        ] {
            let e = parse_number(bad).unwrap_err().to_string();
            assert!(e.contains("number"), "{bad}: {e}");
        }
    }

    #[test]
    fn validation_names_fields() {
        let mut l = sample_licence();
        l.kind = LicenceKind::ConstructionPermit;
        assert!(l.validate().unwrap_err().to_string().contains("number"));
        let mut l = sample_licence();
        l.project_code = "2601-4403-04-01-135254".into();
        assert!(l
            .validate()
            .unwrap_err()
            .to_string()
            .contains("project_code"));
        let mut l = sample_licence();
        l.valid_until = NaiveDate::from_ymd_opt(2025, 1, 1);
        assert!(sign(l, &demo_signer())
            .unwrap_err()
            .to_string()
            .contains("valid_until"));
        let mut l = sample_licence();
        l.attachments[0].sha256 = "xyz".into();
        assert!(l
            .validate()
            .unwrap_err()
            .to_string()
            .contains("attachments[0].sha256"));
        let mut l = sample_licence();
        l.holder = " ".into();
        assert!(l.validate().unwrap_err().to_string().contains("holder"));
        let mut l = sample_licence();
        l.scale.height_m = Some(-1.0);
        assert!(l
            .validate()
            .unwrap_err()
            .to_string()
            .contains("scale.height_m"));
        check_project_code("2304-441900-04-01-135254").unwrap();
    }

    #[test]
    fn from_json_names_the_bad_path() {
        let s = sign(sample_licence(), &demo_signer()).unwrap();
        let mut v = serde_json::to_value(&s).unwrap();
        v["licence"]["scale"]["floors_above"] = serde_json::json!("thirty");
        let e = SignedLicence::from_json(&v.to_string())
            .unwrap_err()
            .to_string();
        assert!(e.contains("licence.scale.floors_above"), "{e}");
        v["licence"]["scale"]["floors_above"] = serde_json::json!(32);
        v["licence"]["extra"] = serde_json::json!(1);
        let e = SignedLicence::from_json(&v.to_string())
            .unwrap_err()
            .to_string();
        assert!(e.contains("extra"), "{e}");
        let e = SignedLicence::from_json("not json")
            .unwrap_err()
            .to_string();
        assert!(e.contains("signed licence"), "{e}");
        v["licence"].as_object_mut().unwrap().remove("extra");
        v["signature"] = serde_json::json!("***");
        let e = SignedLicence::from_json(&v.to_string())
            .unwrap_err()
            .to_string();
        assert!(e.contains("signature") && e.contains("base64"), "{e}");
    }

    #[test]
    fn verification_url_and_reuse() {
        let s = sign(sample_licence(), &demo_signer()).unwrap();
        let url = s.verification_url();
        assert!(url.starts_with("https://zw.example.gov.cn/licence/verify?no=%E5%BB%BA%E5%AD%97%E7%AC%AC440300202600001%E5%8F%B7&d="));
        assert_eq!(url.len(), url.find("&d=").unwrap() + 3 + 32);
        let r = s.licence.reuse_fields();
        assert_eq!(
            (r.project_code.as_str(), r.parcel_id.as_str()),
            ("2601-440300-04-01-13525X", "440300012003GB00123")
        );
        assert_eq!(r.holder, s.licence.holder);
    }

    /// Reads the QR code back from the SVG path with rqrr.
    fn decode_qr(svg: &str) -> String {
        let dim = |attr: &str| -> usize {
            let i = svg.find(&format!("{attr}=\"")).unwrap() + attr.len() + 2;
            svg[i..].split('"').next().unwrap().parse().unwrap()
        };
        let (w, h) = (dim("width"), dim("height"));
        let mut px = vec![255u8; w * h];
        let d = svg
            .split(" d=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        // Each module is "M{x} {y}h{w}v{h}H{x}V{y}".
        for cmd in d.split('M').filter(|c| !c.is_empty()) {
            let nums: Vec<usize> = cmd
                .split(|c: char| !c.is_ascii_digit())
                .filter(|t| !t.is_empty())
                .map(|t| t.parse().unwrap())
                .collect();
            let (x, y, rw, rh) = (nums[0], nums[1], nums[2], nums[3]);
            for yy in y..y + rh {
                for xx in x..x + rw {
                    px[yy * w + xx] = 0;
                }
            }
        }
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| px[y * w + x]);
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1);
        grids[0].decode().unwrap().1
    }

    #[test]
    fn html_is_bilingual_with_a_readable_qr_code() {
        let mut l = sample_licence();
        l.conditions.push("<script>alert(1)</script>".into());
        let s = sign(l, &demo_signer()).unwrap();
        let zh = to_html(&s, Lang::Zh).unwrap();
        assert!(zh.contains("<html lang=\"zh-CN\">"));
        assert!(zh.contains("<h1>建设工程规划许可证</h1>"));
        assert!(zh.contains("项目代码<br><small>Project code</small>"));
        assert!(zh.contains("86500.5 m²"));
        assert!(zh.contains("&lt;script&gt;") && !zh.contains("<script>"));
        assert!(!zh.contains("<?xml"));
        assert_eq!(decode_qr(&zh), s.verification_url());
        let en = to_html(&s, Lang::En).unwrap();
        assert!(en.contains("<h1>Construction project planning permit</h1>"));
        assert!(en.contains("Project code<br><small>项目代码</small>"));
    }
}
