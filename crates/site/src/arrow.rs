//! A minimal reader of the Arrow C Data Interface, for GDAL's `OGR_L_GetArrowStream`.
//!
//! Why by hand: reading a layer batch by batch (GDAL fills whole columns, the WKB of
//! every geometry in one buffer) is what lets the loader parse geometries on both cores;
//! the feature-by-feature API hands out one feature at a time through many FFI calls.
//! The C ABI is small and stable (three structs, <https://arrow.apache.org/docs/format/CDataInterface.html>)
//! and gdal-sys already declares it, while the arrow-rs crates would add a large
//! dependency tree to build for the handful of column types GDAL emits here. Only those
//! types are understood (bool, int16/32/64, float64, utf8, binary); anything else is
//! `Unsupported`, and the caller reads the layer feature by feature instead.
//!
//! Everything from the producer is checked before a slice is made of it: buffer counts,
//! null pointers, lengths, offsets monotone and inside what they index.
//!
//! This is the crate's one module with `unsafe` (the workspace denies it elsewhere):
//! every block has its SAFETY reason, and the views are tested on hand-built arrays.
#![allow(unsafe_code)]

use gdal::vector::LayerAccess;
use gdal_sys::{ArrowArray, ArrowArrayStream, ArrowSchema};
use std::ffi::CStr;

/// Why a stream cannot be read (the caller falls back to the feature path).
#[derive(Debug, thiserror::Error)]
pub(crate) enum ArrowError {
    #[error("GDAL gives no Arrow stream for this layer")]
    NoStream,
    #[error("Arrow stream error: {0}")]
    Stream(String),
    #[error("Arrow column {column:?} has type {format:?}, not read here")]
    Unsupported { column: String, format: String },
    #[error("malformed Arrow data: {0}")]
    Malformed(String),
}

/// One column of the stream's schema.
#[derive(Debug, Clone)]
pub(crate) struct ColumnSchema {
    pub name: String,
    pub format: String,
}

/// An open `ArrowArrayStream`, released when dropped (before its layer's dataset).
pub(crate) struct Stream<'l> {
    raw: ArrowArrayStream,
    _layer: std::marker::PhantomData<&'l mut ()>,
}

impl<'l> Stream<'l> {
    /// Opens the layer's stream with GDAL options (`KEY=VALUE`).
    pub fn open<L: LayerAccess>(layer: &'l mut L, options: &[&str]) -> Result<Self, ArrowError> {
        let mut csl = gdal::cpl::CslStringList::new();
        for o in options {
            let (k, v) = o.split_once('=').ok_or(ArrowError::NoStream)?;
            csl.set_name_value(k, v).map_err(|_| ArrowError::NoStream)?;
        }
        let mut raw = ArrowArrayStream {
            get_schema: None,
            get_next: None,
            get_last_error: None,
            release: None,
            private_data: std::ptr::null_mut(),
        };
        // SAFETY: `raw` is a valid, zeroed stream struct that GDAL fills; the stream
        // borrows the layer mutably for `'l`, so the layer (and its dataset) outlive it,
        // and `Drop` releases it exactly once.
        unsafe { layer.read_arrow_stream(&mut raw, &csl) }.map_err(|_| ArrowError::NoStream)?;
        if raw.release.is_none() || raw.get_schema.is_none() || raw.get_next.is_none() {
            return Err(ArrowError::NoStream);
        }
        Ok(Stream {
            raw,
            _layer: std::marker::PhantomData,
        })
    }

    fn last_error(&mut self, rc: i32) -> ArrowError {
        let msg = self
            .raw
            .get_last_error
            // SAFETY: the stream is live; the returned string is owned by the stream and
            // valid until the next call, and is copied at once.
            .map(|f| unsafe { f(&mut self.raw) })
            .filter(|p| !p.is_null())
            // SAFETY: non-null, NUL-terminated per the C stream interface.
            .map(|p| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
            .unwrap_or_default();
        ArrowError::Stream(format!("error {rc}: {msg}"))
    }

    /// The top-level columns (GDAL's batches are one struct array, a child per column).
    pub fn schema(&mut self) -> Result<Vec<ColumnSchema>, ArrowError> {
        let get = self.raw.get_schema.ok_or(ArrowError::NoStream)?;
        let mut s = OwnedSchema(empty_schema());
        // SAFETY: the stream is live and `s.0` a valid out-parameter; on success GDAL
        // hands over a schema that `OwnedSchema` releases.
        let rc = unsafe { get(&mut self.raw, &mut s.0) };
        if rc != 0 {
            return Err(self.last_error(rc));
        }
        let top = &s.0;
        if cstr(top.format).as_deref() != Some("+s") {
            return Err(ArrowError::Malformed(
                "the top-level schema is not a struct".into(),
            ));
        }
        let n = usize::try_from(top.n_children).map_err(|_| malformed("child count"))?;
        if n > 0 && top.children.is_null() {
            return Err(malformed("schema children"));
        }
        (0..n)
            .map(|i| {
                // SAFETY: `children` (non-null, checked above) holds `n_children`
                // pointers; each is checked non-null before it is read.
                let c = unsafe { (*top.children.add(i)).as_ref() }
                    .ok_or_else(|| malformed("null schema child"))?;
                Ok(ColumnSchema {
                    name: cstr(c.name).unwrap_or_default(),
                    format: cstr(c.format).ok_or_else(|| malformed("column format"))?,
                })
            })
            .collect()
    }

    /// The next batch, `None` at the end.
    pub fn next_batch(&mut self) -> Result<Option<Batch>, ArrowError> {
        let get = self.raw.get_next.ok_or(ArrowError::NoStream)?;
        let mut a = Batch(empty_array());
        // SAFETY: the stream is live and `a.0` a valid out-parameter; on success GDAL
        // hands over an array (or a released one at the end) that `Batch` releases.
        let rc = unsafe { get(&mut self.raw, &mut a.0) };
        if rc != 0 {
            return Err(self.last_error(rc));
        }
        Ok(a.0.release.is_some().then_some(a))
    }
}

impl Drop for Stream<'_> {
    fn drop(&mut self) {
        if let Some(release) = self.raw.release {
            // SAFETY: released once; the producer sets `release` to null itself.
            unsafe { release(&mut self.raw) };
        }
    }
}

fn malformed(what: &str) -> ArrowError {
    ArrowError::Malformed(what.to_string())
}

fn cstr(p: *const std::ffi::c_char) -> Option<String> {
    // SAFETY: Arrow schema strings are NUL-terminated or null.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

fn empty_schema() -> ArrowSchema {
    ArrowSchema {
        format: std::ptr::null(),
        name: std::ptr::null(),
        metadata: std::ptr::null(),
        flags: 0,
        n_children: 0,
        children: std::ptr::null_mut(),
        dictionary: std::ptr::null_mut(),
        release: None,
        private_data: std::ptr::null_mut(),
    }
}

fn empty_array() -> ArrowArray {
    ArrowArray {
        length: 0,
        null_count: 0,
        offset: 0,
        n_buffers: 0,
        n_children: 0,
        buffers: std::ptr::null_mut(),
        children: std::ptr::null_mut(),
        dictionary: std::ptr::null_mut(),
        release: None,
        private_data: std::ptr::null_mut(),
    }
}

struct OwnedSchema(ArrowSchema);

impl Drop for OwnedSchema {
    fn drop(&mut self) {
        if let Some(release) = self.0.release {
            // SAFETY: a schema handed over by the producer, released once.
            unsafe { release(&mut self.0) };
        }
    }
}

/// One batch (a struct array), released when dropped.
pub(crate) struct Batch(ArrowArray);

impl Drop for Batch {
    fn drop(&mut self) {
        if let Some(release) = self.0.release {
            // SAFETY: an array handed over by the producer, released once.
            unsafe { release(&mut self.0) };
        }
    }
}

impl Batch {
    /// Rows in the batch.
    pub fn len(&self) -> usize {
        usize::try_from(self.0.length).unwrap_or(0)
    }

    /// Checked views of the columns, typed by `schema` (same order as the children).
    pub fn columns(&self, schema: &[ColumnSchema]) -> Result<Vec<Column<'_>>, ArrowError> {
        let top = &self.0;
        let n = usize::try_from(top.n_children).map_err(|_| malformed("child count"))?;
        if n != schema.len() || (n > 0 && top.children.is_null()) {
            return Err(malformed("batch columns differ from the schema"));
        }
        if top.null_count != 0 || top.length < 0 || top.offset < 0 {
            return Err(malformed(
                "top-level struct with nulls or a negative length",
            ));
        }
        let (len, base) = (top.length as usize, top.offset as usize);
        schema
            .iter()
            .enumerate()
            .map(|(i, s)| {
                // SAFETY: `children` (non-null, checked above) holds `n_children`
                // pointers, each checked non-null here; the arrays are owned by this
                // batch and alive as long as the borrow of `self`.
                let c = unsafe { (*top.children.add(i)).as_ref() }
                    .ok_or_else(|| malformed("null array child"))?;
                Column::view(c, s, len, base)
            })
            .collect()
    }
}

/// The values of a column, as slices into the batch's buffers.
#[derive(Clone, Copy)]
pub(crate) enum Values<'a> {
    Bool(&'a [u8]),
    Int16(&'a [i16]),
    Int32(&'a [i32]),
    Int64(&'a [i64]),
    Float64(&'a [f64]),
    /// Variable-size values (utf8 or binary), 32-bit offsets.
    Var32 {
        offsets: &'a [i32],
        data: &'a [u8],
        utf8: bool,
    },
    /// Variable-size values, 64-bit offsets.
    Var64 {
        offsets: &'a [i64],
        data: &'a [u8],
        utf8: bool,
    },
}

/// One column of a batch: row `i` is at `offset + i` of the buffers.
#[derive(Clone, Copy)]
pub(crate) struct Column<'a> {
    validity: Option<&'a [u8]>,
    offset: usize,
    len: usize,
    pub values: Values<'a>,
}

/// A cell's value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell<'a> {
    Int(i64),
    Real(f64),
    Text(&'a [u8]),
    Bytes(&'a [u8]),
}

fn bit(bits: &[u8], i: usize) -> bool {
    bits[i / 8] & (1 << (i % 8)) != 0
}

impl<'a> Column<'a> {
    fn view(
        c: &'a ArrowArray,
        s: &ColumnSchema,
        len: usize,
        base: usize,
    ) -> Result<Self, ArrowError> {
        let bad = |what: &str| ArrowError::Malformed(format!("column {:?}: {what}", s.name));
        if c.length < 0 || c.offset < 0 || c.n_buffers < 0 {
            return Err(bad("negative length, offset or buffer count"));
        }
        if (c.length as usize) < base + len {
            return Err(bad("shorter than its batch"));
        }
        let offset = c.offset as usize + base;
        let rows = offset + len;
        let wanted = match s.format.as_str() {
            "b" | "s" | "i" | "l" | "g" => 2,
            "u" | "z" | "U" | "Z" => 3,
            f => {
                return Err(ArrowError::Unsupported {
                    column: s.name.clone(),
                    format: f.to_string(),
                })
            }
        };
        if c.n_buffers != wanted || c.buffers.is_null() {
            return Err(bad("unexpected buffer count"));
        }
        // SAFETY: `buffers` holds `n_buffers` pointers (checked above).
        let buf = |k: usize| unsafe { *c.buffers.add(k) };
        // A null count of -1 means "not computed": the bitmap, when there is one, says.
        let validity = if c.null_count == 0 || buf(0).is_null() {
            if c.null_count > 0 {
                return Err(bad("nulls without a validity bitmap"));
            }
            None
        } else {
            // SAFETY: the validity bitmap covers `offset + length` bits.
            Some(unsafe { std::slice::from_raw_parts(buf(0) as *const u8, rows.div_ceil(8)) })
        };
        if (rows > 0 || wanted == 3) && buf(1).is_null() {
            return Err(bad("null value buffer"));
        }
        /// SAFETY (for every use): a non-null buffer of at least `n` elements of `T`,
        /// as the C Data Interface defines for this format and length.
        unsafe fn typed<'b, T>(p: *const std::ffi::c_void, n: usize) -> &'b [T] {
            if n == 0 {
                &[]
            } else {
                unsafe { std::slice::from_raw_parts(p as *const T, n) }
            }
        }
        // SAFETY: primitive buffers hold `offset + length` values, offset buffers one
        // more; the data buffer's size is the last offset, checked to be the largest.
        let values = unsafe {
            match s.format.as_str() {
                "b" => Values::Bool(typed(buf(1), rows.div_ceil(8))),
                "s" => Values::Int16(typed(buf(1), rows)),
                "i" => Values::Int32(typed(buf(1), rows)),
                "l" => Values::Int64(typed(buf(1), rows)),
                "g" => Values::Float64(typed(buf(1), rows)),
                "u" | "z" => {
                    let offsets: &[i32] = typed(buf(1), rows + 1);
                    let end = checked_offsets(offsets.iter().map(|&o| i64::from(o)), offset)
                        .ok_or_else(|| bad("offsets not increasing"))?;
                    if end > 0 && buf(2).is_null() {
                        return Err(bad("null data buffer"));
                    }
                    Values::Var32 {
                        offsets,
                        data: typed(buf(2), end),
                        utf8: s.format == "u",
                    }
                }
                _ => {
                    let offsets: &[i64] = typed(buf(1), rows + 1);
                    let end = checked_offsets(offsets.iter().copied(), offset)
                        .ok_or_else(|| bad("offsets not increasing"))?;
                    if end > 0 && buf(2).is_null() {
                        return Err(bad("null data buffer"));
                    }
                    Values::Var64 {
                        offsets,
                        data: typed(buf(2), end),
                        utf8: s.format == "U",
                    }
                }
            }
        };
        Ok(Column {
            validity,
            offset,
            len,
            values,
        })
    }

    pub fn is_null(&self, i: usize) -> bool {
        self.validity.is_some_and(|v| !bit(v, self.offset + i))
    }

    /// Row `i` (`None` when null). Panics only on `i >= len`, a caller bug.
    pub fn get(&self, i: usize) -> Option<Cell<'a>> {
        assert!(i < self.len, "row {i} of {}", self.len);
        if self.is_null(i) {
            return None;
        }
        let j = self.offset + i;
        let var = |data: &'a [u8], a: usize, b: usize, utf8: bool| {
            let s = &data[a..b];
            if utf8 {
                Cell::Text(s)
            } else {
                Cell::Bytes(s)
            }
        };
        Some(match self.values {
            Values::Bool(b) => Cell::Int(i64::from(bit(b, j))),
            Values::Int16(v) => Cell::Int(i64::from(v[j])),
            Values::Int32(v) => Cell::Int(i64::from(v[j])),
            Values::Int64(v) => Cell::Int(v[j]),
            Values::Float64(v) => Cell::Real(v[j]),
            Values::Var32 {
                offsets,
                data,
                utf8,
            } => var(data, offsets[j] as usize, offsets[j + 1] as usize, utf8),
            Values::Var64 {
                offsets,
                data,
                utf8,
            } => var(data, offsets[j] as usize, offsets[j + 1] as usize, utf8),
        })
    }
}

/// The data length the offsets from `from` on index, when they never decrease and
/// start at or above 0; `None` otherwise.
fn checked_offsets(offsets: impl Iterator<Item = i64>, from: usize) -> Option<usize> {
    let mut prev = None;
    for o in offsets.skip(from) {
        if o < 0 || prev.is_some_and(|p| o < p) {
            return None;
        }
        prev = Some(o);
    }
    // The bytes before `from` are not addressed; the data buffer reaches the last offset.
    prev.and_then(|p| usize::try_from(p).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_must_not_decrease() {
        assert_eq!(checked_offsets([0, 3, 3, 7].into_iter(), 0), Some(7));
        assert_eq!(checked_offsets([0, 3, 2].into_iter(), 0), None);
        assert_eq!(checked_offsets([-1, 3].into_iter(), 0), None);
        // Rows before the column's offset are not looked at.
        assert_eq!(checked_offsets([9, 2, 5].into_iter(), 1), Some(5));
    }

    /// A hand-built batch (as a producer lays it out) read through the checked views:
    /// an int64 column and a utf8 column with a null, at a non-zero child offset.
    #[test]
    fn columns_are_read_through_checked_views() {
        let ids: [i64; 4] = [7, 8, 9, 10];
        let validity: [u8; 1] = [0b1011]; // row 2 null
        let offsets: [i32; 5] = [0, 1, 3, 3, 6];
        let data = b"abcdef";
        let mut id_bufs = [std::ptr::null(), ids.as_ptr().cast()];
        let mut s_bufs = [
            validity.as_ptr().cast(),
            offsets.as_ptr().cast(),
            data.as_ptr().cast(),
        ];
        let mk = |bufs: *mut *const std::ffi::c_void, n: i64, nulls: i64| {
            ArrowArray {
                length: 4,
                null_count: nulls,
                offset: 0,
                n_buffers: n,
                ..empty_array()
            }
            .with_buffers(bufs)
        };
        let a = mk(id_bufs.as_mut_ptr(), 2, 0);
        let b = mk(s_bufs.as_mut_ptr(), 3, 1);
        let sa = ColumnSchema {
            name: "fid".into(),
            format: "l".into(),
        };
        let sb = ColumnSchema {
            name: "name".into(),
            format: "u".into(),
        };
        // Rows 1..4 of the batch (a struct offset of 1).
        let ca = Column::view(&a, &sa, 3, 1).unwrap();
        let cb = Column::view(&b, &sb, 3, 1).unwrap();
        assert_eq!(ca.get(0), Some(Cell::Int(8)));
        assert_eq!(cb.get(0), Some(Cell::Text(b"bc")));
        assert_eq!(cb.get(1), None);
        assert_eq!(cb.get(2), Some(Cell::Text(b"def")));
        // An unknown format is unsupported, not misread.
        let sd = ColumnSchema {
            name: "d".into(),
            format: "tdD".into(),
        };
        assert!(matches!(
            Column::view(&a, &sd, 3, 1),
            Err(ArrowError::Unsupported { .. })
        ));
        // Longer than the child array: refused.
        assert!(matches!(
            Column::view(&a, &sa, 4, 1),
            Err(ArrowError::Malformed(_))
        ));
        // Decreasing offsets: refused.
        let bad: [i32; 5] = [0, 4, 3, 3, 6];
        s_bufs[1] = bad.as_ptr().cast();
        let c = mk(s_bufs.as_mut_ptr(), 3, 1);
        assert!(matches!(
            Column::view(&c, &sb, 3, 1),
            Err(ArrowError::Malformed(_))
        ));
    }

    /// A batch as GDAL hands it over (a struct array, a child per column), read
    /// through `Batch::columns`; a null child pointer or a child count that differs
    /// from the schema is refused, not followed.
    #[test]
    fn batches_are_checked_before_their_children_are_read() {
        let ids: [i64; 2] = [41, 42];
        let mut bufs = [std::ptr::null(), ids.as_ptr().cast()];
        let mut child = ArrowArray {
            length: 2,
            n_buffers: 2,
            ..empty_array()
        }
        .with_buffers(bufs.as_mut_ptr());
        let schema = [ColumnSchema {
            name: "OGC_FID".into(),
            format: "l".into(),
        }];
        let mut children = [&mut child as *mut ArrowArray];
        // `release` stays null: the test owns these arrays, `Batch` must not free them.
        let top = |children: *mut *mut ArrowArray, n: i64| {
            Batch(ArrowArray {
                length: 2,
                n_children: n,
                children,
                ..empty_array()
            })
        };
        let b = top(children.as_mut_ptr(), 1);
        assert_eq!(b.len(), 2);
        let cols = b.columns(&schema).unwrap();
        assert_eq!(cols[0].get(1), Some(Cell::Int(42)));
        let two = top(children.as_mut_ptr(), 2);
        assert!(matches!(
            two.columns(&schema),
            Err(ArrowError::Malformed(_))
        ));
        let mut null_child = [std::ptr::null_mut::<ArrowArray>()];
        let b = top(null_child.as_mut_ptr(), 1);
        assert!(matches!(b.columns(&schema), Err(ArrowError::Malformed(_))));
    }

    trait WithBuffers {
        fn with_buffers(self, b: *mut *const std::ffi::c_void) -> Self;
    }
    impl WithBuffers for ArrowArray {
        fn with_buffers(mut self, b: *mut *const std::ffi::c_void) -> Self {
            self.buffers = b;
            self
        }
    }
}
