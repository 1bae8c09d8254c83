//! Every seed and every input that once failed, through its fuzz target's checks: a crash
//! that `make fuzz` found stays fixed once its input is in `fuzz/regressions/<target>/`.

use std::path::Path;

use phananh_fuzz::{Accepted, Target};

/// The files of `fuzz/<kind>/<target>/`, by name.
fn inputs(kind: &str, target: Target) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(kind).join(target.name());
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut files: Vec<_> = entries
        .map(|entry| {
            let path = entry.expect("a readable folder").path();
            let name = path.file_name().expect("a file name").to_string_lossy().into_owned();
            (name, std::fs::read(&path).expect("a readable file"))
        })
        .collect();
    files.sort();
    files
}

/// Each target starts from inputs it accepts, so that the fuzzer (and this test) reach what
/// comes after the checks at the door: storing, answering, reading back.
#[test]
fn every_target_has_seeds_it_accepts_and_passes_them() {
    for target in Target::ALL {
        let seeds = inputs("seeds", target);
        let accepted = seeds.iter().filter(|(name, input)| {
            eprintln!("{}: seed {name}", target.name());
            target.check(input) == Accepted::Yes
        });
        assert!(accepted.count() > 0, "{} has a seed it accepts", target.name());
    }
}

#[test]
fn inputs_that_once_failed_pass() {
    for target in Target::ALL {
        for (name, input) in inputs("regressions", target) {
            eprintln!("{}: regression {name}", target.name());
            target.check(&input);
        }
    }
}
