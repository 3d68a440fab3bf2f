//! IDS values 值约束: a simple value or an `xs:restriction` (enumeration, pattern,
//! bounds, lengths), and how a model value is compared with one.
//!
//! Comparison rules (IDS 1.0 tolerance.md, DataTypes.md):
//! - text is compared exactly (case-sensitive); enumeration items are text;
//! - a number in the IDS is read as a double; an integer model value must equal it
//!   exactly (42.0 = 42, 42.3 ≠ 42); a real model value equals it within
//!   `v ± (|v|·1e-6 + 1e-6)`;
//! - bounds are stretched by the same tolerance when inclusive and shrunk when
//!   exclusive, and hold only for numbers;
//! - booleans are `true`/`false` (or `1`/`0`), lower case as xs:boolean lexical forms;
//! - `xs:pattern` is an XML Schema regular expression: implicitly anchored at both ends,
//!   `^`/`$` are ordinary characters, `.` excludes CR and LF, `\w` `\i` `\c` have their XML
//!   meanings, `[a-z-[aeiou]]` is class subtraction; several patterns in one
//!   restriction are alternatives (XML Schema: patterns of one derivation step are ORed).

use regex::Regex;

pub const EPS: f64 = 1e-6;

/// A model value, reduced to what IDS compares.
#[derive(Debug, Clone, PartialEq)]
pub enum MVal {
    Text(String),
    Int(i64),
    Real(f64),
    Bool(bool),
}

impl std::fmt::Display for MVal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MVal::Text(s) => write!(f, "{s:?}"),
            MVal::Int(i) => write!(f, "{i}"),
            MVal::Real(r) => write!(f, "{r}"),
            MVal::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// The kind of a restriction's constraint (for messages and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    MinInclusive,
    MinExclusive,
    MaxInclusive,
    MaxExclusive,
}

#[derive(Debug, Clone)]
pub struct Pattern {
    pub source: String,
    pub regex: Regex,
}

#[derive(Debug, Clone, Default)]
pub struct Restriction {
    /// `base` without its prefix (`string`, `double`, `integer`…), if given.
    pub base: Option<String>,
    pub enumeration: Vec<String>,
    pub patterns: Vec<Pattern>,
    pub bounds: Vec<(Bound, f64)>,
    pub length: Option<usize>,
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
}

#[derive(Debug, Clone)]
pub enum IdsValue {
    Simple(String),
    Restriction(Restriction),
}

fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    // XSD decimal/double lexical forms; `INF`/`NaN` are not useful here.
    if t.is_empty() || t.contains(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E') {
        return None;
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// `x == v` within the IDS tolerance.
pub fn real_eq(x: f64, v: f64) -> bool {
    let d = v.abs() * EPS + EPS;
    x > v - d && x < v + d
}

/// One IDS literal against one model value.
fn literal_eq(lit: &str, v: &MVal) -> bool {
    match v {
        MVal::Text(s) => s == lit,
        MVal::Int(i) => parse_number(lit).is_some_and(|n| n == *i as f64),
        MVal::Real(r) => parse_number(lit).is_some_and(|n| real_eq(*r, n)),
        MVal::Bool(b) => parse_bool(lit) == Some(*b),
    }
}

fn bound_ok(b: Bound, limit: f64, x: f64) -> bool {
    let d = limit.abs() * EPS + EPS;
    match b {
        Bound::MinInclusive => x >= limit - d,
        Bound::MinExclusive => x > limit + d,
        Bound::MaxInclusive => x <= limit + d,
        Bound::MaxExclusive => x < limit - d,
    }
}

impl Restriction {
    pub fn matches(&self, v: &MVal) -> bool {
        if !self.enumeration.is_empty() && !self.enumeration.iter().any(|e| literal_eq(e, v)) {
            return false;
        }
        if !self.patterns.is_empty() {
            let MVal::Text(s) = v else { return false };
            if !self.patterns.iter().any(|p| p.regex.is_match(s)) {
                return false;
            }
        }
        if !self.bounds.is_empty() {
            let x = match v {
                MVal::Int(i) => *i as f64,
                MVal::Real(r) => *r,
                _ => return false,
            };
            if !self.bounds.iter().all(|(b, l)| bound_ok(*b, *l, x)) {
                return false;
            }
        }
        if self.length.is_some() || self.min_length.is_some() || self.max_length.is_some() {
            let MVal::Text(s) = v else { return false };
            let n = s.chars().count();
            if self.length.is_some_and(|l| n != l)
                || self.min_length.is_some_and(|l| n < l)
                || self.max_length.is_some_and(|l| n > l)
            {
                return false;
            }
        }
        true
    }
}

impl IdsValue {
    pub fn matches(&self, v: &MVal) -> bool {
        match self {
            IdsValue::Simple(s) => literal_eq(s, v),
            IdsValue::Restriction(r) => r.matches(v),
        }
    }

    /// For names (entity classes, attribute names, property set names): text only.
    pub fn matches_text(&self, s: &str) -> bool {
        self.matches(&MVal::Text(s.to_string()))
    }

    /// The simple value, if this is one.
    pub fn simple(&self) -> Option<&str> {
        match self {
            IdsValue::Simple(s) => Some(s),
            IdsValue::Restriction(_) => None,
        }
    }
}

impl std::fmt::Display for IdsValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IdsValue::Simple(s) => write!(f, "{s:?}"),
            IdsValue::Restriction(r) => {
                let mut parts = Vec::new();
                if !r.enumeration.is_empty() {
                    parts.push(format!("one of {:?}", r.enumeration));
                }
                for p in &r.patterns {
                    parts.push(format!("pattern /{}/", p.source));
                }
                for (b, l) in &r.bounds {
                    let op = match b {
                        Bound::MinInclusive => ">=",
                        Bound::MinExclusive => ">",
                        Bound::MaxInclusive => "<=",
                        Bound::MaxExclusive => "<",
                    };
                    parts.push(format!("{op} {l}"));
                }
                if let Some(l) = r.length {
                    parts.push(format!("length {l}"));
                }
                if let Some(l) = r.min_length {
                    parts.push(format!("length >= {l}"));
                }
                if let Some(l) = r.max_length {
                    parts.push(format!("length <= {l}"));
                }
                write!(f, "{}", parts.join(", "))
            }
        }
    }
}

/// Translates an XML Schema regular expression into the `regex` crate's syntax,
/// anchored at both ends. `Err` names what cannot be translated.
pub fn translate_pattern(xsd: &str) -> Result<String, String> {
    let mut out = String::from(r"\A(?:");
    let chars: Vec<char> = xsd.chars().collect();
    let mut i = 0;
    let mut class_depth = 0usize;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let Some(&n) = chars.get(i + 1) else {
                    return Err("pattern ends with a lone backslash".into());
                };
                i += 1;
                out.push_str(&translate_escape(n, class_depth > 0, &chars, &mut i)?);
            }
            '[' => {
                class_depth += 1;
                out.push('[');
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
            }
            ']' if class_depth > 0 => {
                class_depth -= 1;
                out.push(']');
            }
            '-' if class_depth > 0 && chars.get(i + 1) == Some(&'[') => out.push_str("--"),
            '.' if class_depth == 0 => out.push_str(r"[^\n\r]"),
            '^' | '$' if class_depth == 0 => {
                out.push('\\');
                out.push(c);
            }
            '&' | '~' if class_depth > 0 => {
                out.push('\\');
                out.push(c);
            }
            ']' => out.push(c),
            _ => out.push(c),
        }
        i += 1;
    }
    if class_depth > 0 {
        return Err("character class is never closed".into());
    }
    out.push_str(r")\z");
    Ok(out)
}

fn translate_escape(
    n: char,
    in_class: bool,
    chars: &[char],
    i: &mut usize,
) -> Result<String, String> {
    let wrap = |s: &str| {
        if in_class {
            s.to_string()
        } else {
            format!("[{s}]")
        }
    };
    Ok(match n {
        'w' => wrap(r"[^\p{P}\p{Z}\p{C}]"),
        'W' => wrap(r"\p{P}\p{Z}\p{C}"),
        'i' => wrap(r"_:\p{L}"),
        'I' => wrap(r"[^_:\p{L}]"),
        'c' => wrap(r"\-._:\p{L}\p{Nd}\p{Mn}\p{Mc}\p{Lm}"),
        'C' => wrap(r"[^\-._:\p{L}\p{Nd}\p{Mn}\p{Mc}\p{Lm}]"),
        'd' | 'D' | 's' | 'S' | 'n' | 'r' | 't' => format!("\\{n}"),
        'p' | 'P' => {
            // \p{Lu}, \p{IsBasicLatin}: categories pass through; blocks are not supported.
            let rest: String = chars[*i + 1..].iter().collect();
            let close = rest
                .find('}')
                .filter(|_| rest.starts_with('{'))
                .ok_or("malformed \\p{…}")?;
            let name = &rest[1..close];
            if name.starts_with("Is") {
                return Err(format!(
                    "Unicode block escape \\{n}{{{name}}} is not supported"
                ));
            }
            *i += rest[..=close].chars().count();
            format!("\\{n}{{{name}}}")
        }
        c if "\\|.-^?*+{}()[]$".contains(c) => format!("\\{c}"),
        c => return Err(format!("unknown escape \\{c}")),
    })
}

/// Compiles an XML Schema pattern.
pub fn compile_pattern(xsd: &str) -> Result<Pattern, String> {
    let re = translate_pattern(xsd)?;
    let regex = Regex::new(&re).map_err(|e| format!("pattern {xsd:?}: {e}"))?;
    Ok(Pattern {
        source: xsd.to_string(),
        regex,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pat(p: &str, s: &str) -> bool {
        compile_pattern(p).unwrap().regex.is_match(s)
    }

    #[test]
    fn patterns_are_anchored_and_xsd_flavoured() {
        assert!(pat("DT..", "DT01"));
        assert!(!pat("DT.", "DT01"), "implicitly anchored at the end");
        assert!(!pat("DT.", "ADT1"), "implicitly anchored at the start");
        assert!(pat("^a$", "^a$"), "^ and $ are ordinary characters");
        assert!(!pat("a.c", "a\nc"));
        assert!(pat("[a-z-[aeiou]]+", "xyz"));
        assert!(!pat("[a-z-[aeiou]]+", "xaz"));
        assert!(pat(r"\w+", "墙体A1"));
        assert!(!pat(r"\w", "-"));
        assert!(pat("a|b", "b") && !pat("a|b", "ab"));
        assert!(compile_pattern(r"\p{IsBasicLatin}").is_err());
    }

    #[test]
    fn tolerance_at_the_edge() {
        // v = 1000: tolerance 0.001001
        assert!(real_eq(1000.001, 1000.0));
        assert!(!real_eq(1000.0011, 1000.0));
        assert!(real_eq(-1e-6 + 1e-9, 0.0));
        let r = Restriction {
            bounds: vec![(Bound::MinExclusive, 0.0)],
            ..Default::default()
        };
        assert!(!r.matches(&MVal::Real(0.5e-6)), "exclusive bounds shrink");
        assert!(r.matches(&MVal::Real(2e-6)));
        let r = Restriction {
            bounds: vec![(Bound::MaxInclusive, 10.0)],
            ..Default::default()
        };
        assert!(r.matches(&MVal::Real(10.00001)), "inclusive bounds stretch");
        assert!(!r.matches(&MVal::Real(10.0001)));
    }

    #[test]
    fn literals_by_model_type() {
        assert!(literal_eq("42", &MVal::Int(42)));
        assert!(literal_eq("42.0", &MVal::Int(42)));
        assert!(!literal_eq("42.3", &MVal::Int(42)));
        assert!(literal_eq("true", &MVal::Bool(true)));
        assert!(!literal_eq("TRUE", &MVal::Bool(true)));
        assert!(!literal_eq("Wall", &MVal::Text("wall".into())));
        assert!(literal_eq("1e3", &MVal::Real(1000.0)));
    }
}
