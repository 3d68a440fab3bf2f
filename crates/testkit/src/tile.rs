//! Large models from real exports: a sample's building elements repeated side by side
//! under its own spatial structure (issue 14).
//!
//! Why: the generated corpus (`corpus.rs`) writes elements the way Revit, Tekla and
//! Renga do, but they are still ours. Tiling a committed sample keeps every element
//! exactly as its exporter wrote it (its breps, mapped families, openings, property
//! sets and types), so a 30 MB model of real elements can be checked against
//! IfcOpenShell and web-ifc, and timed, without committing one.
//!
//! How: the project, sites, buildings, storeys and spaces, the element types and the
//! representation maps (a family's geometry), and everything they reach (placements,
//! units, contexts, owner history), are written once. Every other record
//! reachable from the elements the storeys contain (with their parts, openings and
//! fillings) and from the relationships that name those elements is written `copies`
//! times, renumbered, with fresh GlobalIds. Each copy's top placements (those relative
//! to a placement written once, or absolute) are placed under one new placement moved
//! by `step` along the parent's x axis, so copy `k` stands `k · step` away. Records
//! nothing reaches (presentation layers, styled items) stay once, with the first copy.
//!
//! A test tool: bytes that are not UTF-8 (an exporter's ISO 8859 strings) come out as
//! U+FFFD, and comments between records are not kept.
//!
//! Facts of the result, by construction: the storeys and their elevations are the
//! sample's; the box is the sample's with its x extent grown by `(copies - 1) · step`
//! when storey frames are not turned; with `step` beyond the sample's extent, the copies
//! do not overlap, so the footprint area is `copies` times the sample's.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::hash::{Hash, Hasher};

/// Why a file could not be tiled.
#[derive(Debug)]
pub enum TileError {
    /// No `DATA;` … `ENDSEC;` section.
    NoData,
    /// A record that is not `#id = TYPE(…);`, with its byte offset.
    Record(usize),
}

impl fmt::Display for TileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TileError::NoData => write!(f, "no DATA section"),
            TileError::Record(at) => write!(f, "unreadable record at byte {at}"),
        }
    }
}

impl std::error::Error for TileError {}

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tiled {
    /// Records written once (the spatial structure and what it reaches).
    pub shared: usize,
    /// Records written in every copy.
    pub per_copy: usize,
    /// Building elements in each copy.
    pub elements: usize,
    /// Bytes the last copy after the sample added (0 for one copy): what sizes a tiling.
    pub copy_bytes: usize,
}

/// One `#id=TYPE(args);` record of the DATA section.
struct Rec<'a> {
    id: u32,
    /// Upper-case type keyword.
    kind: String,
    /// Everything from the opening parenthesis to the closing one, inclusive.
    args: &'a str,
    refs: Vec<u32>,
}

/// Spatial structure: written once.
const SPATIAL: &[&str] = &[
    "IFCPROJECT",
    "IFCSITE",
    "IFCBUILDING",
    "IFCBUILDINGSTOREY",
    "IFCSPACE",
];

/// Whether records of `kind` (and what they reach) are written once: the spatial
/// structure, and the definitions a real export shares between its occurrences, types
/// (`IfcWallType`, IFC2X3's `IfcDoorStyle`) and representation maps (families), so that
/// a tiled model places the same families many times, as a large export does.
fn written_once(kind: &str) -> bool {
    SPATIAL.contains(&kind)
        || kind == "IFCREPRESENTATIONMAP"
        || (!kind.starts_with("IFCREL") && (kind.ends_with("TYPE") || kind.ends_with("STYLE")))
}

/// `copies` copies of `sample`'s elements, copy `k` moved by `k · step` (file units)
/// along x. The header is the sample's.
pub fn tile(sample: &[u8], copies: usize, step: f64) -> Result<(Vec<u8>, Tiled), TileError> {
    let text = String::from_utf8_lossy(sample);
    let (head, body, tail) = split_data(&text).ok_or(TileError::NoData)?;
    let recs = records(body)?;
    let plan = Plan::of(&recs);
    let mut out = String::with_capacity(text.len() * copies.max(1));
    out.push_str(head);
    // Copy 0 is the sample itself. Copy k's records follow it, numbered one after the
    // other as exporters number them (a decoder indexes dense ids directly), then the
    // moved placements.
    out.push('\n');
    for r in &recs {
        out.push_str(&format!("#{}={}{};\n", r.id, r.kind, r.args));
    }
    let span = recs.iter().map(|r| r.id).max().unwrap_or(0) + 1;
    let n = plan.copied.len() as u32;
    let mut copy = Copy {
        recs: &recs,
        plan: &plan,
        rank: (plan.copied.iter().enumerate())
            .map(|(i, &id)| (id, i as u32))
            .collect(),
        step,
        fresh: span + n * copies.saturating_sub(1) as u32,
    };
    let mut copy_bytes = 0;
    for k in 1..copies {
        let before = out.len();
        copy.write(&mut out, k, span + n * (k as u32 - 1));
        copy_bytes = out.len() - before;
    }
    out.push_str(tail);
    let t = Tiled {
        shared: recs.len() - plan.copied.len(),
        per_copy: plan.copied.len(),
        elements: plan.elements.len(),
        copy_bytes,
    };
    Ok((out.into_bytes(), t))
}

/// Which records are written once and which in every copy.
struct Plan {
    /// The building elements copied.
    elements: BTreeSet<u32>,
    /// Every record written in each copy.
    copied: BTreeSet<u32>,
}

impl Plan {
    fn of(recs: &[Rec]) -> Plan {
        let by_id: HashMap<u32, usize> = recs.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
        let reach = |roots: Vec<u32>, stop: &BTreeSet<u32>| {
            let mut seen = BTreeSet::new();
            let mut todo = roots;
            while let Some(id) = todo.pop() {
                if stop.contains(&id) || !seen.insert(id) {
                    continue;
                }
                if let Some(&i) = by_id.get(&id) {
                    todo.extend(recs[i].refs.iter().copied());
                }
            }
            seen
        };
        let once: Vec<u32> = (recs.iter())
            .filter(|r| written_once(&r.kind))
            .map(|r| r.id)
            .collect();
        let shared = reach(once, &BTreeSet::new());
        let elements = elements(recs, &shared);
        let rels = (recs.iter())
            .filter(|r| r.kind.starts_with("IFCREL") && r.refs.iter().any(|x| elements.contains(x)))
            .map(|r| r.id);
        let copied = reach(elements.iter().copied().chain(rels).collect(), &shared);
        Plan { elements, copied }
    }
}

/// What writing one copy reads, and the next free id for the moved placements.
struct Copy<'a, 'r> {
    recs: &'a [Rec<'r>],
    plan: &'a Plan,
    /// Each copied record's position in id order: its number within a copy.
    rank: HashMap<u32, u32>,
    step: f64,
    fresh: u32,
}

impl Copy<'_, '_> {
    /// Copy `k`, its records numbered from `base`.
    fn write(&mut self, out: &mut String, k: usize, base: u32) {
        let map = |id: u32| self.rank.get(&id).map_or(id, |i| base + i);
        // One moved placement per parent written once (0: absolute placements).
        let mut movers: BTreeMap<u32, u32> = BTreeMap::new();
        for r in self
            .recs
            .iter()
            .filter(|r| self.plan.copied.contains(&r.id))
        {
            let mut args = fresh_guid(&renumber(r.args, &map), k);
            if r.kind == "IFCLOCALPLACEMENT" {
                let parent = first_ref(r.args);
                if parent.is_none_or(|p| !self.plan.copied.contains(&p)) {
                    let mover = *movers.entry(parent.unwrap_or(0)).or_insert_with(|| {
                        let id = self.fresh;
                        self.fresh += 3;
                        let rel = parent.map_or("$".to_string(), |p| format!("#{p}"));
                        out.push_str(&format!(
                            "#{id}=IFCCARTESIANPOINT(({},0.,0.));\n#{}=IFCAXIS2PLACEMENT3D(#{id},$,$);\n#{}=IFCLOCALPLACEMENT({rel},#{});\n",
                            real(self.step * k as f64),
                            id + 1,
                            id + 2,
                            id + 1
                        ));
                        id + 2
                    });
                    args = replace_first_attr(&args, &format!("#{mover}"));
                }
            }
            out.push_str(&format!("#{}={}{};\n", map(r.id), r.kind, args));
        }
    }
}

/// The building elements to copy: those the spatial structure contains, with their
/// parts, openings and the doors and windows filling those, until none is added.
fn elements(recs: &[Rec], shared: &BTreeSet<u32>) -> BTreeSet<u32> {
    // Attributes 4 and 5 of the relationships read here (IFC2X3 and IFC4 alike).
    let pair = |r: &Rec| {
        let a = attrs(r.args);
        Some((refs(a.get(4)?), refs(a.get(5)?)))
    };
    let mut set: BTreeSet<u32> = BTreeSet::new();
    for r in recs
        .iter()
        .filter(|r| r.kind == "IFCRELCONTAINEDINSPATIALSTRUCTURE")
    {
        // RelatedElements, RelatingStructure.
        if let Some((related, structure)) = pair(r) {
            if structure.iter().all(|s| shared.contains(s)) {
                set.extend(related.into_iter().filter(|x| !shared.contains(x)));
            }
        }
    }
    loop {
        let before = set.len();
        for r in recs.iter() {
            let grows = matches!(
                r.kind.as_str(),
                // Whole and parts; element and opening; opening and filling.
                "IFCRELAGGREGATES" | "IFCRELNESTS" | "IFCRELVOIDSELEMENT" | "IFCRELFILLSELEMENT"
            );
            if let Some((from, to)) = grows.then(|| pair(r)).flatten() {
                if from.iter().any(|x| set.contains(x)) {
                    set.extend(to.into_iter().filter(|x| !shared.contains(x)));
                }
            }
        }
        if set.len() == before {
            return set;
        }
    }
}

/// The top-level attributes of `(a,b,(c,d),'e,f')`: `a`, `b`, `(c,d)`, `'e,f'`.
fn attrs(args: &str) -> Vec<&str> {
    let inner = args
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .unwrap_or(args);
    let mut out = Vec::new();
    let (mut depth, mut in_str, mut start) = (0i32, false, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '\'' => in_str = !in_str,
            '(' if !in_str => depth += 1,
            ')' if !in_str => depth -= 1,
            ',' if !in_str && depth == 0 => {
                out.push(inner[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(inner[start..].trim());
    out
}

/// The text before the records, the records, and the text from `ENDSEC;` on.
fn split_data(text: &str) -> Option<(&str, &str, &str)> {
    let start = text.find("DATA;")? + "DATA;".len();
    let end = start + text[start..].rfind("ENDSEC;")?;
    Some((&text[..start], &text[start..end], &text[end..]))
}

/// The records of the DATA section, split at `;` outside strings and comments.
fn records(body: &str) -> Result<Vec<Rec<'_>>, TileError> {
    let mut out = Vec::new();
    let b = body.as_bytes();
    let (mut i, mut start) = (0, 0);
    let mut in_str = false;
    while i < b.len() {
        match b[i] {
            b'\'' => in_str = !in_str,
            b'/' if !in_str && b.get(i + 1) == Some(&b'*') => {
                let end = body[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e + 2);
                if body[start..i].trim().is_empty() {
                    start = end;
                }
                i = end;
                continue;
            }
            b';' if !in_str => {
                out.push(record(&body[start..i], start)?);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if !body[start..].trim().is_empty() {
        return Err(TileError::Record(start));
    }
    Ok(out)
}

fn record(text: &str, at: usize) -> Result<Rec<'_>, TileError> {
    let bad = || TileError::Record(at);
    let t = text.trim();
    let (id, rest) = t
        .strip_prefix('#')
        .and_then(|s| s.split_once('='))
        .ok_or_else(bad)?;
    let id: u32 = id.trim().parse().map_err(|_| bad())?;
    let rest = rest.trim_start();
    let open = rest.find('(').ok_or_else(bad)?;
    let kind = rest[..open].trim().to_ascii_uppercase();
    let args = rest[open..].trim_end();
    Ok(Rec {
        id,
        kind,
        refs: refs(args),
        args,
    })
}

/// `sample` with every record's id, and every reference to it, replaced by
/// `new_id(position, id)` (`position` counts the records from 0 in file order), for
/// tests of how a reader takes an exporter's numbering. `new_id` must give distinct
/// ids. The records are written in their order, one a line.
pub fn renumbered(sample: &[u8], new_id: impl Fn(usize, u32) -> u32) -> Result<Vec<u8>, TileError> {
    let text = String::from_utf8_lossy(sample);
    let (head, body, tail) = split_data(&text).ok_or(TileError::NoData)?;
    let recs = records(body)?;
    let ids: HashMap<u32, u32> = (recs.iter().enumerate())
        .map(|(i, r)| (r.id, new_id(i, r.id)))
        .collect();
    let map = |n: u32| ids.get(&n).copied().unwrap_or(n);
    let mut out = String::with_capacity(text.len() + recs.len() * 4);
    out.push_str(head);
    out.push('\n');
    for r in &recs {
        out.push_str(&format!(
            "#{}={}{};\n",
            map(r.id),
            r.kind,
            renumber(r.args, &map)
        ));
    }
    out.push_str(tail);
    Ok(out.into_bytes())
}

/// Each `#id` outside strings, in order: its byte range in `args` and the id.
fn ref_spans(args: &str) -> impl Iterator<Item = (std::ops::Range<usize>, u32)> + '_ {
    let b = args.as_bytes();
    let (mut i, mut in_str) = (0, false);
    std::iter::from_fn(move || {
        while i < b.len() {
            let c = b[i];
            i += 1;
            match c {
                b'\'' => in_str = !in_str,
                b'#' if !in_str => {
                    let start = i - 1;
                    i += b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
                    if let Ok(n) = args[start + 1..i].parse() {
                        return Some((start..i, n));
                    }
                }
                _ => {}
            }
        }
        None
    })
}

/// Every `#id` outside strings, in order.
fn refs(args: &str) -> Vec<u32> {
    ref_spans(args).map(|(_, n)| n).collect()
}

/// `args` with every reference outside strings mapped.
fn renumber(args: &str, map: &impl Fn(u32) -> u32) -> String {
    let mut out = String::with_capacity(args.len() + 16);
    let mut last = 0;
    for (at, n) in ref_spans(args) {
        out.push_str(&args[last..at.start]);
        out.push_str(&format!("#{}", map(n)));
        last = at.end;
    }
    out.push_str(&args[last..]);
    out
}

/// The first attribute's reference, when it is one (`(#12,…` → 12).
fn first_ref(args: &str) -> Option<u32> {
    let first = args.strip_prefix('(')?.split(',').next()?.trim();
    first.strip_prefix('#')?.parse().ok()
}

/// `args` with its first attribute replaced by `with`.
fn replace_first_attr(args: &str, with: &str) -> String {
    let inner = &args[1..];
    let end = inner.find(',').unwrap_or(inner.len().saturating_sub(1));
    format!("({with}{}", &inner[end..])
}

/// The 64 characters of IFC's compressed GlobalId.
const GUID_CHARS: &[u8; 64] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_$";

/// `args` with a GlobalId first attribute replaced by one made from it and `k`.
fn fresh_guid(args: &str, k: usize) -> String {
    let Some(rest) = args.strip_prefix("('") else {
        return args.to_string();
    };
    let Some(end) = rest.find('\'') else {
        return args.to_string();
    };
    let old = &rest[..end];
    if old.len() != 22 || !old.bytes().all(|c| GUID_CHARS.contains(&c)) {
        return args.to_string();
    }
    let mut h1 = std::collections::hash_map::DefaultHasher::new();
    (old, k, 1u8).hash(&mut h1);
    let mut h2 = std::collections::hash_map::DefaultHasher::new();
    (old, k, 2u8).hash(&mut h2);
    let bits = (u128::from(h1.finish()) << 64) | u128::from(h2.finish());
    // 22 characters: the first carries 2 bits (0-3), the others 6 each.
    let guid: String = (0..22)
        .map(|i| {
            let v = if i == 0 {
                (bits >> 126) as usize & 3
            } else {
                (bits >> (6 * (21 - i))) as usize & 63
            };
            GUID_CHARS[v] as char
        })
        .collect();
    format!("('{guid}{}", &rest[end..])
}

/// A STEP real: always with a decimal point.
fn real(v: f64) -> String {
    let s = format!("{v}");
    if s.contains('.') || s.contains('e') {
        s
    } else {
        format!("{s}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "ISO-10303-21;\nHEADER;\nFILE_SCHEMA(('IFC4'));\nENDSEC;\nDATA;\n\
#1=IFCPROJECT('0YvctVUKr0kugbFTf53O9L',$,'P;1',$,$,$,$,(#10),#5);\n\
#5=IFCUNITASSIGNMENT((#6));\n#6=IFCSIUNIT(*,.LENGTHUNIT.,$,.METRE.);\n\
#7=IFCCARTESIANPOINT((0.,0.,0.));\n#8=IFCAXIS2PLACEMENT3D(#7,$,$);\n\
#10=IFCGEOMETRICREPRESENTATIONCONTEXT($,'Model',3,1.E-05,#8,$);\n\
#11=IFCLOCALPLACEMENT($,#8);\n\
#14=IFCBUILDINGSTOREY('3YvctVUKr0kugbFTf53O9L',$,'F1',$,$,#11,$,$,.ELEMENT.,0.);\n\
/* a comment; with a semicolon */\n\
#20=IFCLOCALPLACEMENT(#11,#8);\n\
#21=IFCWALL('1ZvctVUKr0kugbFTf53O9L',$,'W #3',$,$,#20,$,$,$);\n\
#22=IFCRELCONTAINEDINSPATIALSTRUCTURE('7YvctVUKr0kugbFTf53O9L',$,$,$,(#21,#27),#14);\n\
#23=IFCSHAPEREPRESENTATION(#10,'Body','Brep',());\n\
#24=IFCREPRESENTATIONMAP(#8,#23);\n\
#25=IFCFURNITURETYPE('2ZvctVUKr0kugbFTf53O9L',$,'T',$,$,$,(#24),$,$,$,$);\n\
#26=IFCMAPPEDITEM(#24,$);\n\
#27=IFCFURNITURE('4ZvctVUKr0kugbFTf53O9L',$,'F',$,$,#20,#28,$,$);\n\
#28=IFCPRODUCTDEFINITIONSHAPE($,$,(#29));\n\
#29=IFCSHAPEREPRESENTATION(#10,'Body','MappedRepresentation',(#26));\n\
#30=IFCSTYLEDITEM($,(),$);\n\
ENDSEC;\nEND-ISO-10303-21;\n";

    #[test]
    fn copies_elements_and_their_records_and_keeps_the_structure_once() {
        let (out, t) = tile(SAMPLE.as_bytes(), 3, 50.0).unwrap();
        let out = String::from_utf8(out).unwrap();
        // Written once: project, units, point, axis, context, storey placement, storey,
        // the furniture type, its map and the map's representation, and the styled
        // item nothing copied reaches. Copied: the wall, the furniture, their placement,
        // the furniture's shape, representation and mapped item, and the containment.
        assert_eq!((t.shared, t.per_copy, t.elements), (12, 7, 2));
        // The last copy's bytes: its 7 records (#38..#44) and its moved placement
        // (#48..#50), a line each.
        let last: usize = (out.lines())
            .filter(|l| l.starts_with('#'))
            .filter(|l| {
                let id: u32 = l[1..l.find('=').unwrap()].parse().unwrap();
                (38..=44).contains(&id) || (48..=50).contains(&id)
            })
            .map(|l| l.len() + 1)
            .sum();
        assert_eq!(t.copy_bytes, last);
        assert_eq!(tile(SAMPLE.as_bytes(), 1, 50.0).unwrap().1.copy_bytes, 0);
        // Every copy places the one family.
        assert_eq!(out.matches("IFCMAPPEDITEM(#24,$)").count(), 3);
        assert_eq!(out.matches("IFCREPRESENTATIONMAP(").count(), 1);
        assert_eq!(out.matches("IFCFURNITURETYPE(").count(), 1);
        assert_eq!(out.matches("IFCWALL(").count(), 3);
        assert_eq!(out.matches("IFCBUILDINGSTOREY(").count(), 1);
        assert_eq!(out.matches("IFCSTYLEDITEM(").count(), 1);
        assert_eq!(out.matches("IFCRELCONTAINEDINSPATIALSTRUCTURE(").count(), 3);
        // Copy 0 is the sample's records as they were.
        assert!(out.contains("#21=IFCWALL('1ZvctVUKr0kugbFTf53O9L',$,'W #3',$,$,#20,$,$,$);"));
        // Copy k: the 7 copied records renumbered from 31 + 7 (k - 1) in id order,
        // references to records written once kept, the top placement under a moved one
        // (ids from 45 on).
        let line = |id: u32| {
            let p = format!("#{id}=");
            out.lines().find(|l| l.starts_with(&p)).unwrap().to_string()
        };
        assert!(
            line(32).ends_with(",$,'W #3',$,$,#31,$,$,$);"),
            "{}",
            line(32)
        );
        assert!(line(33).ends_with(",$,$,$,(#32,#35),#14);"), "{}", line(33));
        assert_eq!(line(31), "#31=IFCLOCALPLACEMENT(#47,#8);");
        assert_eq!(line(45), "#45=IFCCARTESIANPOINT((50.,0.,0.));");
        assert_eq!(line(46), "#46=IFCAXIS2PLACEMENT3D(#45,$,$);");
        assert_eq!(line(47), "#47=IFCLOCALPLACEMENT(#11,#46);");
        assert_eq!(line(38), "#38=IFCLOCALPLACEMENT(#50,#8);");
        assert_eq!(line(48), "#48=IFCCARTESIANPOINT((100.,0.,0.));");
        assert!(line(34).starts_with("#34=IFCMAPPEDITEM(#24,"));
        // Every GlobalId is new in each copy.
        let gids: BTreeSet<String> = out
            .lines()
            .filter(|l| {
                l.contains("IFCWALL(")
                    || l.contains("IFCFURNITURE(")
                    || l.contains("IFCRELCONTAINED")
            })
            .map(|l| l[l.find('\'').unwrap()..][..24].to_string())
            .collect();
        assert_eq!(gids.len(), 9);
        assert!(out.ends_with("ENDSEC;\nEND-ISO-10303-21;\n"));
    }

    #[test]
    fn attributes_split_at_the_top_level_only() {
        assert_eq!(
            attrs("('a,b',#1,(#2,#3),$,.T.)"),
            vec!["'a,b'", "#1", "(#2,#3)", "$", ".T."]
        );
    }

    #[test]
    fn a_file_without_data_or_with_a_broken_record_is_refused() {
        assert!(matches!(
            tile(b"ISO-10303-21;", 2, 1.0),
            Err(TileError::NoData)
        ));
        let broken = SAMPLE.replace("#21=IFCWALL", "21=IFCWALL");
        assert!(matches!(
            tile(broken.as_bytes(), 2, 1.0),
            Err(TileError::Record(_))
        ));
    }

    #[test]
    fn fresh_guids_are_guids() {
        let g = fresh_guid("('1ZvctVUKr0kugbFTf53O9L',$)", 1);
        let gid = &g[2..24];
        assert_ne!(gid, "1ZvctVUKr0kugbFTf53O9L");
        assert!(gid.bytes().all(|c| GUID_CHARS.contains(&c)));
        assert!(matches!(gid.as_bytes()[0], b'0'..=b'3'));
        assert_eq!(&g[24..], "',$)");
        // Not a GlobalId: untouched.
        assert_eq!(fresh_guid("(#1,$)", 1), "(#1,$)");
    }
}
