#![no_main]
//! `step::scan` and `header::parse` on raw bytes: neither may panic.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // header::parse on arbitrary bytes (as if they were a HEADER section).
    let _ = zhishen_ifc::header::parse(data);
    if let Ok(scan) = zhishen_ifc::step::scan(data, "fuzz.ifc") {
        // What load_bytes does next: parse the header range of the (possibly renumbered) bytes.
        let bytes: &[u8] = scan.renumbered.as_deref().unwrap_or(data);
        let header = bytes
            .get(scan.header.clone())
            .expect("scan returned a header range outside the input");
        let _ = zhishen_ifc::header::parse(header);
        for r in &scan.records {
            assert!(
                r.start <= r.end && r.end <= bytes.len(),
                "record span {}..{} outside input of {} bytes",
                r.start,
                r.end,
                bytes.len()
            );
        }
    }
});
