//! BCF 2.1 for IDS results: one topic per failed requirement (and one per failed
//! specification whose failure is its own cardinality: prohibited entities present, or
//! none where at least one is required), each with a viewpoint selecting the failing
//! entities by GlobalId.
//!
//! Why not `zhishen_report::bcf::to_bcf`: that writer is typed to the planning report
//! (one topic per planning check, a camera framed on the finding's bounding box); IDS
//! results have no geometry, so this writer is the same archive layout (bcf.version, one
//! folder per topic with markup.bcf and viewpoint.bcfv) with a selection only, and it
//! shares that module's GUID derivation, GlobalId test and version file. GUIDs are derived
//! from the model file, the IDS file and the requirement's position, so a re-run gives
//! the same topics.

use crate::report::{esc, EntityRef, IdsReport, SpecResult, Status};
use std::fmt::Write as _;
use std::io::Write as _;
use zhishen_report::bcf::{derived_guid as guid, is_ifc_guid, version_xml};

#[derive(Debug, thiserror::Error)]
pub enum BcfError {
    #[error("writing the BCF zip: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("writing the BCF zip: {0}")]
    Io(#[from] std::io::Error),
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
    zip.write_all(version_xml().as_bytes())?;
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
