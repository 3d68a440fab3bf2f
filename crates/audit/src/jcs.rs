//! RFC 8785 JSON Canonicalization Scheme (JCS).
//!
//! Small enough to own: object keys sorted by UTF-16 code units, no whitespace, strings
//! with the minimal JSON escapes, numbers in the ECMAScript `Number.prototype.toString` form.
//!
//! One deliberate deviation: an integer outside ±2^53 is written with all its digits. Strict
//! JCS would first round it to a double, which lets two different values share bytes; for a
//! tamper-evident log exactness matters more. Inside ±2^53 both forms are identical.

use crate::AuditError;
use serde::Serialize;
use serde_json::Value;

/// RFC 8785 canonical bytes of `v`.
pub fn canonical_json(v: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write_value(&mut out, v);
    out
}

/// Canonical bytes of any serialisable value (through `serde_json::Value`).
pub fn canonical_json_of<T: Serialize + ?Sized>(v: &T) -> Result<Vec<u8>, AuditError> {
    let value = serde_json::to_value(v).map_err(|e| AuditError::format("JSON value", "", e))?;
    Ok(canonical_json(&value))
}

fn write_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                out.extend_from_slice(u.to_string().as_bytes());
            } else if let Some(i) = n.as_i64() {
                out.extend_from_slice(i.to_string().as_bytes());
            } else {
                // serde_json never holds NaN or infinities, so as_f64 is total here.
                write_f64(out, n.as_f64().unwrap_or(0.0));
            }
        }
        Value::String(s) => write_string(out, s),
        Value::Array(a) => {
            out.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, x);
            }
            out.push(b']');
        }
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            // UTF-16 code unit order differs from UTF-8 byte order only above U+FFFF vs
            // U+E000..U+FFFF, so compare the UTF-16 encodings.
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push(b'{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(out, k);
                out.push(b':');
                write_value(out, &m[k.as_str()]);
            }
            out.push(b'}');
        }
    }
}

fn write_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: Option<&[u8]> = match b {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            0x08 => Some(b"\\b"),
            0x09 => Some(b"\\t"),
            0x0a => Some(b"\\n"),
            0x0c => Some(b"\\f"),
            0x0d => Some(b"\\r"),
            0x00..=0x1f => None,
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        match esc {
            Some(e) => out.extend_from_slice(e),
            None => {
                const D: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(D[(b >> 4) as usize]);
                out.push(D[(b & 15) as usize]);
            }
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// ECMAScript Number::toString(10) of a finite double (ryu-js implements exactly that,
/// including round-half-even between equally short digit strings).
fn write_f64(out: &mut Vec<u8>, x: f64) {
    if x == 0.0 {
        // Covers -0 as well.
        out.push(b'0');
        return;
    }
    let mut b = ryu_js::Buffer::new();
    out.extend_from_slice(b.format_finite(x).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn num(bits: u64) -> String {
        let mut v = Vec::new();
        write_f64(&mut v, f64::from_bits(bits));
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn rfc8785_appendix_b_numbers() {
        let cases: &[(u64, &str)] = &[
            (0x0000000000000000, "0"),
            (0x8000000000000000, "0"),
            (0x0000000000000001, "5e-324"),
            (0x8000000000000001, "-5e-324"),
            (0x7fefffffffffffff, "1.7976931348623157e+308"),
            (0xffefffffffffffff, "-1.7976931348623157e+308"),
            (0x4340000000000000, "9007199254740992"),
            (0xc340000000000000, "-9007199254740992"),
            (0x4430000000000000, "295147905179352830000"),
            (0x44b52d02c7e14af5, "9.999999999999997e+22"),
            (0x44b52d02c7e14af6, "1e+23"),
            (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
            (0x444b1ae4d6e2ef4e, "999999999999999700000"),
            (0x444b1ae4d6e2ef4f, "999999999999999900000"),
            (0x444b1ae4d6e2ef50, "1e+21"),
            (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
            (0x3eb0c6f7a0b5ed8d, "0.000001"),
            (0x41b3de4355555553, "333333333.3333332"),
            (0x41b3de4355555554, "333333333.33333325"),
            (0x41b3de4355555555, "333333333.3333333"),
            (0x41b3de4355555556, "333333333.3333334"),
            (0x41b3de4355555557, "333333333.33333343"),
            (0xbecbf647612f3696, "-0.0000033333333333333333"),
            (0x43143ff3c1cb0959, "1424953923781206.2"),
        ];
        for (bits, want) in cases {
            assert_eq!(num(*bits), *want, "bits {bits:#018x}");
        }
    }

    #[test]
    fn rfc8785_section_3_2_2_example() {
        let input = r#"{
            "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
            "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
            "literals": [null, true, false]
        }"#;
        let v: Value = serde_json::from_str(input).unwrap();
        let want = "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\"string\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
        assert_eq!(String::from_utf8(canonical_json(&v)).unwrap(), want);
    }

    #[test]
    fn rfc8785_section_3_2_3_sorting() {
        let input = r#"{
            "\u20ac": "Euro Sign",
            "\r": "Carriage Return",
            "\ufb33": "Hebrew Letter Dalet With Dagesh",
            "1": "One",
            "\ud83d\ude00": "Emoji: Grinning Face",
            "\u0080": "Control",
            "\u00f6": "Latin Small Letter O With Diaeresis"
        }"#;
        let v: Value = serde_json::from_str(input).unwrap();
        let out = String::from_utf8(canonical_json(&v)).unwrap();
        let want = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning Face\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}";
        assert_eq!(out, want);
    }

    #[test]
    fn nested_and_integers() {
        let v = serde_json::json!({"b": [1, -2, {"z": 0, "a": "x"}], "a": 18446744073709551615u64, "c": -9223372036854775808i64, "d": 4.0});
        assert_eq!(
            String::from_utf8(canonical_json(&v)).unwrap(),
            r#"{"a":18446744073709551615,"b":[1,-2,{"a":"x","z":0}],"c":-9223372036854775808,"d":4}"#
        );
    }

    proptest! {
        // Canonical output parses back to the same value, and canonicalising is idempotent.
        #[test]
        fn canonical_round_trips(x in proptest::num::f64::NORMAL | proptest::num::f64::SUBNORMAL, s in "\\PC*", k in "[a-z\u{80}-\u{10ffff}]{0,4}") {
            let v = serde_json::json!({ "x": x, "s": s, format!("k{k}"): [x, s] });
            let bytes = canonical_json(&v);
            let back: Value = serde_json::from_slice(&bytes).unwrap();
            prop_assert_eq!(back["x"].as_f64().unwrap(), x);
            prop_assert_eq!(canonical_json(&back), bytes);
        }
    }
}
