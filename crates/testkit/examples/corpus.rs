//! Writes one large-model corpus file 大体量模型 (see `zhishen_testkit::corpus`), so that
//! benchmarks can measure 30–300 MB models without committing them.
//!
//! `cargo run --release -p zhishen-testkit --example corpus -- MB OUT.ifc [STOREYS] [--unique] [--heavy-maps]`
//! prints what the model is by construction as one JSON line. `--unique` gives every
//! tile's breps and clipped solids their own dimensions (`CorpusSpec::unique`);
//! `--heavy-maps` makes the mapped chair a heavy family (`CorpusSpec::heavy_maps`).

use std::io::BufWriter;
use std::process::ExitCode;
use zhishen_testkit::corpus::{write_corpus, CorpusSpec};

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let unique = args.iter().any(|a| a == "--unique");
    let heavy_maps = args.iter().any(|a| a == "--heavy-maps");
    args.retain(|a| a != "--unique" && a != "--heavy-maps");
    let (Some(mb), Some(out)) = (
        args.first().and_then(|a| a.parse::<f64>().ok()),
        args.get(1),
    ) else {
        eprintln!("usage: corpus MB OUT.ifc [STOREYS] [--unique] [--heavy-maps]");
        return ExitCode::from(2);
    };
    let mut spec = CorpusSpec::of_mb(mb);
    spec.unique = unique;
    spec.heavy_maps = heavy_maps;
    if let Some(n) = args.get(2).and_then(|a| a.parse::<usize>().ok()) {
        spec.storeys = n.max(1);
    }
    let written = std::fs::File::create(out)
        .and_then(|f| write_corpus(&spec, BufWriter::with_capacity(1 << 20, f)));
    match written {
        Ok(f) => {
            let elevations: Vec<String> = f.elevations_m.iter().map(|e| format!("{e}")).collect();
            println!(
                "{{\"file\":{out:?},\"bytes\":{},\"storeys\":{},\"elevations_m\":[{}],\"height_m\":{},\"footprint_m2\":{},\"tiles\":{},\"elements\":{}}}",
                f.bytes,
                f.storeys,
                elevations.join(","),
                f.height_m,
                f.footprint_m2,
                f.tiles,
                f.elements
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {out}: {e}");
            ExitCode::from(1)
        }
    }
}
