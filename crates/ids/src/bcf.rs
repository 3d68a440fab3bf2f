//! BCF 2.1 for IDS results: one topic per failed requirement (and one per failed
//! specification whose failure is its own cardinality: prohibited entities present, or
//! none where at least one is required), each with a viewpoint selecting the failing
//! entities by GlobalId.
//!
//! Why not `zhishen_report::bcf`: that writer is typed to the planning report (one topic
//! per planning check, a camera framed on the finding's bounding box); IDS results have
//! no geometry, so this writer is the same archive layout (bcf.version, one folder per
//! topic with markup.bcf and viewpoint.bcfv) with a selection only. GUIDs are derived
//! from the model file, the IDS file and the requirement's position, so a re-run gives
//! the same topics.

use crate::report::{esc, EntityRef, IdsReport, SpecResult, Status};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::io::Write as _;

#[derive(Debug, thiserror::Error)]
pub enum BcfError {
    #[error("writing the BCF zip: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("writing the BCF zip: {0}")]
    Io(#[from] std::io::Error),
}

fn guid(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x: String = b.iter().map(|v| format!("{v:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &x[0..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..32]
    )
}

fn is_ifc_guid(s: &str) -> bool {
    s.len() == 22
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
}

struct Topic {
    key: String,
    title: String,
    description: String,
    entities: Vec<EntityRef>,
}

fn topics_of(s: &SpecResult, si: usize) -> Vec<Topic> {
    let mut out = Vec::new();
    if let Some(m) = s.message.as_ref().filter(|_| s.status == Status::Fail) {
        out.push(Topic {
            key: format!("{si}"),
            title: format!("{} — {}", s.name, m.zh),
            description: format!("{}\n{}", m.zh, m.en),
            entities: s.prohibited.clone(),
        });
    }
    for (ri, r) in s
        .requirements
        .iter()
        .enumerate()
        .filter(|(_, r)| r.status == Status::Fail)
    {
        let mut d = format!("{}\n{}\n", r.description.zh, r.description.en);
        for f in r.failures.iter().take(200) {
            let _ = writeln!(
                d,
                "{} {} {}: {} / {}",
                f.entity.global_id.as_deref().unwrap_or("—"),
                f.entity.class,
                f.entity.name.as_deref().unwrap_or("—"),
                f.reason.zh,
                f.reason.en
            );
        }
        out.push(Topic {
            key: format!("{si}/{ri}"),
            title: format!("{} — {}", s.name, r.description.zh),
            description: d,
            entities: r.failures.iter().map(|f| f.entity.clone()).collect(),
        });
    }
    out
}

fn markup(
    t: &Topic,
    topic: &str,
    viewpoint: &str,
    model: &str,
    created: &str,
    index: usize,
) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Markup>\n  <Header>\n    <File>\n      <Filename>{}</Filename>\n    </File>\n  </Header>\n\
  <Topic Guid=\"{topic}\" TopicType=\"Error\" TopicStatus=\"Open\">\n    <Title>{}</Title>\n    <Index>{index}</Index>\n    <Labels>IDS</Labels>\n\
    <CreationDate>{}</CreationDate>\n    <CreationAuthor>zhishen</CreationAuthor>\n    <Description>{}</Description>\n  </Topic>\n\
  <Viewpoints Guid=\"{viewpoint}\">\n    <Viewpoint>viewpoint.bcfv</Viewpoint>\n  </Viewpoints>\n</Markup>\n",
        esc(model),
        esc(&t.title),
        esc(created),
        esc(&t.description)
    )
}

fn viewpoint(t: &Topic, guid: &str) -> String {
    let mut x = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<VisualizationInfo Guid=\"{guid}\">\n  <Components>\n    <Selection>\n"
    );
    for e in t
        .entities
        .iter()
        .filter_map(|e| e.global_id.as_deref())
        .filter(|g| is_ifc_guid(g))
    {
        let _ = writeln!(x, "      <Component IfcGuid=\"{}\"/>", esc(e));
    }
    x.push_str("    </Selection>\n    <Visibility DefaultVisibility=\"true\"/>\n  </Components>\n</VisualizationInfo>\n");
    x
}

/// The failed requirements of `report` as a BCF 2.1 zip. `created` is an ISO 8601
/// date-time (the caller's clock; the library reads none).
pub fn to_bcf(report: &IdsReport, created: &str) -> Result<Vec<u8>, BcfError> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o644);
    zip.start_file("bcf.version", opts)?;
    zip.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Version VersionId=\"2.1\">\n  <DetailedVersion>2.1</DetailedVersion>\n</Version>\n")?;
    let seed = format!(
        "zhishen.ids-bcf/1|{}|{}",
        report.model.file, report.ids.file
    );
    let topics = report
        .specifications
        .iter()
        .enumerate()
        .flat_map(|(i, s)| topics_of(s, i));
    for (index, t) in topics.enumerate() {
        let topic = guid(&[&seed, "topic", &t.key]);
        let vp = guid(&[&seed, "viewpoint", &t.key]);
        zip.add_directory(format!("{topic}/"), opts)?;
        zip.start_file(format!("{topic}/markup.bcf"), opts)?;
        zip.write_all(markup(&t, &topic, &vp, &report.model.file, created, index + 1).as_bytes())?;
        zip.start_file(format!("{topic}/viewpoint.bcfv"), opts)?;
        zip.write_all(viewpoint(&t, &vp).as_bytes())?;
    }
    Ok(zip.finish()?.into_inner())
}
