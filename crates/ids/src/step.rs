//! Part 21 parameter values of one record, read on demand.
//!
//! Why our own reader instead of ifc-lite: IDS looks at any attribute of any entity by
//! its EXPRESS name (including `ObjectType`, `Tag`, defined types wrapped as
//! `IFCLABEL('x')`, enumerations and logicals), while the IFC crate's decoder is geared
//! to geometry and never leaves `load.rs`. Records are located by `zhishen_ifc::step::scan`
//! (which reports structural errors with offset and line); this module only turns one
//! record's parameter list into [`Val`]s. [`check_syntax`] runs the same parser without
//! building values over every record at load, so a malformed record is an error naming
//! its line before checking starts, and later reads cannot fail.

/// One parameter value.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    /// `$`
    Null,
    /// `*`
    Derived,
    Int(i64),
    Real(f64),
    Str(String),
    /// `.ITEM.` without the dots; `.T.`/`.F.`/`.U.` too (booleans and logicals).
    Enum(String),
    Ref(u64),
    Binary(String),
    /// `IFCLABEL('x')`: a defined type name (upper case) and its value.
    Typed(String, Box<Val>),
    List(Vec<Val>),
}

impl Val {
    pub fn as_ref_id(&self) -> Option<u64> {
        match self {
            Val::Ref(r) => Some(*r),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            Val::Typed(_, v) => v.as_str(),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Val::Real(r) => Some(*r),
            Val::Int(i) => Some(*i as f64),
            Val::Typed(_, v) => v.as_f64(),
            _ => None,
        }
    }

    /// The references in this value (itself, or the items of a list).
    pub fn refs(&self) -> Vec<u64> {
        match self {
            Val::Ref(r) => vec![*r],
            Val::List(items) => items.iter().flat_map(Val::refs).collect(),
            _ => Vec::new(),
        }
    }
}

/// A parse failure: byte offset (relative to the parsed slice) and what.
#[derive(Debug)]
pub struct SyntaxError {
    pub offset: usize,
    pub what: &'static str,
}

struct P<'a> {
    b: &'a [u8],
    i: usize,
    build: bool,
}

type R<T> = Result<T, SyntaxError>;

impl P<'_> {
    fn err<T>(&self, what: &'static str) -> R<T> {
        Err(SyntaxError {
            offset: self.i,
            what,
        })
    }

    fn ws(&mut self) {
        while self.i < self.b.len() {
            match self.b[self.i] {
                b' ' | b'\t' | b'\r' | b'\n' => self.i += 1,
                b'/' if self.b.get(self.i + 1) == Some(&b'*') => {
                    match find(&self.b[self.i + 2..], b"*/") {
                        Some(k) => self.i += k + 4,
                        None => self.i = self.b.len(),
                    }
                }
                _ => break,
            }
        }
    }

    fn list(&mut self) -> R<Val> {
        // at '('
        self.i += 1;
        let mut items = Vec::new();
        self.ws();
        if self.b.get(self.i) == Some(&b')') {
            self.i += 1;
            return Ok(Val::List(items));
        }
        loop {
            let v = self.value(0)?;
            if self.build {
                items.push(v);
            }
            self.ws();
            match self.b.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b')') => {
                    self.i += 1;
                    return Ok(Val::List(items));
                }
                _ => return self.err("expected ',' or ')' in a parameter list"),
            }
        }
    }

    fn value(&mut self, depth: u32) -> R<Val> {
        if depth > 64 {
            return self.err("parameters nested deeper than 64");
        }
        self.ws();
        let Some(&c) = self.b.get(self.i) else {
            return self.err("parameter list ends early");
        };
        match c {
            b'$' => {
                self.i += 1;
                Ok(Val::Null)
            }
            b'*' => {
                self.i += 1;
                Ok(Val::Derived)
            }
            b'(' => self.list(),
            b'#' => self.reference(),
            b'\'' => self.string(),
            b'"' => self.binary(),
            b'.' => self.enumeration(),
            b'-' | b'+' | b'0'..=b'9' => self.number(),
            c if c.is_ascii_alphabetic() => self.typed(depth),
            _ => self.err("unexpected character in a parameter"),
        }
    }

    fn reference(&mut self) -> R<Val> {
        self.i += 1;
        let s = self.i;
        while self.i < self.b.len() && self.b[self.i].is_ascii_digit() {
            self.i += 1;
        }
        let digits = std::str::from_utf8(&self.b[s..self.i]).unwrap_or("");
        match digits.parse::<u64>() {
            Ok(v) => Ok(Val::Ref(v)),
            Err(_) => self.err("malformed entity reference"),
        }
    }

    fn string(&mut self) -> R<Val> {
        let open = self.i;
        let Some(end) = zhishen_ifc::step::string_end(self.b, open) else {
            return self.err("string is never closed");
        };
        self.i = end + 1;
        if !self.build {
            return Ok(Val::Null);
        }
        Ok(Val::Str(zhishen_ifc::header::decode_text(
            &self.b[open + 1..end],
        )))
    }

    fn binary(&mut self) -> R<Val> {
        let s = self.i + 1;
        match memchr_byte(b'"', &self.b[s..]) {
            Some(k) => {
                self.i = s + k + 1;
                Ok(Val::Binary(
                    String::from_utf8_lossy(&self.b[s..s + k]).into_owned(),
                ))
            }
            None => self.err("binary value is never closed"),
        }
    }

    fn enumeration(&mut self) -> R<Val> {
        let s = self.i + 1;
        match memchr_byte(b'.', &self.b[s..]) {
            Some(k) => {
                self.i = s + k + 1;
                let item = &self.b[s..s + k];
                if item.is_empty() || !item.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
                {
                    return self.err("malformed enumeration value");
                }
                Ok(Val::Enum(
                    String::from_utf8_lossy(item).to_ascii_uppercase(),
                ))
            }
            None => self.err("enumeration value is never closed"),
        }
    }

    fn number(&mut self) -> R<Val> {
        let s = self.i;
        self.i += 1;
        while self.i < self.b.len()
            && matches!(
                self.b[self.i],
                b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-'
            )
        {
            self.i += 1;
        }
        let t = std::str::from_utf8(&self.b[s..self.i]).unwrap_or("");
        if t.contains(['.', 'e', 'E']) {
            // Part 21 allows "1." for 1.0.
            match t.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(Val::Real(v)),
                _ => self.err("malformed real number"),
            }
        } else {
            match t.parse::<i64>() {
                Ok(v) => Ok(Val::Int(v)),
                Err(_) => self.err("malformed integer"),
            }
        }
    }

    fn typed(&mut self, depth: u32) -> R<Val> {
        let s = self.i;
        while self.i < self.b.len()
            && (self.b[self.i].is_ascii_alphanumeric() || self.b[self.i] == b'_')
        {
            self.i += 1;
        }
        let name = String::from_utf8_lossy(&self.b[s..self.i]).to_ascii_uppercase();
        self.ws();
        if self.b.get(self.i) != Some(&b'(') {
            return self.err("expected '(' after a type name");
        }
        self.i += 1;
        let inner = self.value(depth + 1)?;
        self.ws();
        if self.b.get(self.i) != Some(&b')') {
            return self.err("expected ')' after a typed value");
        }
        self.i += 1;
        Ok(Val::Typed(name, Box::new(inner)))
    }
}

fn memchr_byte(c: u8, b: &[u8]) -> Option<usize> {
    b.iter().position(|&x| x == c)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Parses the parameter list starting at `b[0] == '('`.
pub fn parse_args(b: &[u8]) -> R<Vec<Val>> {
    let mut p = P {
        b,
        i: 0,
        build: true,
    };
    match p.list()? {
        Val::List(v) => Ok(v),
        _ => Ok(Vec::new()),
    }
}

/// Checks the parameter list without building values.
pub fn check_syntax(b: &[u8]) -> R<()> {
    let mut p = P {
        b,
        i: 0,
        build: false,
    };
    p.list().map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_kind_of_parameter() {
        let v = parse_args(b"('2O2Fr$t4X7Zf8NOew3FLOH',#5,'W\\X2\\5899\\X0\\',$,*,.T.,(#1,#2),IFCLENGTHMEASURE(2.5),1.,-3,\"0F\")").unwrap();
        assert_eq!(v[0], Val::Str("2O2Fr$t4X7Zf8NOew3FLOH".into()));
        assert_eq!(v[1], Val::Ref(5));
        assert_eq!(v[2], Val::Str("W墙".into()));
        assert_eq!((&v[3], &v[4]), (&Val::Null, &Val::Derived));
        assert_eq!(v[5], Val::Enum("T".into()));
        assert_eq!(v[6].refs(), vec![1, 2]);
        assert_eq!(
            v[7],
            Val::Typed("IFCLENGTHMEASURE".into(), Box::new(Val::Real(2.5)))
        );
        assert_eq!((&v[8], &v[9]), (&Val::Real(1.0), &Val::Int(-3)));
        assert!(check_syntax(b"(1,,2)").is_err());
        assert!(check_syntax(b"('a',IFCLABEL('b'))").is_ok());
    }
}
