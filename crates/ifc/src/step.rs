//! Byte-level pre-scan of an ISO 10303-21 (STEP physical file) exchange structure.
//!
//! ifc-lite decodes the records; this pass exists so that every structural
//! problem is reported with a byte offset before decoding starts: not STEP,
//! binary, truncated, duplicate ids, dangling references, ids beyond u32
//! (which ifc-lite would silently skip) and text that is not UTF-8.

use crate::error::{Diagnostic, IfcError, MAX_LISTED};
use rustc_hash::FxHashMap as HashMap;
use std::num::NonZeroUsize;

const MAGIC: &[u8] = b"ISO-10303-21;";

/// One `#id=TYPE(...);` record.
#[derive(Debug, Clone, Copy)]
pub struct Record {
    pub id: u64,
    /// Byte span of the whole record, `#` to `;` inclusive.
    pub start: usize,
    pub end: usize,
}

#[derive(Debug)]
pub struct Scan {
    /// Bytes between `HEADER;` and its `ENDSEC;`.
    pub header: std::ops::Range<usize>,
    pub records: Vec<Record>,
    /// The type keyword of each record.
    pub kinds: Kinds,
    pub diagnostics: Vec<Diagnostic>,
    /// Set when ids above u32::MAX were renumbered: the bytes to decode instead.
    pub renumbered: Option<Vec<u8>>,
}

/// The records' type keywords, read once by the pre-scan: `of[i]` is the type of
/// `records[i]`, an index into `names` (upper case, as STEP keywords are not
/// case-sensitive; empty for a complex instance).
#[derive(Debug, Default)]
pub struct Kinds {
    pub of: Vec<u16>,
    pub names: Vec<String>,
    lookup: rustc_hash::FxHashMap<Box<[u8]>, u16>,
}

impl Kinds {
    /// The slot of `name` (upper case), if any record has that type.
    pub fn slot(&self, name: &str) -> Option<u16> {
        self.lookup.get(name.as_bytes()).copied()
    }

    /// The records of type `name` (upper case), in file order; `records` are the
    /// ones these kinds were read with.
    pub fn records_of<'a>(
        &'a self,
        records: &'a [Record],
        name: &str,
    ) -> impl Iterator<Item = &'a Record> + 'a {
        let slot = self.slot(name);
        records
            .iter()
            .zip(&self.of)
            .filter_map(move |(r, &k)| (Some(k) == slot).then_some(r))
    }

    fn push(&mut self, keyword: &[u8]) {
        let k = self.slot_of(keyword);
        self.of.push(k);
    }

    /// `later`'s records' kinds after these, its keywords given this table's slots.
    fn append(&mut self, later: Kinds) {
        let slots: Vec<u16> = (later.names.iter())
            .map(|n| self.slot_of(n.as_bytes()))
            .collect();
        // A keyword past the last slot shares it (`Kinds::intern`) in both.
        let slot = |k: u16| slots.get(usize::from(k)).copied().unwrap_or(k);
        for (spelling, k) in later.lookup {
            self.lookup.entry(spelling).or_insert(slot(k));
        }
        self.of.extend(later.of.iter().map(|&k| slot(k)));
    }

    /// The slot of a keyword as spelled in the file, made on first sight.
    fn slot_of(&mut self, keyword: &[u8]) -> u16 {
        match self.lookup.get(keyword) {
            Some(&k) => k,
            None => self.intern(keyword),
        }
    }

    #[cold]
    fn intern(&mut self, keyword: &[u8]) -> u16 {
        let upper = keyword.to_ascii_uppercase();
        if let Some(&k) = self.lookup.get(upper.as_slice()) {
            // A lower-case spelling of a known keyword: remember this spelling too.
            self.lookup.insert(keyword.into(), k);
            return k;
        }
        // A file with more distinct type names than fit is not IFC; the rest share
        // the last slot's name rather than being lost.
        if self.names.len() >= usize::from(u16::MAX) {
            return u16::MAX - 1;
        }
        let k = self.names.len() as u16;
        // Only ASCII alphanumerics and '_' make a keyword, so this is valid UTF-8.
        self.names
            .push(String::from_utf8_lossy(&upper).into_owned());
        self.lookup.insert(upper.into_boxed_slice(), k);
        self.lookup.insert(keyword.into(), k);
        k
    }
}

/// Line number (1-based) of a byte offset, for messages.
pub fn line_of(bytes: &[u8], offset: usize) -> usize {
    let end = offset.min(bytes.len());
    memchr::memchr_iter(b'\n', &bytes[..end]).count() + 1
}

struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
    file: &'a str,
    /// Hears the offset reached every [`TICK_RECORDS`] records; an error stops the scan.
    tick: Tick<'a>,
    pieces: Pieces,
}

/// How a large DATA section is cut for [`scan_chunks`]: into at most `most` pieces of
/// at least `bytes` each.
#[derive(Clone, Copy, Debug)]
struct Pieces {
    bytes: usize,
    most: usize,
}

impl Pieces {
    /// 4 MiB or more a piece, one piece per core.
    fn of_machine() -> Pieces {
        Pieces {
            bytes: 4 << 20,
            most: rayon::current_num_threads(),
        }
    }
}

/// What a scan tells as it goes: the byte offset reached. `Err` (a cancelled load)
/// stops the scan with that error.
pub type Tick<'a> = &'a (dyn Fn(usize) -> Result<(), IfcError> + Sync);

/// Records between two ticks: often enough for a progress bar and a prompt cancel
/// (a few hundred kB), rare enough to cost nothing.
const TICK_RECORDS: usize = 4096;

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn syntax(&self, offset: usize, what: impl Into<String>) -> IfcError {
        IfcError::Syntax {
            file: self.file.to_string(),
            offset,
            line: line_of(self.b, offset),
            what: what.into(),
        }
    }

    fn truncated(&self, offset: usize, what: impl Into<String>) -> IfcError {
        IfcError::Truncated {
            file: self.file.to_string(),
            offset,
            line: line_of(self.b, offset),
            what: what.into(),
        }
    }

    /// Skips whitespace and `/* */` comments.
    fn skip_ws(&mut self) -> Result<(), IfcError> {
        loop {
            match self.peek() {
                Some(c) if c.is_ascii_whitespace() => self.pos += 1,
                Some(b'/') if self.b.get(self.pos + 1) == Some(&b'*') => {
                    let start = self.pos;
                    match memchr::memmem::find(&self.b[self.pos + 2..], b"*/") {
                        Some(i) => self.pos += 2 + i + 2,
                        None => return Err(self.truncated(start, "comment '/*'")),
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn starts_with(&self, kw: &[u8]) -> bool {
        self.b[self.pos..].starts_with(kw)
    }

    fn expect(&mut self, kw: &[u8]) -> Result<(), IfcError> {
        self.skip_ws()?;
        if self.pos >= self.b.len() {
            return Err(self.truncated(
                self.pos,
                format!(
                    "expected '{}' but the file ends",
                    String::from_utf8_lossy(kw)
                ),
            ));
        }
        if !self.starts_with(kw) {
            return Err(self.syntax(
                self.pos,
                format!(
                    "expected '{}', found {:?}",
                    String::from_utf8_lossy(kw),
                    snippet(self.b, self.pos)
                ),
            ));
        }
        self.pos += kw.len();
        Ok(())
    }

    /// Skips a quoted string starting at the opening quote, noting in `text` whether
    /// it held bytes that are not valid UTF-8 or record-like `#id=` text.
    fn skip_string(&mut self, record_start: usize, text: &mut TextFlags) -> Result<(), IfcError> {
        let open = self.pos;
        match string_end(self.b, open) {
            None => Err(self.truncated(
                record_start,
                format!("entity (string opened at byte {open})"),
            )),
            Some(close) => {
                self.pos = close + 1;
                let body = &self.b[open + 1..close];
                text.non_utf8 |= !body.is_ascii() && std::str::from_utf8(body).is_err();
                if text.record_like.is_none() {
                    text.record_like = record_like(body).map(|at| open + 1 + at);
                }
                Ok(())
            }
        }
    }
}

/// What a record's strings hold that a reader should hear about.
#[derive(Default)]
struct TextFlags {
    /// Text that is not UTF-8.
    non_utf8: bool,
    /// Offset of `#id=` inside a string: most likely an unclosed quote that swallowed
    /// the records after it.
    record_like: Option<usize>,
}

/// Offset in `body` of a `#digits=` declaration (spaces allowed before the `=`).
fn record_like(body: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(k) = memchr::memchr(b'#', &body[from..]) {
        let at = from + k;
        let digits = body[at + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let rest = &body[at + 1 + digits..];
        let gap = rest.iter().take_while(|b| b.is_ascii_whitespace()).count();
        if digits > 0 && rest.get(gap) == Some(&b'=') {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Offset of the quote closing the string that opens at `open`, honouring the
/// Part 21 escapes `''`, `\\` and `\S\c` (whose `c` may itself be a quote).
pub fn string_end(b: &[u8], open: usize) -> Option<usize> {
    let mut i = open + 1;
    loop {
        i += memchr::memchr2(b'\'', b'\\', b.get(i..)?)?;
        if b[i] == b'\\' {
            if b.get(i + 1) == Some(&b'\\') {
                i += 2;
            } else if b.get(i + 1..i + 3) == Some(&b"S\\"[..]) {
                i += 4;
            } else {
                i += 1;
            }
            continue;
        }
        if b.get(i + 1) == Some(&b'\'') {
            i += 2;
            continue;
        }
        return Some(i);
    }
}

fn snippet(b: &[u8], pos: usize) -> String {
    let end = (pos + 24).min(b.len());
    String::from_utf8_lossy(&b[pos.min(end)..end]).into_owned()
}

fn parse_id(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(v)
}

/// Pre-scans `bytes`. `file` is used in messages only.
pub fn scan(bytes: &[u8], file: &str) -> Result<Scan, IfcError> {
    scan_with(bytes, file, &|_| Ok(()))
}

/// [`scan`], telling `tick` the byte offset reached as it goes (not during the rare
/// second scan of renumbered bytes); an error from `tick` stops the scan with it.
pub fn scan_with(bytes: &[u8], file: &str, tick: Tick) -> Result<Scan, IfcError> {
    let mut scan = scan_once(bytes, file, tick)?;
    let too_big = scan.records.iter().any(|r| r.id > u64::from(u32::MAX));
    if too_big {
        let (renumbered, diags) = renumber(bytes, &scan, file)?;
        let mut again = scan_once(&renumbered, file, &|_| Ok(()))?;
        let mut all = std::mem::take(&mut scan.diagnostics);
        all.extend(diags);
        // Dangling/encoding findings of the second scan repeat the first; keep the first.
        again.diagnostics = all;
        again.renumbered = Some(renumbered);
        return Ok(again);
    }
    Ok(scan)
}

fn scan_once(bytes: &[u8], file: &str, tick: Tick) -> Result<Scan, IfcError> {
    scan_in_pieces(bytes, file, tick, Pieces::of_machine()).map(|(scan, _)| scan)
}

/// The scan, and how many pieces scanned in parallel were taken into it.
fn scan_in_pieces(
    bytes: &[u8],
    file: &str,
    tick: Tick,
    pieces: Pieces,
) -> Result<(Scan, usize), IfcError> {
    let mut c = open(bytes, file, tick, pieces)?;
    c.expect(b"HEADER;")?;
    let header_start = c.pos;
    let header_end = find_endsec(&mut c)?;
    let mut found = Found::default();
    let data_sections = sections(&mut c, &mut found)?;
    let mut diagnostics = Vec::new();
    if data_sections == 0 {
        diagnostics.push(Diagnostic::warn(
            "no_data_section",
            "file has no DATA section",
        ));
    }
    diagnostics.extend(trailing_bytes(&mut c));
    let taken = found.pieces_taken;
    Ok((
        found.into_scan(bytes, header_start..header_end, diagnostics),
        taken,
    ))
}

/// A cursor just past the `ISO-10303-21;` magic (after a byte-order mark and
/// whitespace), once the bytes are known to be text and STEP.
fn open<'a>(
    bytes: &'a [u8],
    file: &'a str,
    tick: Tick<'a>,
    pieces: Pieces,
) -> Result<Cursor<'a>, IfcError> {
    if bytes.is_empty() {
        return Err(IfcError::Empty { file: file.into() });
    }
    let mut c = Cursor {
        b: bytes,
        pos: 0,
        file,
        tick,
        pieces,
    };
    // Tolerate a UTF-8 byte-order mark and leading whitespace before the magic.
    if c.starts_with(&[0xEF, 0xBB, 0xBF]) {
        c.pos = 3;
    }
    c.skip_ws()?;
    if !c.starts_with(MAGIC) {
        if let Some(off) = memchr::memchr(0, &bytes[..bytes.len().min(4096)]) {
            return Err(IfcError::Binary {
                file: file.into(),
                offset: off,
            });
        }
        return Err(IfcError::NotStep {
            file: file.into(),
            found: snippet(bytes, c.pos),
        });
    }
    if let Some(off) = memchr::memchr(0, bytes) {
        return Err(IfcError::Binary {
            file: file.into(),
            offset: off,
        });
    }
    c.pos += MAGIC.len();
    Ok(c)
}

/// The sections after the header up to `END-ISO-10303-21;` (the cursor is left on
/// it): DATA sections' records into `found`, the others skipped. Returns how many
/// DATA sections there were.
fn sections(c: &mut Cursor, found: &mut Found) -> Result<usize, IfcError> {
    let mut data_sections = 0;
    loop {
        c.skip_ws()?;
        if c.pos >= c.b.len() {
            return Err(c.truncated(c.b.len(), "file ends before 'END-ISO-10303-21;'"));
        }
        if c.starts_with(b"END-ISO-10303-21;") {
            return Ok(data_sections);
        }
        if c.starts_with(b"DATA") {
            let sec = c.pos;
            c.pos += 4;
            // DATA may carry a parameter list in edition 3: DATA('name',('schema'));
            c.skip_ws()?;
            if c.peek() == Some(b'(') {
                skip_params(c, sec, &mut TextFlags::default())?;
            }
            c.expect(b";")?;
            data_sections += 1;
            scan_data(c, sec, found)?;
            continue;
        }
        if c.starts_with(b"ANCHOR") || c.starts_with(b"REFERENCE") || c.starts_with(b"SIGNATURE") {
            find_endsec(c)?;
            continue;
        }
        return Err(c.syntax(
            c.pos,
            format!(
                "expected 'DATA;' or 'END-ISO-10303-21;', found {:?}",
                snippet(c.b, c.pos)
            ),
        ));
    }
}

/// Trailing garbage after `END-ISO-10303-21;` (the cursor on it) is legal to ignore,
/// but say so.
fn trailing_bytes(c: &mut Cursor) -> Option<Diagnostic> {
    c.pos += b"END-ISO-10303-21;".len();
    let after = c.pos;
    (c.skip_ws().is_ok() && c.pos < c.b.len()).then(|| {
        Diagnostic::warn(
            "trailing_bytes",
            format!(
                "{} bytes after END-ISO-10303-21; ignored",
                c.b.len() - c.pos
            ),
        )
        .at_offset(after)
    })
}

/// What the DATA sections' records add up to while they are scanned.
#[derive(Default)]
struct Found {
    records: Vec<Record>,
    kinds: Kinds,
    seen: Seen,
    flagged: Flagged,
    /// Pieces scanned in parallel and appended (`scan_chunks`), which tests read.
    pieces_taken: usize,
}

impl Found {
    /// Notes where `id` is defined; a second definition is an error naming both.
    fn define(&mut self, id: u64, start: usize, c: &Cursor) -> Result<(), IfcError> {
        if let Some(first) = self.seen.get(id).map(|at| at.get() - 1) {
            return Err(IfcError::DuplicateId {
                file: c.file.to_string(),
                id,
                offset: start,
                line: line_of(c.b, start),
                first_offset: first,
            });
        }
        self.seen
            .insert(id, NonZeroUsize::MIN.saturating_add(start));
        Ok(())
    }

    /// `later`'s records, kinds and findings after these, as one scan would have
    /// found them; `c` names the file in a duplicate-id error.
    fn append(&mut self, later: Found, c: &Cursor) -> Result<(), IfcError> {
        let Found {
            records,
            kinds,
            seen,
            flagged,
            pieces_taken: _,
        } = later;
        self.pieces_taken += 1;
        // Each piece found its own duplicates; ids that run on across pieces (as
        // exporters number them) cannot repeat another piece's.
        if self.seen.append_above(seen).is_err() {
            for r in &records {
                self.define(r.id, r.start, c)?;
            }
        }
        if self.records.is_empty() && self.kinds.names.is_empty() {
            // The first piece of the first section: taken as it is, not copied.
            self.records = records;
            self.kinds = kinds;
        } else {
            self.kinds.append(kinds);
            self.records.extend(records);
        }
        self.flagged.non_utf8.extend(flagged.non_utf8);
        self.flagged.record_like.extend(flagged.record_like);
        Ok(())
    }

    /// The scan: these records with their text and reference findings after
    /// `diagnostics`.
    fn into_scan(
        self,
        bytes: &[u8],
        header: std::ops::Range<usize>,
        mut diagnostics: Vec<Diagnostic>,
    ) -> Scan {
        let Found {
            records,
            kinds,
            seen,
            flagged,
            pieces_taken: _,
        } = self;
        if let Some(d) = non_utf8_diagnostic(&flagged.non_utf8) {
            diagnostics.push(d);
        }
        diagnostics.extend(record_like_diagnostics(bytes, &flagged.record_like));
        check_references(bytes, &records, &seen, &mut diagnostics);
        Scan {
            header,
            records,
            kinds,
            diagnostics,
            renumbered: None,
        }
    }
}

/// The records whose strings flagged something, by kind.
#[derive(Default)]
struct Flagged {
    non_utf8: Vec<u64>,
    /// (record, offset of the `#id=` in its string)
    record_like: Vec<(u64, usize)>,
}

/// A warning for each record holding `#id=` in a string (the first few, then a
/// count): a line-oriented reader would see records there, and they are text.
fn record_like_diagnostics(bytes: &[u8], found: &[(u64, usize)]) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = found
        .iter()
        .take(MAX_LISTED)
        .map(|&(id, at)| {
            Diagnostic::warn(
                "record_unreadable",
                format!(
                    "entity #{id} has a string holding record-like text {:?} at line {}: a quote may be unclosed, and what looks like records there is read as text",
                    snippet(bytes, at),
                    line_of(bytes, at)
                ),
            )
            .at_entity(id)
            .at_offset(at)
        })
        .collect();
    if found.len() > MAX_LISTED {
        out.push(Diagnostic::warn(
            "record_unreadable",
            format!(
                "{} more entities have strings holding record-like text",
                found.len() - MAX_LISTED
            ),
        ));
    }
    out
}

/// One warning naming the entities whose text is not UTF-8, if any.
fn non_utf8_diagnostic(non_utf8: &[u64]) -> Option<Diagnostic> {
    let first = *non_utf8.first()?;
    let list = non_utf8
        .iter()
        .take(MAX_LISTED)
        .map(|i| format!("#{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    Some(
        Diagnostic::warn(
            "non_utf8_text",
            format!(
                "{} entities hold text that is not UTF-8 (ISO 10303-21 text should be ISO 8859-1 with \\X\\ escapes); decoded lossily: {list}",
                non_utf8.len()
            ),
        )
        .at_entity(first),
    )
}

/// Advances past the next `ENDSEC;` (outside strings/comments); returns its offset.
fn find_endsec(c: &mut Cursor) -> Result<usize, IfcError> {
    let start = c.pos;
    loop {
        c.skip_ws()?;
        if c.pos >= c.b.len() {
            return Err(c.truncated(start, "section (no 'ENDSEC;')"));
        }
        if c.starts_with(b"ENDSEC;") {
            let at = c.pos;
            c.pos += 7;
            return Ok(at);
        }
        match c.peek() {
            Some(b'\'') => {
                c.skip_string(start, &mut TextFlags::default())?;
            }
            _ => c.pos += 1,
        }
    }
}

/// Skips a balanced parameter list starting at `(`.
/// Bytes that matter inside a parameter list.
static SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    t[b'\'' as usize] = true;
    t[b'(' as usize] = true;
    t[b')' as usize] = true;
    t[b';' as usize] = true;
    t[b'/' as usize] = true;
    t
};

fn skip_params(c: &mut Cursor, record_start: usize, text: &mut TextFlags) -> Result<(), IfcError> {
    let mut depth = 0usize;
    loop {
        // Jump over the bytes that cannot change the parser state.
        let rest = &c.b[c.pos..];
        let skip = rest
            .iter()
            .position(|&b| SPECIAL[b as usize])
            .unwrap_or(rest.len());
        c.pos += skip;
        let Some(ch) = c.peek() else {
            return Err(c.truncated(record_start, "entity"));
        };
        match ch {
            b'\'' => {
                c.skip_string(record_start, text)?;
                continue;
            }
            b'(' => depth += 1,
            b')' => {
                if depth == 0 {
                    return Err(c.syntax(c.pos, "unbalanced ')'"));
                }
                depth -= 1;
                if depth == 0 {
                    c.pos += 1;
                    return Ok(());
                }
            }
            b';' => {
                return Err(c.syntax(
                    c.pos,
                    format!(
                        "';' inside an open parameter list of the entity at byte {record_start}"
                    ),
                ))
            }
            b'/' if c.b.get(c.pos + 1) == Some(&b'*') => {
                c.skip_ws()?;
                continue;
            }
            _ => {}
        }
        c.pos += 1;
    }
}

/// A DATA section's records, the cursor just after `DATA;`; it is left after the
/// section's `ENDSEC;`. A large section is cut into one chunk per core, each scanned
/// on its own ([`scan_chunks`]); the result is the one scan from the start would give.
fn scan_data(c: &mut Cursor, section_start: usize, found: &mut Found) -> Result<(), IfcError> {
    let chunks = c
        .pieces
        .most
        .min((c.b.len() - c.pos) / c.pieces.bytes.max(1));
    if chunks >= 2 {
        return scan_chunks(c, section_start, found, chunks);
    }
    scan_records(c, section_start, found, Run::Whole).map(|_| ())
}

/// How [`scan_records`] runs: the whole rest of the section, or one piece of it.
#[derive(Clone, Copy)]
enum Run {
    /// To the section's end.
    Whole,
    /// To the section's end or to the first record at or beyond `stop`, in a table
    /// of ids based at the piece's first (which is far above the piece's count).
    Piece { stop: Option<usize> },
}

/// Where a piece's scan ended, and the cursor there; or why it failed.
type PieceEnd = Result<(ChunkEnd, usize), IfcError>;

/// Where [`scan_records`] stopped.
#[derive(Debug, PartialEq)]
enum ChunkEnd {
    /// After the section's `ENDSEC;`.
    Section,
    /// On a record that starts at the stop offset.
    Landed,
    /// On a record that starts beyond the stop offset: the stop was not a record start.
    Overshot,
}

/// The section cut at record starts found near `chunks - 1` even offsets, each piece
/// scanned in parallel up to the next cut. The cuts are guesses (a line that begins
/// with `#id=`), and a piece is trusted only when the piece before it, itself
/// trusted, ended exactly on its cut; the first piece starts at the cursor. From the
/// first piece that is not trusted (or that failed: an error is reported as the scan
/// from the start would report it) the rest is scanned again in one piece. Records,
/// kinds and findings are merged in file order; an id defined twice within a piece
/// fails that piece, and one defined in two pieces is found as they are merged, so
/// either is the duplicate-id error one scan reports.
fn scan_chunks(
    c: &mut Cursor,
    section_start: usize,
    found: &mut Found,
    chunks: usize,
) -> Result<(), IfcError> {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let from = c.pos;
    let len = c.b.len() - from;
    let mut starts = vec![from];
    for k in 1..chunks {
        let last = *starts.last().unwrap_or(&from);
        match record_start_after(c.b, (from + len / chunks * k).max(last + 1)) {
            Some(at) => starts.push(at),
            None => break,
        }
    }
    // Progress is the bytes all pieces have scanned, from the section's start.
    let scanned = AtomicUsize::new(0);
    let pieces: Vec<(Found, PieceEnd)> = (0..starts.len())
        .into_par_iter()
        .map(|k| {
            let at = AtomicUsize::new(starts[k]);
            let tick = |pos: usize| {
                let step = pos.saturating_sub(at.swap(pos, Ordering::Relaxed));
                (c.tick)(from + scanned.fetch_add(step, Ordering::Relaxed) + step)
            };
            let mut cc = Cursor {
                b: c.b,
                pos: starts[k],
                file: c.file,
                tick: &tick,
                pieces: c.pieces,
            };
            let mut piece = Found::default();
            let run = Run::Piece {
                stop: starts.get(k + 1).copied(),
            };
            let end = scan_records(&mut cc, section_start, &mut piece, run);
            (piece, end.map(|e| (e, cc.pos)))
        })
        .collect();
    for (k, (piece, end)) in pieces.into_iter().enumerate() {
        match end {
            Ok((ChunkEnd::Landed, _)) => found.append(piece, c)?,
            Ok((ChunkEnd::Section, pos)) => {
                found.append(piece, c)?;
                c.pos = pos;
                return Ok(());
            }
            Ok((ChunkEnd::Overshot, _)) | Err(_) => {
                c.pos = starts[k];
                return scan_records(c, section_start, found, Run::Whole).map(|_| ());
            }
        }
    }
    // Only a piece with no cut after it can end the section, and the last one has none.
    unreachable!("the last piece either ends the section or is scanned again")
}

/// The first offset at or after `at` where a line starts with `#digits=`: a guess at a
/// record start, which [`scan_chunks`] checks.
fn record_start_after(b: &[u8], at: usize) -> Option<usize> {
    let mut from = at;
    while let Some(k) = memchr::memmem::find(b.get(from..)?, b"\n#") {
        let hash = from + k + 1;
        let digits = b[hash + 1..]
            .iter()
            .take_while(|d| d.is_ascii_digit())
            .count();
        if digits > 0 && b.get(hash + 1 + digits) == Some(&b'=') {
            return Some(hash);
        }
        from = hash;
    }
    None
}

/// Records from the cursor until the section's `ENDSEC;`, or until a piece's stop.
fn scan_records(
    c: &mut Cursor,
    section_start: usize,
    found: &mut Found,
    run: Run,
) -> Result<ChunkEnd, IfcError> {
    let stop = match run {
        Run::Piece { stop } => stop,
        Run::Whole => None,
    };
    loop {
        if found.records.len().is_multiple_of(TICK_RECORDS) {
            (c.tick)(c.pos)?;
        }
        c.skip_ws()?;
        let start = c.pos;
        match stop {
            Some(s) if start == s => return Ok(ChunkEnd::Landed),
            Some(s) if start > s => return Ok(ChunkEnd::Overshot),
            _ => {}
        }
        match c.peek() {
            None => return Err(c.truncated(section_start, "DATA section (no 'ENDSEC;')")),
            Some(b'E') if c.starts_with(b"ENDSEC;") => {
                c.pos += 7;
                return Ok(ChunkEnd::Section);
            }
            Some(b'#') => {}
            Some(_) => {
                return Err(c.syntax(
                    start,
                    format!(
                        "expected an entity '#id=' or 'ENDSEC;', found {:?}",
                        snippet(c.b, start)
                    ),
                ))
            }
        }
        let rec = record(c, start)?;
        if matches!(run, Run::Piece { .. }) && found.records.is_empty() {
            found.seen = IdTable::based_at(rec.id);
        }
        found.define(rec.id, start, c)?;
        if let Some(at) = rec.text.record_like {
            found.flagged.record_like.push((rec.id, at));
        }
        if rec.text.non_utf8 {
            found.flagged.non_utf8.push(rec.id);
        }
        found.kinds.push(&c.b[rec.keyword]);
        found.records.push(Record {
            id: rec.id,
            start,
            end: c.pos,
        });
    }
}

/// One record as [`record`] scanned it.
struct Scanned {
    id: u64,
    /// The type keyword's span (empty for a complex instance).
    keyword: std::ops::Range<usize>,
    text: TextFlags,
}

/// The record whose `#` is at `start` (the cursor on it), read up to and past its `;`.
fn record(c: &mut Cursor, start: usize) -> Result<Scanned, IfcError> {
    c.pos += 1;
    let digits_start = c.pos;
    while c.peek().is_some_and(|d| d.is_ascii_digit()) {
        c.pos += 1;
    }
    let id = parse_id(&c.b[digits_start..c.pos])
        .ok_or_else(|| c.syntax(start, "entity id is missing or larger than 2^64-1"))?;
    c.expect(b"=")?;
    c.skip_ws()?;
    // Simple instance: TYPE(...); complex instance: (A(...)B(...)).
    let name_start = c.pos;
    while c
        .peek()
        .is_some_and(|d| d.is_ascii_alphanumeric() || d == b'_')
    {
        c.pos += 1;
    }
    let name_end = c.pos;
    if c.pos == name_start && c.peek() != Some(b'(') {
        if c.pos >= c.b.len() {
            return Err(c.truncated(start, format!("entity #{id}")));
        }
        return Err(c.syntax(c.pos, format!("entity #{id}: expected a type name")));
    }
    c.skip_ws()?;
    if c.peek() != Some(b'(') {
        if c.pos >= c.b.len() {
            return Err(c.truncated(start, format!("entity #{id}")));
        }
        return Err(c.syntax(
            c.pos,
            format!("entity #{id}: expected '(' after the type name"),
        ));
    }
    let mut text = TextFlags::default();
    skip_params(c, start, &mut text).map_err(|e| match e {
        IfcError::Truncated { .. } => c.truncated(start, format!("entity #{id}")),
        other => other,
    })?;
    c.skip_ws()?;
    match c.peek() {
        Some(b';') => c.pos += 1,
        None => return Err(c.truncated(start, format!("entity #{id} (no ';')"))),
        Some(_) => {
            return Err(c.syntax(
                c.pos,
                format!("entity #{id}: expected ';' after the parameters"),
            ))
        }
    }
    Ok(Scanned {
        id,
        keyword: name_start..name_end,
        text,
    })
}

/// Calls `f(offset, id)` for each `#id` reference outside strings in a record's parameters.
fn for_each_ref(bytes: &[u8], rec: &Record, mut f: impl FnMut(usize, Option<u64>)) {
    let body = &bytes[rec.start..rec.end];
    // Skip the record's own "#id".
    let Some(eq) = memchr::memchr(b'=', body) else {
        return;
    };
    let mut i = eq + 1;
    while i < body.len() {
        match memchr::memchr2(b'\'', b'#', &body[i..]) {
            Some(k) => i += k,
            None => return,
        }
        match body[i] {
            b'\'' => match string_end(body, i) {
                Some(close) => i = close + 1,
                None => return,
            },
            b'#' => {
                let s = i + 1;
                let mut e = s;
                while e < body.len() && body[e].is_ascii_digit() {
                    e += 1;
                }
                f(rec.start + i, parse_id(&body[s..e]));
                i = e;
            }
            _ => i += 1,
        }
    }
}

/// A value per entity id: a dense table for the usual ids 1..N (a hash lookup per
/// record and per reference was a tenth of a large model's scan), a map for ids far
/// beyond the entries so far (a sparse or hostile numbering cannot make the table
/// large). The pre-scan keeps where each id was defined in one, the loader each
/// id's type.
///
/// The dense part starts at `base`: 0, or a piece's first id (`scan_chunks`), whose
/// ids run from there; ids below it go to the map.
pub(crate) struct IdTable<T: Copy> {
    base: u64,
    dense: Vec<Option<T>>,
    sparse: HashMap<u64, T>,
    count: usize,
    /// The highest id inserted.
    max: Option<u64>,
}

impl<T: Copy> Default for IdTable<T> {
    fn default() -> Self {
        IdTable::based_at(0)
    }
}

impl<T: Copy> IdTable<T> {
    fn based_at(base: u64) -> Self {
        IdTable {
            base,
            dense: Vec::new(),
            sparse: HashMap::default(),
            count: 0,
            max: None,
        }
    }

    /// The dense slot of `id`, if it is at or above the base.
    fn slot(&self, id: u64) -> Option<usize> {
        usize::try_from(id.checked_sub(self.base)?).ok()
    }

    pub(crate) fn get(&self, id: u64) -> Option<T> {
        match self.slot(id).and_then(|i| self.dense.get(i)) {
            Some(v) => *v,
            None => self.sparse.get(&id).copied(),
        }
    }

    /// Whether a dense part of `len` slots is in proportion to `count` entries.
    fn dense_fits(len: u64, count: usize) -> bool {
        len < (4 * count + 65_536) as u64
    }

    /// Sets `id`'s value (the caller decides what a second insert means).
    pub(crate) fn insert(&mut self, id: u64, value: T) {
        self.count += 1;
        self.max = Some(self.max.map_or(id, |m| m.max(id)));
        // An id the dense part already covers goes there, however far it is: `get`
        // looks no further than a covered slot.
        let Some(i) = self
            .slot(id)
            .filter(|&i| i < self.dense.len() || Self::dense_fits(i as u64, self.count))
        else {
            self.sparse.insert(id, value);
            return;
        };
        if i >= self.dense.len() {
            // Ids the table now covers may sit in the map: move them over.
            let old = self.dense.len();
            self.dense.resize((i + 1).max(2 * old), None);
            let end = self.base + self.dense.len() as u64;
            let moved: Vec<u64> = (self.sparse.keys().copied())
                .filter(|&k| k >= self.base && k < end)
                .collect();
            for k in moved {
                self.dense[(k - self.base) as usize] = self.sparse.remove(&k);
            }
        }
        self.dense[i] = Some(value);
    }

    pub(crate) fn contains(&self, id: u64) -> bool {
        self.get(id).is_some()
    }

    /// Takes in `later`, whose ids all lie above this table's, by copying its dense
    /// part after this one's: no id is looked at. Gives `later` back, untouched, when
    /// that does not hold (a map entry on either side, or ids that go down or leave
    /// a gap out of proportion), for the caller to insert id by id.
    fn append_above(&mut self, later: IdTable<T>) -> Result<(), IdTable<T>> {
        if later.count == 0 {
            return Ok(());
        }
        if self.count == 0 && self.base <= later.base {
            *self = later;
            return Ok(());
        }
        let (Some(top), Some(later_top)) = (self.max, later.max) else {
            return Err(later);
        };
        let count = self.count + later.count;
        let len = later_top - self.base + 1;
        if !self.sparse.is_empty()
            || !later.sparse.is_empty()
            || top >= later.base
            || !Self::dense_fits(len, count)
        {
            return Err(later);
        }
        let at = (later.base - self.base) as usize;
        let used = (later_top - later.base + 1) as usize;
        self.dense.resize(at, None);
        self.dense.extend_from_slice(&later.dense[..used]);
        self.count = count;
        self.max = Some(later_top);
        Ok(())
    }
}

/// Where each id was first defined: byte offset + 1, so that an entry takes 8 bytes.
type Seen = IdTable<NonZeroUsize>;

/// What one chunk of records found while checking references.
#[derive(Default)]
struct RefFindings {
    dangling: Vec<(u64, u64, usize)>,
    malformed: Vec<(u64, usize)>,
    count: usize,
}

impl RefFindings {
    fn of(bytes: &[u8], records: &[Record], seen: &Seen) -> RefFindings {
        let mut f = RefFindings::default();
        for rec in records {
            for_each_ref(bytes, rec, |off, target| {
                let Some(t) = target else {
                    if f.malformed.len() < MAX_LISTED {
                        f.malformed.push((rec.id, off));
                    }
                    return;
                };
                if !seen.contains(t) {
                    f.count += 1;
                    if f.dangling.len() < MAX_LISTED {
                        f.dangling.push((rec.id, t, off));
                    }
                }
            });
        }
        f
    }

    /// `self` then `later`, keeping the first [`MAX_LISTED`] of each list.
    fn then(mut self, later: RefFindings) -> RefFindings {
        self.dangling.extend(later.dangling);
        self.dangling.truncate(MAX_LISTED);
        self.malformed.extend(later.malformed);
        self.malformed.truncate(MAX_LISTED);
        self.count += later.count;
        self
    }
}

fn check_references(bytes: &[u8], records: &[Record], seen: &Seen, diags: &mut Vec<Diagnostic>) {
    use rayon::prelude::*;
    // Read-only over the bytes: chunks in parallel, merged in file order.
    let RefFindings {
        dangling,
        malformed,
        count,
    } = records
        .par_chunks(16_384)
        .map(|chunk| RefFindings::of(bytes, chunk, seen))
        .reduce(RefFindings::default, RefFindings::then);
    for (from, to, off) in &dangling {
        diags.push(
            Diagnostic::warn(
                "dangling_reference",
                format!("entity #{from} refers to #{to}, which is not defined; the reference is treated as unset"),
            )
            .at_entity(*from)
            .at_offset(*off),
        );
    }
    for (id, off) in &malformed {
        diags.push(
            Diagnostic::warn(
                "malformed_token",
                format!(
                    "entity #{id}: '{}' is not a reference or a number (an exporter's infinity/NaN?); the value is unusable",
                    snippet(bytes, *off).split([',', ')']).next().unwrap_or("")
                ),
            )
            .at_entity(*id)
            .at_offset(*off),
        );
    }
    if count > dangling.len() {
        diags.push(Diagnostic::warn(
            "dangling_reference",
            format!(
                "{} more dangling references not listed",
                count - dangling.len()
            ),
        ));
    }
}

/// Top-level argument spans (absolute offsets) of a record's parameter list.
pub fn arg_spans(bytes: &[u8], rec: &Record) -> Vec<(usize, usize)> {
    let body = &bytes[rec.start..rec.end];
    let Some(open) = memchr::memchr(b'(', body) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let (mut depth, mut i, mut start) = (0usize, open + 1, open + 1);
    while i < body.len() {
        match body[i] {
            b'\'' => match string_end(body, i) {
                Some(c) => i = c,
                None => return out,
            },
            b'(' => depth += 1,
            b')' if depth == 0 => {
                out.push((rec.start + start, rec.start + i));
                return out;
            }
            b')' => depth -= 1,
            b',' if depth == 0 => {
                out.push((rec.start + start, rec.start + i));
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Applies (start, end, replacement) edits, which must not overlap.
pub fn apply_edits(bytes: &[u8], mut edits: Vec<(usize, usize, String)>) -> Vec<u8> {
    edits.sort_unstable_by_key(|e| e.0);
    let mut out = Vec::with_capacity(bytes.len());
    let mut last = 0;
    for (s, e, new) in edits {
        out.extend_from_slice(&bytes[last..s]);
        out.extend_from_slice(new.as_bytes());
        last = e;
    }
    out.extend_from_slice(&bytes[last..]);
    out
}

/// Rewrites the file so that every id fits in u32 (ifc-lite's id type).
fn renumber(bytes: &[u8], scan: &Scan, file: &str) -> Result<(Vec<u8>, Vec<Diagnostic>), IfcError> {
    let max_small = scan
        .records
        .iter()
        .map(|r| r.id)
        .filter(|&id| id <= u64::from(u32::MAX))
        .max()
        .unwrap_or(0);
    let big: Vec<&Record> = scan
        .records
        .iter()
        .filter(|r| r.id > u64::from(u32::MAX))
        .collect();
    if max_small + big.len() as u64 > u64::from(u32::MAX) {
        return Err(IfcError::IdSpace {
            file: file.into(),
            count: big.len(),
        });
    }
    let mut map: HashMap<u64, u64> = HashMap::default();
    let mut diags = Vec::new();
    for (k, r) in big.iter().enumerate() {
        let new = max_small + 1 + k as u64;
        map.insert(r.id, new);
        if k < MAX_LISTED {
            diags.push(
                Diagnostic::warn(
                    "entity_id_renumbered",
                    format!("entity id #{} exceeds 2^32-1; renumbered to #{new}", r.id),
                )
                .at_entity(r.id)
                .at_offset(r.start),
            );
        }
    }
    // Collect every id token to rewrite: record heads and references.
    let mut edits: Vec<(usize, usize, u64)> = Vec::new();
    for rec in &scan.records {
        if let Some(&new) = map.get(&rec.id) {
            let s = rec.start + 1;
            let e = s + bytes[s..rec.end]
                .iter()
                .take_while(|d| d.is_ascii_digit())
                .count();
            edits.push((rec.start, e, new));
        }
        for_each_ref(bytes, rec, |off, target| {
            if let Some(new) = target.and_then(|t| map.get(&t)) {
                let s = off + 1;
                let e = s + bytes[s..].iter().take_while(|d| d.is_ascii_digit()).count();
                edits.push((off, e, *new));
            }
        });
    }
    let out = apply_edits(
        bytes,
        edits
            .into_iter()
            .map(|(s, e, new)| (s, e, format!("#{new}")))
            .collect(),
    );
    Ok((out, diags))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrap(data: &str) -> Vec<u8> {
        format!(
            "ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION((''),'2;1');\nFILE_NAME('a','',(''),(''),'','','');\nFILE_SCHEMA(('IFC4'));\nENDSEC;\nDATA;\n{data}\nENDSEC;\nEND-ISO-10303-21;\n"
        )
        .into_bytes()
    }

    /// The id table agrees with a plain map whatever the numbering: dense, sparse,
    /// huge, descending, and sparse ids the dense table later grows over.
    #[test]
    fn seen_table_agrees_with_a_map() {
        let mut ids: Vec<u64> = (1..5000).collect();
        ids.extend([1 << 40, u64::MAX, 3_000_000, 70_000, 90_000, 10_000_000]);
        ids.extend((100_000..130_000).rev());
        let mut seen = IdTable::<usize>::default();
        let mut map = HashMap::default();
        for (k, &id) in ids.iter().enumerate() {
            assert_eq!(seen.get(id), None, "#{id} before insert");
            seen.insert(id, k * 7);
            map.insert(id, k * 7);
        }
        for probe in ids
            .iter()
            .copied()
            .chain([0, 5000, 69_999, 1 << 39, 130_000])
        {
            assert_eq!(seen.get(probe), map.get(&probe).copied(), "#{probe}");
        }
        // 70,000 and 90,000 came in beyond the dense limit, then the table grew over them.
        assert!(
            seen.dense.len() > 90_000 && seen.sparse.len() < 10,
            "{}",
            seen.sparse.len()
        );
    }

    proptest::proptest! {
        /// Two tables appended answer as one table of all their ids, whether the
        /// later one's dense part was copied over or its ids inserted one by one.
        #[test]
        fn appended_tables_agree_with_a_map(
            first in proptest::collection::vec(0u64..3_000, 0..300),
            later in proptest::collection::vec(0u64..200_000, 0..300),
        ) {
            let mut a = IdTable::<usize>::default();
            let mut map = HashMap::default();
            for (k, &id) in first.iter().enumerate() {
                if let std::collections::hash_map::Entry::Vacant(v) = map.entry(id) {
                    v.insert(k);
                    a.insert(id, k);
                }
            }
            let mut b = IdTable::based_at(later.first().copied().unwrap_or(0));
            let mut later_map = HashMap::default();
            for (k, &id) in later.iter().enumerate() {
                if !map.contains_key(&id) && !later_map.contains_key(&id) {
                    later_map.insert(id, 1000 + k);
                    b.insert(id, 1000 + k);
                }
            }
            map.extend(later_map.iter().map(|(&id, &v)| (id, v)));
            if let Err(b) = a.append_above(b) {
                for (&id, &v) in &later_map {
                    proptest::prop_assert_eq!(b.get(id), Some(v));
                    a.insert(id, v);
                }
            }
            for probe in first.iter().chain(&later).copied().chain([0, 2_999, 199_999, 1 << 40]) {
                proptest::prop_assert_eq!(a.get(probe), map.get(&probe).copied(), "#{}", probe);
            }
        }
    }

    #[test]
    fn an_id_beyond_the_dense_limit_but_inside_the_grown_table_is_found() {
        // 44,335 doubles the dense part to 88,670 slots; with four entries the limit
        // for a new id is 65,552, and 65,600 lies between: it must still be found.
        let mut t = IdTable::<u32>::default();
        for id in [1, 44_334, 44_335, 65_600] {
            t.insert(id, id as u32);
        }
        assert!(t.dense.len() > 65_600);
        for id in [1, 44_334, 44_335, 65_600] {
            assert_eq!(t.get(id), Some(id as u32), "#{id}");
        }
    }

    #[test]
    fn a_record_past_a_gap_in_the_numbering_is_defined() {
        // The numbering of the table test above: #65600 was reported as not defined,
        // and the reference to it treated as unset.
        let b = wrap(
            "#1=IFCPERSON($,$,$,$,$,$,$,$);\n#44334=IFCORGANIZATION($,'x',$,$,$);\n#44335=IFCPERSONANDORGANIZATION(#1,#44334,$);\n#65600=IFCORGANIZATION($,'y',$,$,$);\n#65601=IFCAPPLICATION(#65600,'1','a','b');",
        );
        let s = scan(&b, "t").unwrap();
        assert_eq!(s.records.len(), 5);
        assert!(s.diagnostics.is_empty(), "{:?}", s.diagnostics);
    }

    #[test]
    fn a_table_above_another_is_copied_over_and_one_that_goes_down_is_not() {
        let mut a = IdTable::<u32>::default();
        for id in 1..=100 {
            a.insert(id, id as u32);
        }
        let mut b = IdTable::based_at(101);
        for id in 101..=200 {
            b.insert(id, id as u32);
        }
        assert!(a.append_above(b).is_ok());
        assert!((1..=200).all(|id| a.get(id) == Some(id as u32)));
        assert_eq!((a.count, a.max, a.sparse.len()), (200, Some(200), 0));
        // Ids that go down into the table's own range are given back.
        let mut c = IdTable::based_at(150);
        c.insert(150, 0);
        assert!(a.append_above(c).is_err());
    }

    #[test]
    fn reads_records_and_offsets() {
        let b = wrap("#1=IFCA('x;y',#2);\n#2=IFCB((1.,2.),'it''s');");
        let s = scan(&b, "t.ifc").unwrap();
        assert_eq!(s.records.len(), 2);
        assert_eq!(s.records[0].id, 1);
        assert_eq!(
            &b[s.records[1].start..s.records[1].end],
            b"#2=IFCB((1.,2.),'it''s');"
        );
        assert!(s.diagnostics.is_empty(), "{:?}", s.diagnostics);
    }

    #[test]
    fn empty_and_not_step_and_binary() {
        assert!(matches!(
            scan(b"", "e").unwrap_err(),
            IfcError::Empty { .. }
        ));
        assert!(matches!(
            scan(b"PK\x03\x04 zip", "z").unwrap_err(),
            IfcError::NotStep { .. }
        ));
        assert!(matches!(
            scan(b"\x00\x01\x02", "b").unwrap_err(),
            IfcError::Binary { offset: 0, .. }
        ));
        let mut b = wrap("#1=IFCA(1);");
        let at = b.len() - 5;
        b[at] = 0;
        assert!(
            matches!(scan(&b, "b").unwrap_err(), IfcError::Binary { offset, .. } if offset == at)
        );
    }

    #[test]
    fn truncated_mid_entity_names_the_entity() {
        let full = wrap("#1=IFCA(1);\n#22=IFCB('abc',(1,2));");
        let cut = full.iter().position(|&c| c == b'B').unwrap() + 4;
        let err = scan(&full[..cut], "t.ifc").unwrap_err();
        match err {
            IfcError::Truncated { what, offset, .. } => {
                assert!(what.contains("#22"), "{what}");
                assert_eq!(&full[offset..offset + 4], b"#22=");
            }
            e => panic!("unexpected {e}"),
        }
    }

    #[test]
    fn duplicate_id_is_an_error_with_both_offsets() {
        let b = wrap("#1=IFCA(1);\n#1=IFCB(2);");
        match scan(&b, "d").unwrap_err() {
            IfcError::DuplicateId {
                id,
                offset,
                first_offset,
                ..
            } => {
                assert_eq!(id, 1);
                assert!(offset > first_offset);
            }
            e => panic!("unexpected {e}"),
        }
    }

    #[test]
    fn dangling_reference_is_a_warning_naming_the_entity() {
        let b = wrap("#1=IFCA(#7,'#9');");
        let s = scan(&b, "d").unwrap();
        assert_eq!(
            s.diagnostics.len(),
            1,
            "'#9' inside a string is not a reference"
        );
        assert_eq!(s.diagnostics[0].code, "dangling_reference");
        assert_eq!(s.diagnostics[0].entity, Some(1));
        assert!(s.diagnostics[0].message.contains("#7"));
    }

    #[test]
    fn large_ids_are_renumbered_consistently() {
        let b = wrap("#5=IFCA(#92147483647);\n#92147483647=IFCB('x');");
        let s = scan(&b, "l").unwrap();
        let text = String::from_utf8(s.renumbered.clone().unwrap()).unwrap();
        assert!(text.contains("#5=IFCA(#6);"), "{text}");
        assert!(text.contains("#6=IFCB('x');"), "{text}");
        assert!(s
            .diagnostics
            .iter()
            .any(|d| d.code == "entity_id_renumbered" && d.entity == Some(92147483647)));
        assert!(s.records.iter().all(|r| r.id <= 6));
    }

    #[test]
    fn type_keywords_are_read_once_and_case_folded() {
        let text = "ISO-10303-21;HEADER;ENDSEC;DATA;\n#1=IFCWALL();\n#2=IfcWall();\n#3=(IFCA()IFCB());\n#4=IFCSLAB();\nENDSEC;END-ISO-10303-21;";
        let scan = scan(text.as_bytes(), "t.ifc").unwrap();
        let k = &scan.kinds;
        let wall = k.slot("IFCWALL").unwrap();
        assert_eq!(
            k.of,
            vec![wall, wall, k.slot("").unwrap(), k.slot("IFCSLAB").unwrap()]
        );
        assert_eq!(k.names[usize::from(wall)], "IFCWALL");
        assert_eq!(k.names.len(), 3, "{:?}", k.names);
        assert_eq!(k.slot("IFCBEAM"), None);
        let walls: Vec<u64> = k
            .records_of(&scan.records, "IFCWALL")
            .map(|r| r.id)
            .collect();
        assert_eq!(walls, vec![1, 2]);
        assert_eq!(k.records_of(&scan.records, "IFCBEAM").count(), 0);
    }

    #[test]
    fn record_like_text_in_strings_is_flagged_and_plain_hashes_are_not() {
        assert_eq!(record_like(b"Room #3 east"), None);
        assert_eq!(record_like(b"a #= b #x=1"), None);
        assert_eq!(record_like(b"x);\n#31 = IFCWALL("), Some(4));
        let text = "ISO-10303-21;HEADER;ENDSEC;DATA;\n#1=IFCLABEL('Room #3');\n#2=IFCLABEL('oops);\n#3=IFCWALL(');\nENDSEC;END-ISO-10303-21;";
        let scan = scan(text.as_bytes(), "t.ifc").unwrap();
        let flagged: Vec<_> = scan
            .diagnostics
            .iter()
            .filter(|d| d.code == "record_unreadable")
            .map(|d| d.entity)
            .collect();
        assert_eq!(flagged, vec![Some(2)]);
        assert_eq!(scan.records.len(), 2, "#3 is text inside #2's string");
    }

    #[test]
    fn non_utf8_text_is_flagged() {
        let mut b = wrap("#1=IFCA('caf\u{e9}');");
        // Replace the UTF-8 'é' (C3 A9) with Latin-1 0xE9.
        let p = b.windows(2).position(|w| w == [0xC3, 0xA9]).unwrap();
        b.splice(p..p + 2, [0xE9]);
        let s = scan(&b, "n").unwrap();
        assert!(s
            .diagnostics
            .iter()
            .any(|d| d.code == "non_utf8_text" && d.entity == Some(1)));
    }

    #[test]
    fn missing_trailer_is_truncation() {
        let b = b"ISO-10303-21;\nHEADER;\nENDSEC;\nDATA;\n#1=IFCA(1);\n";
        assert!(matches!(
            scan(b, "t").unwrap_err(),
            IfcError::Truncated { .. }
        ));
    }

    /// Pieces scanned in parallel give what one scan from the start gives.
    mod pieces {
        use super::super::*;
        use super::wrap;
        use proptest::prelude::*;
        use std::fmt::Write;

        const ONE: Pieces = Pieces {
            bytes: usize::MAX,
            most: 1,
        };

        /// Everything a scan gives, as text, and how many pieces it took.
        fn outcome(bytes: &[u8], pieces: Pieces) -> (String, usize) {
            match scan_in_pieces(bytes, "t.ifc", &|_| Ok(()), pieces) {
                Ok((s, taken)) => {
                    let mut out = format!("{:?}\n", s.header);
                    for (r, &k) in s.records.iter().zip(&s.kinds.of) {
                        let name = s.kinds.names.get(usize::from(k));
                        writeln!(out, "#{} {}..{} {name:?}", r.id, r.start, r.end).unwrap();
                    }
                    for d in &s.diagnostics {
                        writeln!(out, "{d:?}").unwrap();
                    }
                    (out, taken)
                }
                Err(e) => (format!("error {e:?}"), 0),
            }
        }

        #[test]
        fn the_samples_scan_the_same_in_pieces() {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/ifc");
            for f in std::fs::read_dir(dir).unwrap() {
                let f = f.unwrap().path();
                if f.extension().is_none_or(|e| e != "ifc") {
                    continue;
                }
                let b = std::fs::read(&f).unwrap();
                let (want, one) = outcome(&b, ONE);
                assert_eq!(one, 0);
                for most in [2, 3, 7] {
                    let (got, taken) = outcome(&b, Pieces { bytes: 1, most });
                    assert_eq!(got, want);
                    assert_eq!(
                        taken, most,
                        "every piece of a well-formed file is taken: {f:?}"
                    );
                }
            }
        }

        #[test]
        fn a_cut_inside_a_string_or_a_comment_is_not_trusted() {
            // Lines that begin like records inside a string and a comment: with three
            // pieces the cuts fall on them, and the scan still reads four records.
            let b = wrap(
                "#1=IFCWALL('x\n#7=IFCDOOR(\n',$);\n/* a comment\n#8=IFCDOOR($);\n*/\n#2=IFCWALL('y',$);\n#3=IFCWALL($);\n#4=IFCWALL($);",
            );
            let (want, _) = outcome(&b, ONE);
            assert_eq!(want.matches("IFCWALL").count(), 4, "{want}");
            for bytes in 1..40 {
                for most in 2..6 {
                    assert_eq!(outcome(&b, Pieces { bytes, most }).0, want);
                }
            }
        }

        #[test]
        fn an_id_defined_again_in_a_later_piece_is_the_one_scan_s_error() {
            let b = wrap(
                "#1=IFCWALL($);\n#2=IFCWALL($);\n#3=IFCWALL($);\n#2=IFCDOOR($);\n#5=IFCWALL($);",
            );
            let (want, _) = outcome(&b, ONE);
            assert!(want.starts_with("error DuplicateId"), "{want}");
            for most in 2..6 {
                assert_eq!(outcome(&b, Pieces { bytes: 1, most }).0, want);
            }
        }

        /// One record of a generated file: plain, split over lines, with a string or a
        /// comment that holds record-like lines, lower-case, or a defect.
        fn record(id: u32, kind: u8) -> String {
            match kind {
                0..=3 => format!("#{id}=IFCWALL('w{id}',#{},$);\n", id / 2 + 1),
                4 => format!("#{id}=\nIFCSLAB(\n'multi\n#{}=IFCX(',.T.);\n", id + 1),
                5 => format!("/*\n#{id}=IFCX();\n*/#{id}=ifcdoor($);\n"),
                6 => format!("#{id}=IFCBEAM('a''b\\S\\'\n#9=',(1.,2.));\n"),
                7 => format!("#{}=IFCWALL($);\n", id.saturating_sub(3).max(1)),
                8 => format!("#{id}=IFCWALL(($);\n"),
                9 => format!("#{id}=IFCWALL($)\n"),
                _ => format!("#{id}=(IFCA($)IFCB(1));\n"),
            }
        }

        proptest! {
            #[test]
            fn generated_files_scan_the_same_in_pieces(
                kinds in proptest::collection::vec(0u8..14, 1..60),
                second_section in any::<bool>(),
                cut_short in 0usize..3,
                bytes in 1usize..300,
                most in 2usize..7,
            ) {
                let mut data = String::new();
                for (i, &k) in kinds.iter().enumerate() {
                    // Defects (7, 8, 9) are rarer than the rest.
                    let k = if (7..=9).contains(&k) && i % 3 != 0 { 0 } else { k };
                    data += &record(i as u32 + 1, k);
                }
                if second_section {
                    data += "ENDSEC;\nDATA;\n#900=IFCWALL($);\n";
                }
                let mut b = wrap(&data);
                // Sometimes the file is cut off in its last records.
                b.truncate(b.len() - cut_short * 40.min(b.len() / 4));
                let (want, _) = outcome(&b, ONE);
                let (got, _) = outcome(&b, Pieces { bytes, most });
                prop_assert_eq!(got, want);
            }
        }
    }
}
