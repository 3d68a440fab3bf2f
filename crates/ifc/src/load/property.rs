//! A direct reader for the two record kinds that dominate property sets:
//! `IFCPROPERTYSINGLEVALUE('Name',$,IFCLABEL('value'),$)` and the set itself,
//! `IFCPROPERTYSET('GlobalId',#owner,'Name',$,(#1,#2))`.
//!
//! Why: on Revit models the property side of the load ran beside meshing on the same
//! cores, and half of it was ifc-lite's general tokenizer decoding these small records
//! one by one (the tiled Duplex: 0.171 s against meshing's 0.186 s). This reads the
//! plain form straight from the record's bytes. Anything else (whitespace between
//! tokens, a backslash escape or a byte beyond ASCII in a string, a nested or listed
//! value, an integer with an exponent) answers `None`, and the caller decodes the
//! record through ifc-lite as before, so the values are ifc-lite's in every case; the
//! tests hold the two readers equal on every form this one reads.

use serde_json::Value;

/// The name and the value (`None` for no name, as the decoder's reading skips the
/// property), or `None` to let ifc-lite decode the record.
pub(super) type Read = Option<Option<(String, Value)>>;

/// `record` is the whole `#id=…;` record.
pub(super) fn single_value(record: &[u8]) -> Read {
    let mut p = Parser::of(record, b"IFCPROPERTYSINGLEVALUE(")?;
    let name = p.string_or_null()?;
    p.eat(b',')?;
    p.string_or_null()?; // Description
    p.eat(b',')?;
    let value = p.nominal()?;
    p.eat(b',')?;
    p.unit()?;
    p.eat(b')')?;
    p.eat(b';')?;
    if !p.s.is_empty() {
        return None;
    }
    Some(name.map(|n| (n, value)))
}

/// A property set's name (empty for `$`, as the loader reads it) and its properties,
/// or `None` to let ifc-lite decode the record. `record` is the whole `#id=…;` record.
pub(super) fn property_set(record: &[u8]) -> Option<(String, Vec<u32>)> {
    let mut p = Parser::of(record, b"IFCPROPERTYSET(")?;
    p.string()?; // GlobalId
    p.eat(b',')?;
    p.unit()?; // OwnerHistory: `$` or a reference
    p.eat(b',')?;
    let name = p.string_or_null()?.unwrap_or_default();
    p.eat(b',')?;
    p.string_or_null()?; // Description
    p.eat(b',')?;
    let props = p.refs()?;
    p.eat(b')')?;
    p.eat(b';')?;
    p.s.is_empty().then_some((name, props))
}

struct Parser<'a> {
    s: &'a [u8],
}

impl<'a> Parser<'a> {
    /// A parser after `#id=` and `keyword(` (written with no space), if the record
    /// starts so.
    fn of(record: &'a [u8], keyword: &[u8]) -> Option<Parser<'a>> {
        let eq = record.iter().position(|&c| c == b'=')?;
        let s = record[eq + 1..].strip_prefix(keyword)?;
        Some(Parser { s })
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        self.s = self.s.strip_prefix(&[c])?;
        Some(())
    }

    /// `'…'` (with `''` for a quote) or `$`; `None` for anything else.
    fn string_or_null(&mut self) -> Option<Option<String>> {
        if self.s.first() == Some(&b'$') {
            self.s = &self.s[1..];
            return Some(None);
        }
        self.string().map(Some)
    }

    fn string(&mut self) -> Option<String> {
        let mut rest = self.s.strip_prefix(b"'")?;
        let mut out = String::new();
        loop {
            let end = rest.iter().position(|&c| c == b'\'')?;
            let chunk = &rest[..end];
            if chunk
                .iter()
                .any(|&c| c == b'\\' || !(0x20..0x7f).contains(&c))
            {
                return None;
            }
            out.push_str(std::str::from_utf8(chunk).ok()?);
            rest = &rest[end + 1..];
            if rest.first() == Some(&b'\'') {
                out.push('\'');
                rest = &rest[1..];
            } else {
                self.s = rest;
                return Some(out);
            }
        }
    }

    /// `$`, or `IFCTYPE(literal)` with a string, number or enumeration literal.
    fn nominal(&mut self) -> Option<Value> {
        if self.s.first() == Some(&b'$') {
            self.s = &self.s[1..];
            return Some(Value::Null);
        }
        let open = self.s.iter().position(|&c| c == b'(')?;
        let kind = &self.s[..open];
        if kind.is_empty()
            || !kind
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        {
            return None;
        }
        self.s = &self.s[open + 1..];
        let v = match self.s.first()? {
            b'\'' => Value::String(self.string()?),
            b'.' => self.enumeration()?,
            _ => self.number()?,
        };
        self.eat(b')')?;
        Some(v)
    }

    /// `.T.`, `.F.` (booleans), `.U.` (unknown: null) or another `.NAME.`.
    fn enumeration(&mut self) -> Option<Value> {
        let rest = &self.s[1..];
        let end = rest.iter().position(|&c| c == b'.')?;
        let name = &rest[..end];
        if name.is_empty() || !name.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_') {
            return None;
        }
        self.s = &rest[end + 1..];
        Some(match name {
            b"T" => Value::Bool(true),
            b"F" => Value::Bool(false),
            b"U" => Value::Null,
            other => Value::String(std::str::from_utf8(other).ok()?.to_owned()),
        })
    }

    /// A STEP integer (digits) or real (with a point): a real that is not finite is
    /// null, as the decoder's reading makes it.
    fn number(&mut self) -> Option<Value> {
        let end = self
            .s
            .iter()
            .position(|c| !(c.is_ascii_digit() || b"+-.Ee".contains(c)))?;
        let text = std::str::from_utf8(&self.s[..end]).ok()?;
        self.s = &self.s[end..];
        let digits = text.trim_start_matches(['+', '-']);
        if digits.is_empty() || !digits.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        if text.contains('.') {
            let f: f64 = text.parse().ok()?;
            Some(if f.is_finite() {
                serde_json::json!(f)
            } else {
                Value::Null
            })
        } else if text.contains(['E', 'e']) {
            None
        } else {
            Some(serde_json::json!(text.parse::<i64>().ok()?))
        }
    }

    /// A list of references, `(#1,#2)`, at least one.
    fn refs(&mut self) -> Option<Vec<u32>> {
        self.eat(b'(')?;
        let mut out = Vec::new();
        loop {
            let rest = self.s.strip_prefix(b"#")?;
            let n = rest.iter().take_while(|c| c.is_ascii_digit()).count();
            out.push(std::str::from_utf8(&rest[..n]).ok()?.parse().ok()?);
            self.s = &rest[n..];
            if self.eat(b',').is_none() {
                self.eat(b')')?;
                return Some(out);
            }
        }
    }

    /// The unit: `$` or a reference.
    fn unit(&mut self) -> Option<()> {
        if self.s.first() == Some(&b'$') {
            self.s = &self.s[1..];
            return Some(());
        }
        let rest = self.s.strip_prefix(b"#")?;
        let n = rest.iter().take_while(|c| c.is_ascii_digit()).count();
        (n > 0).then_some(())?;
        self.s = &rest[n..];
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ifc_lite_core::EntityDecoder;

    /// What the loader read from the record through ifc-lite before this reader.
    fn decoded(record: &str) -> Option<(String, Value)> {
        let dec = EntityDecoder::new(record.as_bytes());
        let e = dec.decode_at_uncached(0, record.len()).unwrap();
        let name = e.get_string(0)?.to_owned();
        Some((name, super::super::value_json(e.get(2)?)))
    }

    #[test]
    fn reads_what_the_decoder_reads_on_every_form_it_takes() {
        let records = [
            "#1=IFCPROPERTYSINGLEVALUE('Reference',$,IFCIDENTIFIER('Basic Wall: 200'),$);",
            "#2=IFCPROPERTYSINGLEVALUE('LoadBearing',$,IFCBOOLEAN(.T.),$);",
            "#3=IFCPROPERTYSINGLEVALUE('IsExternal',$,IFCBOOLEAN(.F.),$);",
            "#4=IFCPROPERTYSINGLEVALUE('Unknown',$,IFCLOGICAL(.U.),$);",
            "#5=IFCPROPERTYSINGLEVALUE('Width',$,IFCLENGTHMEASURE(0.2),$);",
            "#6=IFCPROPERTYSINGLEVALUE('Tiny',$,IFCREAL(1.E-05),#9);",
            "#7=IFCPROPERTYSINGLEVALUE('Count',$,IFCINTEGER(-42),$);",
            "#8=IFCPROPERTYSINGLEVALUE('Quote',$,IFCLABEL('It''s 3'' long'),$);",
            "#9=IFCPROPERTYSINGLEVALUE('Empty','with a description',IFCTEXT(''),$);",
            "#10=IFCPROPERTYSINGLEVALUE('Nothing',$,$,$);",
            "#11=IFCPROPERTYSINGLEVALUE('Kind',$,IFCLABEL('A;B,C(D)'),$);",
            "#12=IFCPROPERTYSINGLEVALUE('Big',$,IFCREAL(1.7976931348623157E308),$);",
            "#13=IFCPROPERTYSINGLEVALUE('Neg',$,IFCAREAMEASURE(-0.),$);",
            "#14=IFCPROPERTYSINGLEVALUE('Fire',$,IFCLABEL('REI 60'),$);",
            "#15=IFCPROPERTYSINGLEVALUE('Mode',$,IFCLABEL('x'),$);",
            "#16=IFCPROPERTYSINGLEVALUE('Dim',$,IFCPOSITIVELENGTHMEASURE(2400.),$);",
            "#17=IFCPROPERTYSINGLEVALUE('Enum',$,IFCLABEL(.NOTDEFINED.),$);",
            "#18=IFCPROPERTYSINGLEVALUE($,$,IFCLABEL('no name'),$);",
        ];
        for r in records {
            let fast = single_value(r.as_bytes());
            assert_eq!(fast, Some(decoded(r)), "{r}");
        }
    }

    /// What the loader read from a set record through ifc-lite.
    fn decoded_set(record: &str) -> (String, Vec<u32>) {
        let dec = EntityDecoder::new(record.as_bytes());
        let e = dec.decode_at_uncached(0, record.len()).unwrap();
        let name = e.get_string(2).unwrap_or("").to_owned();
        (name, super::super::refs(e.get(4)))
    }

    #[test]
    fn reads_a_set_as_the_decoder_does() {
        for r in [
            "#1=IFCPROPERTYSET('2O2Fr$t4X7Zf8NOew3FLOH',#42,'Pset_WallCommon',$,(#10,#11,#12));",
            "#2=IFCPROPERTYSET('0Xy''q',$,'Dimensions','Revit''s own',(#7));",
            "#3=IFCPROPERTYSET('a',#1,$,$,(#4294967295,#2));",
        ] {
            assert_eq!(property_set(r.as_bytes()), Some(decoded_set(r)), "{r}");
        }
        for r in [
            "#1=IFCPROPERTYSET('g',#42,'Pset_\\X2\\5899\\X0\\',$,(#10));",
            "#2=IFCPROPERTYSET('g',#42,'Name',$,(#10, #11));",
            "#3=IFCPROPERTYSET('g',#42,'Name',$,());",
            "#4=IFCPROPERTYSET('g',#42,'Name',$,(#10,#4294967296));",
            "#5=IFCELEMENTQUANTITY('g',#42,'Qto',$,$,(#10));",
            "#6=IFCPROPERTYSET('g',#42,'Name',$,(#10))",
        ] {
            assert_eq!(property_set(r.as_bytes()), None, "{r}");
        }
    }

    #[test]
    fn leaves_every_other_form_to_the_decoder() {
        for r in [
            // Escapes and bytes beyond ASCII: ifc-lite decodes them.
            "#1=IFCPROPERTYSINGLEVALUE('Name',$,IFCLABEL('\\X2\\5899\\X0\\'),$);",
            "#2=IFCPROPERTYSINGLEVALUE('N\u{e4}me',$,IFCLABEL('x'),$);",
            // Whitespace between tokens, other kinds, nested or listed values.
            "#3=IFCPROPERTYSINGLEVALUE('Name', $,IFCLABEL('x'),$);",
            "#4 = IFCPROPERTYSINGLEVALUE('Name',$,IFCLABEL('x'),$);",
            "#5=IFCPROPERTYENUMERATEDVALUE('Name',$,(IFCLABEL('x')),$);",
            "#6=IFCPROPERTYSINGLEVALUE('Name',$,IFCLABEL(IFCLABEL('x')),$);",
            "#7=IFCPROPERTYSINGLEVALUE('Name',$,(1.,2.),$);",
            "#8=IFCPROPERTYSINGLEVALUE('Name',$,IFCINTEGER(1E5),$);",
            // Cut short, or more after the record.
            "#9=IFCPROPERTYSINGLEVALUE('Name',$,IFCLABEL('x'),$)",
            "#10=IFCPROPERTYSINGLEVALUE('Name',$,IFCLABEL('x'),$);#11",
            "#12=IFCPROPERTYSINGLEVALUE('Name,$,IFCLABEL(x),$);",
        ] {
            assert_eq!(single_value(r.as_bytes()), None, "{r}");
        }
    }
}
