//! BCF 2.1 (BIM Collaboration Format) rendering of the review report: one topic per failed
//! check, each with a viewpoint that selects the offending IFC elements and frames them with a
//! perspective camera, so that the designer lands on the problem in the authoring tool.
//!
//! The archive holds `bcf.version` and one folder per topic (named by the topic GUID) with
//! `markup.bcf` and `viewpoint.bcfv`. Element order follows the BCF 2.1 XSDs
//! (buildingSMART BCF-XML, release 2.1). GUIDs are derived from the report, so the same report
//! always gives the same bytes. Documented in `docs/report-html-bcf.md`.

use crate::html::{
    clause_text, esc, finding_number, limit_text, measured_vs_limit, model_name, twin_finding_url,
    value_text,
};
use crate::report::{CheckResult, Report, Status};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::io::Write as _;

/// Vertical field of view of the topic cameras, degrees.
pub const FIELD_OF_VIEW_DEG: f64 = 60.0;

/// Smallest radius framed by a camera (m): keeps a degenerate (point) box viewable.
const MIN_RADIUS_M: f64 = 1.0;

/// Errors of the BCF writer.
#[derive(Debug, thiserror::Error)]
pub enum BcfError {
    /// `created` is not an ISO 8601 / XML Schema dateTime.
    #[error(
        "BCF creation date {0:?} is not an ISO 8601 date-time (expected e.g. 2026-11-27T09:30:00Z)"
    )]
    BadDate(String),
    /// The author is empty (BCF requires a CreationAuthor).
    #[error("BCF author is empty: give the reviewer's name or e-mail")]
    NoAuthor,
    #[error("writing the BCF zip: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("writing the BCF zip: {0}")]
    Io(#[from] std::io::Error),
}

/// What the topics may link beyond the archive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BcfOptions<'a> {
    /// The review's digital twin as an absolute URL (BCF is read outside the service):
    /// each topic's `ReferenceLink` opens its finding there (`#f=N`).
    pub twin_url: Option<&'a str>,
    /// Snapshots of the twin: a topic whose finding has one carries it as `snapshot.png`.
    pub pictures: Option<&'a crate::Pictures>,
}

/// Renders the failed checks of `report` as a BCF 2.1 archive (zip bytes).
///
/// `created` is the topics' CreationDate (ISO 8601 date-time, e.g. `2026-11-27T09:30:00Z` or
/// with an offset `+08:00`); `author` their CreationAuthor. The library reads no clock: the
/// CLI passes the time of the run. Element GlobalIds that are not 22-character IFC GUIDs are
/// left out of the selection (and named in the topic description).
pub fn to_bcf(report: &Report, created: &str, author: &str) -> Result<Vec<u8>, BcfError> {
    to_bcf_with(report, created, author, &BcfOptions::default())
}

/// [`to_bcf`] with links (a topic's `ReferenceLink` to the finding in the twin).
pub fn to_bcf_with(
    report: &Report,
    created: &str,
    author: &str,
    opts: &BcfOptions<'_>,
) -> Result<Vec<u8>, BcfError> {
    if !is_xml_datetime(created) {
        return Err(BcfError::BadDate(created.to_string()));
    }
    if author.trim().is_empty() {
        return Err(BcfError::NoAuthor);
    }
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    // No timestamps in the entries (the zip crate's default is 1980-01-01), so the bytes
    // depend on the report and the arguments only.
    let file = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o644);
    zip.start_file("bcf.version", file)?;
    zip.write_all(version_xml().as_bytes())?;
    for (index, check) in failed(report).enumerate() {
        let topic = topic_guid(report, &check.id);
        let viewpoint = viewpoint_guid(report, &check.id);
        zip.add_directory(format!("{topic}/"), file)?;
        let link = opts
            .twin_url
            .zip(finding_number(report, &check.id))
            .map(|(url, n)| twin_finding_url(url, n));
        let snapshot = opts
            .pictures
            .zip(finding_number(report, &check.id))
            .and_then(|(p, n)| p.findings.get(&n));
        zip.start_file(format!("{topic}/markup.bcf"), file)?;
        let ids = TopicIds {
            index,
            topic: &topic,
            viewpoint: &viewpoint,
            link: link.as_deref(),
            snapshot: snapshot.is_some(),
        };
        zip.write_all(markup_xml(report, check, &ids, created, author).as_bytes())?;
        zip.start_file(format!("{topic}/viewpoint.bcfv"), file)?;
        zip.write_all(viewpoint_xml(check, &viewpoint).as_bytes())?;
        if let Some(png) = snapshot {
            // Stored, not deflated: PNG is compressed already.
            let stored = file.compression_method(zip::CompressionMethod::Stored);
            zip.start_file(format!("{topic}/snapshot.png"), stored)?;
            zip.write_all(png)?;
        }
    }
    Ok(zip.finish()?.into_inner())
}

/// The checks that become topics, in report order.
fn failed(report: &Report) -> impl Iterator<Item = &CheckResult> {
    report.checks.iter().filter(|c| c.status == Status::Fail)
}

/// GUID of the topic for `check_id` (lowercase 8-4-4-4-12, as BCF requires).
pub fn topic_guid(report: &Report, check_id: &str) -> String {
    derived_guid(&[&report_seed(report), "topic", check_id])
}

/// GUID of the viewpoint of the topic for `check_id`.
pub fn viewpoint_guid(report: &Report, check_id: &str) -> String {
    derived_guid(&[&report_seed(report), "viewpoint", check_id])
}

/// What identifies a review: the model's content hash (its file name when no hash is known)
/// and the parcel. A re-run on the same inputs reuses the GUIDs, so a BCF tool updates the
/// topics instead of duplicating them.
fn report_seed(report: &Report) -> String {
    let model = report
        .inputs
        .model
        .as_ref()
        .map(|m| m.sha256.clone())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| model_name(report));
    format!("zhishen.bcf/1|{model}|{}", report.parcel.id)
}

/// A name-based UUID from SHA-256 of the parts (RFC 9562 version 8 layout: version nibble 8,
/// variant 10), formatted lowercase 8-4-4-4-12.
pub fn derived_guid(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        // Length-prefix each part so that ("ab","c") and ("a","bc") differ.
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// True for an IFC GlobalId: 22 characters of the IFC base-64 alphabet.
/// An IFC GlobalId: 22 characters of the IFC base-64 alphabet.
pub fn is_ifc_guid(s: &str) -> bool {
    s.len() == 22
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
}

/// Checks the XML Schema `dateTime` lexical form: `YYYY-MM-DDThh:mm:ss[.s+][Z|±hh:mm]`.
fn is_xml_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .is_some_and(|x| x.iter().all(u8::is_ascii_digit))
    };
    let num = |r: std::ops::Range<usize>| -> u32 {
        s.get(r).and_then(|x| x.parse().ok()).unwrap_or(u32::MAX)
    };
    if b.len() < 19
        || !(digits(0..4)
            && b[4] == b'-'
            && digits(5..7)
            && b[7] == b'-'
            && digits(8..10)
            && b[10] == b'T'
            && digits(11..13)
            && b[13] == b':'
            && digits(14..16)
            && b[16] == b':'
            && digits(17..19))
    {
        return false;
    }
    let (month, day, hour, min, sec) =
        (num(5..7), num(8..10), num(11..13), num(14..16), num(17..19));
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || min > 59 || sec > 59 {
        return false;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    match rest {
        "" | "Z" => true,
        tz => {
            let t = tz.as_bytes();
            t.len() == 6
                && (t[0] == b'+' || t[0] == b'-')
                && t[1..3].iter().all(u8::is_ascii_digit)
                && t[3] == b':'
                && t[4..6].iter().all(u8::is_ascii_digit)
                && num_in(&tz[1..3]) <= 14
                && num_in(&tz[4..6]) <= 59
        }
    }
}

fn num_in(s: &str) -> u32 {
    s.parse().unwrap_or(u32::MAX)
}

/// `bcf.version` of a BCF 2.1 archive.
pub fn version_xml() -> String {
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
     <Version VersionId=\"2.1\">\n  <DetailedVersion>2.1</DetailedVersion>\n</Version>\n"
        .to_string()
}

/// `title: 4.00 m < 10 m`-style one-liner for the topic title.
fn topic_title(c: &CheckResult) -> String {
    let mut t = format!("[{}] {}", c.id, c.title.zh);
    if !c.title.en.is_empty() && c.title.en != c.title.zh {
        let _ = write!(t, " / {}", c.title.en);
    }
    if let Some(m) = measured_vs_limit(c) {
        let _ = write!(t, ": {m}");
    }
    t
}

fn topic_description(report: &Report, c: &CheckResult, skipped: &[&str]) -> String {
    let mut d = String::new();
    let _ = writeln!(
        d,
        "审查项 Check: {} / {} ({})",
        c.title.zh, c.title.en, c.id
    );
    let measured = c
        .measured
        .map(|m| value_text(m, c.unit))
        .unwrap_or_else(|| "—".into());
    let limit = limit_text(c).unwrap_or_else(|| "—".into());
    let _ = writeln!(d, "实测 Measured: {measured}; 限值 Limit: {limit}");
    match (&c.clause, clause_text(c)) {
        (Some(cit), Some(line)) => {
            let _ = write!(d, "依据 Clause: {line}");
            if cit.unverified {
                d.push_str(" [未核实 unverified]");
            }
            d.push('\n');
        }
        _ => d.push_str("依据 Clause: —\n"),
    }
    let _ = writeln!(d, "说明: {}", c.explanation.zh);
    let _ = writeln!(d, "Explanation: {}", c.explanation.en);
    let _ = write!(
        d,
        "地块 Parcel: {}; 模型 Model: {}",
        report.parcel.id,
        model_name(report)
    );
    if let Some(m) = &report.inputs.model {
        let _ = write!(d, " (SHA-256 {})", m.sha256);
    }
    if !skipped.is_empty() {
        let _ = write!(
            d,
            "\n无效的构件 GlobalId（未选中） Invalid element GlobalIds (not selected): {}",
            skipped.join(", ")
        );
    }
    d
}

/// Where a topic sits: its number, GUIDs and the twin link.
struct TopicIds<'a> {
    index: usize,
    topic: &'a str,
    viewpoint: &'a str,
    /// `ReferenceLink`: the finding in the review's twin.
    link: Option<&'a str>,
    /// The topic has a `snapshot.png`.
    snapshot: bool,
}

fn markup_xml(
    report: &Report,
    c: &CheckResult,
    ids: &TopicIds<'_>,
    created: &str,
    author: &str,
) -> String {
    let TopicIds {
        index,
        topic,
        viewpoint,
        link,
        snapshot,
    } = *ids;
    let skipped: Vec<&str> = c
        .elements
        .iter()
        .map(String::as_str)
        .filter(|g| !is_ifc_guid(g))
        .collect();
    if !skipped.is_empty() {
        tracing::warn!(check = %c.id, ?skipped, "BCF: element ids that are not IFC GlobalIds left out of the selection");
    }
    let mut x = String::with_capacity(2048);
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Markup>\n");
    // Header/File names the model the topic is about; IfcProject only when it is a valid
    // GlobalId (the schema constrains it).
    x.push_str("  <Header>\n    <File");
    if let Some(g) = report
        .building
        .project_global_id
        .as_deref()
        .filter(|g| is_ifc_guid(g))
    {
        let _ = write!(x, " IfcProject=\"{}\"", esc(g));
    }
    let _ = write!(
        x,
        ">\n      <Filename>{}</Filename>\n    </File>\n  </Header>\n",
        esc(&model_name(report))
    );
    let _ = writeln!(
        x,
        "  <Topic Guid=\"{topic}\" TopicType=\"Error\" TopicStatus=\"Open\">"
    );
    // BCF 2.1 puts ReferenceLink first in a Topic, before Title.
    if let Some(l) = link {
        let _ = writeln!(x, "    <ReferenceLink>{}</ReferenceLink>", esc(l));
    }
    let _ = write!(
        x,
        "    <Title>{}</Title>\n\
         \x20   <Index>{}</Index>\n\
         \x20   <Labels>{}</Labels>\n",
        esc(&topic_title(c)),
        index + 1,
        esc(&c.id)
    );
    if let Some(cit) = &c.clause {
        let _ = writeln!(x, "    <Labels>{}</Labels>", esc(&cit.level));
    }
    let _ = write!(
        x,
        "    <CreationDate>{}</CreationDate>\n\
         \x20   <CreationAuthor>{}</CreationAuthor>\n\
         \x20   <Description>{}</Description>\n\
         \x20 </Topic>\n\
         \x20 <Viewpoints Guid=\"{viewpoint}\">\n\
         \x20   <Viewpoint>viewpoint.bcfv</Viewpoint>\n{shot}\
         \x20 </Viewpoints>\n</Markup>\n",
        esc(created),
        esc(author),
        esc(&topic_description(report, c, &skipped)),
        shot = if snapshot {
            "    <Snapshot>snapshot.png</Snapshot>\n"
        } else {
            ""
        }
    );
    x
}

/// A camera looking at a box: position, unit direction, unit up vector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Camera {
    pub position: [f64; 3],
    pub direction: [f64; 3],
    pub up: [f64; 3],
    /// Vertical field of view, degrees.
    pub field_of_view: f64,
}

/// Frames `bbox` (`[min_x, min_y, min_z, max_x, max_y, max_z]`, model metres): the camera
/// looks at the box centre along (-1,-1,-1)/√3, i.e. from above and from the +x/+y side, at a
/// distance where the box's bounding sphere fits the 60° field of view
/// (distance = r / sin(30°) = 2r). Up is world Z made perpendicular to the direction.
/// `None` when the box is not finite or inverted.
pub fn camera_for_bbox(bbox: &[f64; 6]) -> Option<Camera> {
    if bbox.iter().any(|v| !v.is_finite()) || (0..3).any(|i| bbox[i] > bbox[i + 3]) {
        return None;
    }
    let centre = [
        (bbox[0] + bbox[3]) / 2.0,
        (bbox[1] + bbox[4]) / 2.0,
        (bbox[2] + bbox[5]) / 2.0,
    ];
    let half = [
        (bbox[3] - bbox[0]) / 2.0,
        (bbox[4] - bbox[1]) / 2.0,
        (bbox[5] - bbox[2]) / 2.0,
    ];
    let r = (half[0] * half[0] + half[1] * half[1] + half[2] * half[2])
        .sqrt()
        .max(MIN_RADIUS_M);
    let distance = r / (FIELD_OF_VIEW_DEG.to_radians() / 2.0).sin();
    let k = 1.0 / 3f64.sqrt();
    let direction = [-k, -k, -k];
    let position = [
        centre[0] - direction[0] * distance,
        centre[1] - direction[1] * distance,
        centre[2] - direction[2] * distance,
    ];
    // Z minus its component along the direction: (-1,-1,2)/√6 for this direction.
    let dz = direction[2];
    let up_raw = [
        -dz * direction[0],
        -dz * direction[1],
        1.0 - dz * direction[2],
    ];
    let n = (up_raw[0] * up_raw[0] + up_raw[1] * up_raw[1] + up_raw[2] * up_raw[2]).sqrt();
    let up = [up_raw[0] / n, up_raw[1] / n, up_raw[2] / n];
    Some(Camera {
        position,
        direction,
        up,
        field_of_view: FIELD_OF_VIEW_DEG,
    })
}

fn xyz(x: &mut String, name: &str, v: [f64; 3]) {
    let _ = write!(
        x,
        "    <{name}>\n      <X>{}</X>\n      <Y>{}</Y>\n      <Z>{}</Z>\n    </{name}>\n",
        num(v[0]),
        num(v[1]),
        num(v[2])
    );
}

/// xs:double text: fixed precision (sub-millimetre) without exponent notation.
fn num(v: f64) -> String {
    let s = format!("{v:.6}");
    if s == "-0.000000" {
        "0.000000".into()
    } else {
        s
    }
}

fn viewpoint_xml(c: &CheckResult, guid: &str) -> String {
    let mut x = String::with_capacity(1024);
    let _ = write!(
        x,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<VisualizationInfo Guid=\"{guid}\">\n  <Components>\n"
    );
    let selected: Vec<&str> = c
        .elements
        .iter()
        .map(String::as_str)
        .filter(|g| is_ifc_guid(g))
        .collect();
    // Selection needs at least one Component, so it is left out when nothing is selected.
    if !selected.is_empty() {
        x.push_str("    <Selection>\n");
        for g in &selected {
            let _ = writeln!(x, "      <Component IfcGuid=\"{}\"/>", esc(g));
        }
        x.push_str("    </Selection>\n");
    }
    x.push_str("    <Visibility DefaultVisibility=\"true\"/>\n  </Components>\n");
    if let Some(cam) = c.elements_bbox.as_ref().and_then(camera_for_bbox) {
        x.push_str("  <PerspectiveCamera>\n");
        xyz(&mut x, "CameraViewPoint", cam.position);
        xyz(&mut x, "CameraDirection", cam.direction);
        xyz(&mut x, "CameraUpVector", cam.up);
        let _ = writeln!(
            x,
            "    <FieldOfView>{}</FieldOfView>",
            num(cam.field_of_view)
        );
        x.push_str("  </PerspectiveCamera>\n");
    }
    x.push_str("</VisualizationInfo>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_has_bcf_form_and_is_stable() {
        let g = derived_guid(&["a", "b"]);
        assert_eq!(g.len(), 36);
        assert!(g
            .chars()
            .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c)));
        assert_eq!(&g[14..15], "8", "version nibble");
        assert!("89ab".contains(&g[19..20]), "variant");
        assert_eq!(g, derived_guid(&["a", "b"]));
        assert_ne!(g, derived_guid(&["ab", ""]));
    }

    #[test]
    fn datetime_forms() {
        for ok in [
            "2026-11-27T09:30:00Z",
            "2026-11-27T09:30:00",
            "2026-11-27T09:30:00.123+08:00",
            "2026-11-27T09:30:00-05:00",
        ] {
            assert!(is_xml_datetime(ok), "{ok}");
        }
        for bad in [
            "",
            "2026-11-27",
            "2026-11-27 09:30:00",
            "2026-13-27T09:30:00Z",
            "2026-11-27T24:00:00Z",
            "2026-11-27T09:30:00+0800",
            "2026-11-27T09:30:00.Z",
            "2026-11-27T09:30:00ZZ",
        ] {
            assert!(!is_xml_datetime(bad), "{bad}");
        }
    }

    #[test]
    fn ifc_guid_form() {
        assert!(is_ifc_guid("2O2Fr$t4X7Zf8NOew3FLOH"));
        assert!(!is_ifc_guid("2O2Fr$t4X7Zf8NOew3FLO"));
        assert!(!is_ifc_guid("2O2Fr$t4X7Zf8NOew3FLO<"));
    }

    #[test]
    fn camera_frames_unit_cube() {
        // Box 0..2 on each axis: centre (1,1,1), r = √3, distance = 2√3, so the camera sits
        // at centre + 2√3·(1,1,1)/√3 = (3,3,3).
        let cam = camera_for_bbox(&[0.0, 0.0, 0.0, 2.0, 2.0, 2.0]).unwrap();
        for i in 0..3 {
            assert!((cam.position[i] - 3.0).abs() < 1e-9);
        }
        let dot: f64 = (0..3).map(|i| cam.direction[i] * cam.up[i]).sum();
        assert!(dot.abs() < 1e-12);
        assert!((cam.up[2] - 2.0 / 6f64.sqrt()).abs() < 1e-12);
        assert!(camera_for_bbox(&[1.0, 0.0, 0.0, 0.0, 1.0, 1.0]).is_none());
        assert!(camera_for_bbox(&[f64::NAN, 0.0, 0.0, 1.0, 1.0, 1.0]).is_none());
    }
}

#[cfg(test)]
mod twin_link_tests {
    use super::*;
    use crate::html::{to_html, HtmlOptions};

    fn markups(zip_bytes: &[u8]) -> Vec<String> {
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).unwrap();
        let mut out = Vec::new();
        for i in 0..z.len() {
            let mut f = z.by_index(i).unwrap();
            if f.name().unwrap().ends_with("markup.bcf") {
                let mut s = String::new();
                std::io::Read::read_to_string(&mut f, &mut s).unwrap();
                out.push(s);
            }
        }
        out
    }

    #[test]
    fn topics_link_their_finding_in_the_twin_before_the_title() {
        let r = crate::html::twin_link_tests::sample();
        let t = "2026-11-27T09:30:00Z";
        let plain = to_bcf(&r, t, "a").unwrap();
        assert!(markups(&plain).iter().all(|m| !m.contains("ReferenceLink")));
        let opts = BcfOptions {
            twin_url: Some("https://zs.example/twin/7"),
            ..Default::default()
        };
        let linked = to_bcf_with(&r, t, "a", &opts).unwrap();
        let ms = markups(&linked);
        // Topics are the failed checks only; their twin numbers count unverifiables too.
        assert_eq!(ms.len(), 2);
        let mut links: Vec<String> = ms
            .iter()
            .map(|m| {
                let at = m.find("<ReferenceLink>").expect("a link");
                assert!(at < m.find("<Title>").unwrap(), "ReferenceLink comes first");
                m[at + 15..].split('<').next().unwrap().to_string()
            })
            .collect();
        links.sort();
        assert_eq!(
            links,
            [
                "https://zs.example/twin/7#f=1",
                "https://zs.example/twin/7#f=3"
            ]
        );
        // The HTML default is unchanged by the option's existence.
        assert_eq!(
            to_html(&r),
            crate::html::to_html_with(&r, &HtmlOptions::default())
        );
    }
}

#[cfg(test)]
mod picture_tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn topics_with_a_picture_carry_snapshot_png_and_name_it() {
        let r = crate::html::twin_link_tests::sample();
        let mut pictures = crate::Pictures::default();
        // Finding 1 has a picture; the other failed check's finding has none.
        pictures.findings.insert(1, b"\x89PNG-one".to_vec());
        let opts = BcfOptions {
            pictures: Some(&pictures),
            ..Default::default()
        };
        let bytes = to_bcf_with(&r, "2026-11-27T09:30:00Z", "a", &opts).unwrap();
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let names: Vec<String> = z.file_names().map(|n| n.unwrap().to_string()).collect();
        let shots: Vec<&String> = names
            .iter()
            .filter(|n| n.ends_with("/snapshot.png"))
            .collect();
        assert_eq!(shots.len(), 1, "{names:?}");
        let mut png = Vec::new();
        z.by_name(shots[0]).unwrap().read_to_end(&mut png).unwrap();
        assert_eq!(png, b"\x89PNG-one");
        let topic = shots[0].trim_end_matches("/snapshot.png");
        let mut with = String::new();
        z.by_name(&format!("{topic}/markup.bcf"))
            .unwrap()
            .read_to_string(&mut with)
            .unwrap();
        assert!(with.contains(
            "<Viewpoint>viewpoint.bcfv</Viewpoint>\n    <Snapshot>snapshot.png</Snapshot>"
        ));
        let other = names
            .iter()
            .find(|n| n.ends_with("markup.bcf") && !n.starts_with(topic))
            .unwrap();
        let mut without = String::new();
        z.by_name(other)
            .unwrap()
            .read_to_string(&mut without)
            .unwrap();
        assert!(
            !without.contains("Snapshot"),
            "a topic without a picture names none"
        );
    }
}
