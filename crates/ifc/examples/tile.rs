//! A large model of real elements: a sample's building elements repeated side by side
//! (`zhishen_testkit::tile`), for benchmarks and for checking facts against IfcOpenShell.
//!
//! `cargo run --release -p zhishen-ifc --example tile -- SAMPLE.ifc MB OUT.ifc`
//!
//! The copies stand 10 m apart beyond the sample's larger plan extent, so they do not
//! overlap; prints the copies and the step (file units and metres).

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [sample, mb, out] = args.as_slice() else {
        eprintln!("usage: tile SAMPLE.ifc MB OUT.ifc");
        return ExitCode::from(2);
    };
    let Ok(mb) = mb.parse::<f64>() else {
        eprintln!("MB must be a number, not {mb:?}");
        return ExitCode::from(2);
    };
    match run(sample, mb, out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn run(sample: &str, mb: f64, out: &str) -> Result<(), Box<dyn std::error::Error>> {
    let bytes = std::fs::read(sample)?;
    let m = zhishen_ifc::load_bytes(&bytes, sample)?;
    let b = m.bbox_world_m.ok_or("the sample has no geometry")?;
    let extent = (b.max[0] - b.min[0]).max(b.max[1] - b.min[1]);
    let step_m = extent + 10.0;
    let step = step_m / m.length_unit_m;
    // What one more copy adds (the records written once are not repeated).
    let (two, t) = zhishen_testkit::tile::tile(&bytes, 2, step)?;
    let one = (two.len() - t.copy_bytes) as f64;
    let per_copy = t.copy_bytes.max(1) as f64;
    let more = ((mb * 1e6 - one) / per_copy).round().max(0.0);
    let copies = 1 + more as usize;
    let (tiled, t) = zhishen_testkit::tile::tile(&bytes, copies, step)?;
    std::fs::write(out, &tiled)?;
    println!(
        "{copies} copies of {} elements ({} records each, {} written once), step {step} file units = {step_m} m, {:.1} MB",
        t.elements,
        t.per_copy,
        t.shared,
        tiled.len() as f64 / 1e6
    );
    Ok(())
}
