fn main() {
    let a: Vec<String> = std::env::args().collect();
    match zhishen_ids::check_paths(std::path::Path::new(&a[1]), std::path::Path::new(&a[2])) {
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
