//! The HEADER section: FILE_DESCRIPTION, FILE_NAME, FILE_SCHEMA.

use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Header {
    /// FILE_SCHEMA identifiers as written, e.g. `["IFC2X3"]`.
    pub schema_identifiers: Vec<String>,
    pub description: Vec<String>,
    pub file_name: Option<String>,
    pub time_stamp: Option<String>,
    pub author: Vec<String>,
    pub organization: Vec<String>,
    pub preprocessor_version: Option<String>,
    pub originating_system: Option<String>,
    pub authorization: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Val {
    Str(String),
    List(Vec<Val>),
    Other,
}

/// Decodes a STEP string body (quotes stripped, `''` still doubled).
/// Bytes that are not UTF-8 are read as ISO 8859-1, the encoding Part 21 prescribes.
pub fn decode_text(raw: &[u8]) -> String {
    let s: String = match std::str::from_utf8(raw) {
        Ok(s) => s.to_owned(),
        Err(_) => raw.iter().map(|&b| b as char).collect(),
    };
    let s = s.replace("''", "'");
    ifc_lite_core::decode_ifc_string(&s).into_owned()
}

struct P<'a> {
    b: &'a [u8],
    i: usize,
}

impl P<'_> {
    fn ws(&mut self) {
        loop {
            while self.i < self.b.len() && self.b[self.i].is_ascii_whitespace() {
                self.i += 1;
            }
            if self.b[self.i..].starts_with(b"/*") {
                match memchr::memmem::find(&self.b[self.i + 2..], b"*/") {
                    Some(k) => self.i += k + 4,
                    None => self.i = self.b.len(),
                }
            } else {
                return;
            }
        }
    }

    fn value(&mut self, depth: usize) -> Val {
        self.ws();
        match self.b.get(self.i) {
            Some(b'\'') => {
                let start = self.i + 1;
                let j = crate::step::string_end(self.b, self.i).unwrap_or(self.b.len());
                let v = Val::Str(decode_text(&self.b[start..j.min(self.b.len())]));
                self.i = (j + 1).min(self.b.len());
                v
            }
            Some(b'(') if depth < 8 => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b')') => {
                            self.i += 1;
                            break;
                        }
                        Some(b',') => self.i += 1,
                        None => break,
                        _ => {
                            let before = self.i;
                            items.push(self.value(depth + 1));
                            if self.i == before {
                                self.i += 1;
                            }
                        }
                    }
                }
                Val::List(items)
            }
            _ => {
                while self.i < self.b.len() && !matches!(self.b[self.i], b',' | b')') {
                    self.i += 1;
                }
                Val::Other
            }
        }
    }
}

fn s(v: Option<&Val>) -> Option<String> {
    match v {
        Some(Val::Str(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn list(v: Option<&Val>) -> Vec<String> {
    match v {
        Some(Val::List(items)) => items.iter().filter_map(|i| s(Some(i))).collect(),
        Some(Val::Str(x)) if !x.is_empty() => vec![x.clone()],
        _ => Vec::new(),
    }
}

/// Parses the bytes between `HEADER;` and `ENDSEC;`. Missing pieces stay empty.
pub fn parse(header: &[u8]) -> Header {
    let mut h = Header::default();
    let mut p = P { b: header, i: 0 };
    loop {
        p.ws();
        if p.i >= header.len() {
            break;
        }
        let name_start = p.i;
        while p.i < header.len() && (header[p.i].is_ascii_alphanumeric() || header[p.i] == b'_') {
            p.i += 1;
        }
        let name = String::from_utf8_lossy(&header[name_start..p.i]).to_ascii_uppercase();
        p.ws();
        if header.get(p.i) != Some(&b'(') {
            // Not an entity: skip to the next ';'.
            match memchr::memchr(b';', &header[p.i..]) {
                Some(k) => p.i += k + 1,
                None => break,
            }
            continue;
        }
        let args = match p.value(0) {
            Val::List(a) => a,
            _ => Vec::new(),
        };
        match name.as_str() {
            "FILE_DESCRIPTION" => h.description = list(args.first()),
            "FILE_NAME" => {
                h.file_name = s(args.first());
                h.time_stamp = s(args.get(1));
                h.author = list(args.get(2));
                h.organization = list(args.get(3));
                h.preprocessor_version = s(args.get(4));
                h.originating_system = s(args.get(5));
                h.authorization = s(args.get(6));
            }
            "FILE_SCHEMA" => h.schema_identifiers = list(args.first()),
            _ => {}
        }
        p.ws();
        if header.get(p.i) == Some(&b';') {
            p.i += 1;
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_three_entities_with_comments_and_escapes() {
        let h = parse(
            b"/* banner; with ; semicolons */\nFILE_DESCRIPTION(('ViewDefinition [CoordinationView]'),'2;1');\n\
              FILE_NAME('P\\X2\\5EFA7B51\\X0\\.ifc','2024-01-02T03:04:05',('a','b'),(''),'pre','It''s sys','');\n\
              FILE_SCHEMA(('IFC4X3_ADD2'));",
        );
        assert_eq!(h.schema_identifiers, vec!["IFC4X3_ADD2"]);
        assert_eq!(h.description, vec!["ViewDefinition [CoordinationView]"]);
        assert_eq!(h.file_name.as_deref(), Some("P建筑.ifc"));
        assert_eq!(h.author, vec!["a", "b"]);
        assert!(h.organization.is_empty());
        assert_eq!(h.originating_system.as_deref(), Some("It's sys"));
        assert_eq!(h.authorization, None);
    }

    #[test]
    fn missing_fields_are_none() {
        let h = parse(b"FILE_NAME($,$,$,$,$,$,$);FILE_SCHEMA(('IFC2X3'));");
        assert_eq!(h.file_name, None);
        assert_eq!(h.schema_identifiers, vec!["IFC2X3"]);
    }

    #[test]
    fn latin1_bytes_decode() {
        assert_eq!(decode_text(b"caf\xe9"), "café");
        assert_eq!(decode_text(b"\\S\\i"), "é");
    }
}
