//! The conformance runner's fast path: `ids_check MODEL.ifc SPEC.ids` checks a model
//! against an IDS with `zhishen_ids::check_paths` and exits 0 when every specification
//! passes, 1 when one fails, 2 on bad input — the same as `zhishen ids`, without
//! building the whole workspace (`crates/ids/conformance.py --example`). It prints one
//! line per specification (status, name, applicable and failure counts); with `V` set
//! in the environment also the first failures of each requirement. `--format json`
//! prints the JSON report instead (what `bench/ids_bench.py` reads).

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (model, ids, json) = match args.as_slice() {
        [m, i] => (m, i, false),
        [m, i, f, j] if f == "--format" && j == "json" => (m, i, true),
        _ => {
            eprintln!("usage: ids_check MODEL.ifc SPEC.ids [--format json]");
            std::process::exit(2)
        }
    };
    match zhishen_ids::check_paths(std::path::Path::new(model), std::path::Path::new(ids)) {
        Ok(r) if json => {
            use std::io::Write;
            let _ = std::io::stdout().write_all(&r.to_json());
            std::process::exit(r.exit_code() as i32)
        }
        Ok(r) => {
            for s in &r.specifications {
                let f: usize = s.requirements.iter().map(|q| q.failures.len()).sum();
                println!(
                    "{:?}\t{}\tapplicable={}\tfailures={}",
                    s.status,
                    s.name,
                    s.applicable,
                    f + s.prohibited.len()
                );
                if std::env::var("V").is_ok() {
                    for q in &s.requirements {
                        for x in q.failures.iter().take(3) {
                            println!(
                                "   {} {} {:?} {}",
                                x.entity.step_id, x.entity.class, x.entity.name, x.reason.en
                            );
                        }
                    }
                }
            }
            std::process::exit(r.exit_code() as i32)
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(if e.is_bad_input() { 2 } else { 1 })
        }
    }
}
