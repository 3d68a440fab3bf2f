//! The text encoding of a Shapefile's DBF, chosen in the order the data itself says it:
//! the `.cpg` file, then the DBF header's language-driver id (LDID, byte 29: CP936 and
//! the other code pages GDAL knows), then detection over the field names and the
//! records together — UTF-8 when both decode as UTF-8, GBK (CP936) otherwise.
//!
//! Detection must include the names: Chinese departments deliver GBK field names
//! (地块编号, 用地性质 …) with ASCII values ("P1", "R2"), whose bytes are valid UTF-8, so
//! records alone would call the file UTF-8 and every field name would come out garbled.

use std::path::Path;

/// How the encoding was decided (`site info` says which).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodingSource {
    Cpg,
    LanguageDriver(u8),
    Detected,
    Default,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoding {
    /// A name GDAL's `ENCODING` open option accepts, e.g. `CP936`, `UTF-8`.
    pub name: String,
    pub source: EncodingSource,
    /// Set when a `.cpg` contradicts the bytes (honoured, but the names may be garbled).
    pub warning: Option<String>,
}

impl Encoding {
    /// `CP936 (DBF language driver 0x4D)` and the like.
    pub fn describe(&self) -> String {
        let how = match self.source {
            EncodingSource::Cpg => ".cpg".to_string(),
            EncodingSource::LanguageDriver(b) => format!("DBF language driver 0x{b:02X}"),
            EncodingSource::Detected if self.name == "UTF-8" => {
                "detected: field names and records are valid UTF-8".into()
            }
            EncodingSource::Detected => {
                "detected: field names or records are not UTF-8, GBK assumed".into()
            }
            EncodingSource::Default => "default".into(),
        };
        format!("{} ({how})", self.name)
    }
}

/// Code pages of the DBF language-driver ids that name one. 0x00 (none) and 0x57
/// ("ANSI": whatever the writer's system code page was) say nothing and fall through
/// to detection.
fn ldid_code_page(b: u8) -> Option<&'static str> {
    Some(match b {
        0x01 | 0x09 | 0x0B | 0x0D | 0x0F | 0x11 | 0x15 | 0x18 | 0x19 | 0x1B => "CP437",
        0x02 | 0x0A | 0x0E | 0x10 | 0x12 | 0x14 | 0x16 | 0x1A | 0x1D | 0x25 | 0x37 => "CP850",
        0x03 | 0x58 | 0x59 => "CP1252",
        0x13 | 0x7B => "CP932",
        0x4D | 0x7A => "CP936",
        0x4E | 0x79 => "CP949",
        0x4F | 0x78 => "CP950",
        0x50 | 0x7C => "CP874",
        0x1F | 0x22 | 0x23 | 0x40 | 0x64 => "CP852",
        0x26 | 0x65 => "CP866",
        0xC8 => "CP1250",
        0xC9 => "CP1251",
        0xCA => "CP1254",
        0xCB => "CP1253",
        0x7D => "CP1255",
        0x7E => "CP1256",
        _ => return None,
    })
}

/// The field-name bytes of a DBF header (descriptors of 32 bytes from offset 32 up to
/// the 0x0D terminator; a name is the first 11 bytes up to NUL).
fn field_names(b: &[u8], header_len: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut at = 32;
    while at + 32 <= header_len.min(b.len()) && b[at] != 0x0D {
        let name = &b[at..at + 11];
        let end = name.iter().position(|&c| c == 0).unwrap_or(11);
        out.extend_from_slice(&name[..end]);
        out.push(b' ');
        at += 32;
    }
    out
}

fn is_utf8_name(cpg: &str) -> bool {
    let l = cpg.to_ascii_lowercase().replace(['-', '_'], "");
    l == "utf8" || l == "65001"
}

/// The encoding of the Shapefile `shp` (its `.cpg` and `.dbf` beside it).
pub fn shapefile_encoding(shp: &Path) -> Encoding {
    let dbf = std::fs::read(shp.with_extension("dbf")).ok();
    let text_is_utf8 = dbf.as_deref().filter(|b| b.len() > 32).map(|b| {
        let header = u16::from_le_bytes([b[8], b[9]]) as usize;
        let names = field_names(b, header);
        let body = &b[header.min(b.len())..];
        std::str::from_utf8(&names).is_ok() && std::str::from_utf8(body).is_ok()
    });
    if let Ok(s) = std::fs::read_to_string(shp.with_extension("cpg")) {
        let name = s.trim().to_string();
        if !name.is_empty() {
            let warning = (is_utf8_name(&name) && text_is_utf8 == Some(false)).then(|| {
                format!(".cpg 声明 {name}，但字段名或记录不是合法的 UTF-8，字段名可能乱码；已按 .cpg 读取 / the .cpg says {name} but the field names or records are not valid UTF-8, so names may be garbled; read as the .cpg says")
            });
            return Encoding {
                name,
                source: EncodingSource::Cpg,
                warning,
            };
        }
    }
    let Some(b) = dbf.filter(|b| b.len() > 32) else {
        return Encoding {
            name: "UTF-8".into(),
            source: EncodingSource::Default,
            warning: None,
        };
    };
    if let Some(cp) = ldid_code_page(b[29]) {
        return Encoding {
            name: cp.into(),
            source: EncodingSource::LanguageDriver(b[29]),
            warning: None,
        };
    }
    Encoding {
        name: if text_is_utf8 == Some(true) {
            "UTF-8"
        } else {
            "CP936"
        }
        .into(),
        source: EncodingSource::Detected,
        warning: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A DBF with one field named `name` (raw bytes), `ldid`, and one record `value`.
    fn dbf(name: &[u8], ldid: u8, value: &[u8]) -> Vec<u8> {
        let header_len: u16 = 32 + 32 + 1;
        let mut b = vec![0u8; 32];
        b[0] = 3;
        b[4] = 1; // one record
        b[8..10].copy_from_slice(&header_len.to_le_bytes());
        b[10..12].copy_from_slice(&(1 + 10u16).to_le_bytes());
        b[29] = ldid;
        let mut field = vec![0u8; 32];
        field[..name.len()].copy_from_slice(name);
        field[11] = b'C';
        field[16] = 10;
        b.extend_from_slice(&field);
        b.push(0x0D);
        b.push(b' ');
        let mut v = value.to_vec();
        v.resize(10, b' ');
        b.extend_from_slice(&v);
        b.push(0x1A);
        b
    }

    fn with(files: &[(&str, Vec<u8>)]) -> (tempfile::TempDir, std::path::PathBuf) {
        let d = tempfile::tempdir().unwrap();
        for (n, bytes) in files {
            std::fs::write(d.path().join(n), bytes).unwrap();
        }
        let shp = d.path().join("parcel.shp");
        (d, shp)
    }

    // 地块编号 in GBK.
    const GBK_NAME: &[u8] = &[0xB5, 0xD8, 0xBF, 0xE9, 0xB1, 0xE0, 0xBA, 0xC5];

    #[test]
    fn gbk_names_with_ascii_values_and_no_cpg_are_gbk() {
        let (_d, shp) = with(&[("parcel.dbf", dbf(GBK_NAME, 0, b"P1"))]);
        let e = shapefile_encoding(&shp);
        assert_eq!(
            (e.name.as_str(), e.source),
            ("CP936", EncodingSource::Detected)
        );
        assert!(e.describe().contains("not UTF-8"), "{}", e.describe());
    }

    #[test]
    fn ascii_names_with_chinese_values_are_gbk_too() {
        // 住宅用地 in GBK as the value, an ASCII field name. (住宅 alone, D7A1 D5AC,
        // happens to be valid UTF-8: short GBK text can be; detection then says UTF-8.)
        let gbk = [0xD7, 0xA1, 0xD5, 0xAC, 0xD3, 0xC3, 0xB5, 0xD8];
        let (_d, shp) = with(&[("parcel.dbf", dbf(b"YDXZ", 0, &gbk))]);
        assert_eq!(shapefile_encoding(&shp).name, "CP936");
        // The same with UTF-8 bytes is UTF-8.
        let (_d, shp) = with(&[("parcel.dbf", dbf(b"YDXZ", 0, "住宅".as_bytes()))]);
        assert_eq!(shapefile_encoding(&shp).name, "UTF-8");
    }

    #[test]
    fn the_language_driver_decides_before_detection() {
        let (_d, shp) = with(&[("parcel.dbf", dbf(b"ID", 0x4D, b"P1"))]);
        let e = shapefile_encoding(&shp);
        assert_eq!(e.name, "CP936");
        assert_eq!(e.source, EncodingSource::LanguageDriver(0x4D));
        assert!(e.describe().contains("0x4D"));
        // 0x57 ("ANSI") names no code page: detection decides.
        let (_d, shp) = with(&[("parcel.dbf", dbf(GBK_NAME, 0x57, b"P1"))]);
        assert_eq!(shapefile_encoding(&shp).source, EncodingSource::Detected);
    }

    #[test]
    fn a_contradicting_cpg_is_honoured_with_a_warning() {
        let (_d, shp) = with(&[
            ("parcel.dbf", dbf(GBK_NAME, 0x4D, b"P1")),
            ("parcel.cpg", b"UTF-8\n".to_vec()),
        ]);
        let e = shapefile_encoding(&shp);
        assert_eq!((e.name.as_str(), e.source), ("UTF-8", EncodingSource::Cpg));
        assert!(e.warning.is_some());
        // A .cpg that agrees says nothing.
        let (_d, shp) = with(&[
            ("parcel.dbf", dbf(GBK_NAME, 0, b"P1")),
            ("parcel.cpg", b"CP936".to_vec()),
        ]);
        assert_eq!(shapefile_encoding(&shp).warning, None);
    }
}
