//! Replays what the fuzzer of `fuzz/` keeps, through the code path of its `capture_to_rows`
//! target (`fuzz/capture_to_rows.rs`: the file read by the native engine, its packets folded
//! into rows, the rows written as CSV and JSON lines, with its checks): every input of the
//! corpus (`fuzz/corpus/capture_to_rows/`) and every crash, timeout or out-of-memory input it
//! found (`fuzz/regressions/capture_to_rows/`, minimized), so that `cargo test` keeps them fixed.

use std::fs;
use std::panic;
use std::path::{Path, PathBuf};

use tcpwave_cli::run::native::NativeRun;

#[path = "../fuzz/capture_to_rows.rs"]
mod capture_to_rows;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The files of `dir` (none when it does not exist), sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|entry| entry.unwrap().path())
                .filter(|path| path.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Runs every file of `dir` through the target's code path; panics naming those that panic.
fn replay(dir: &Path) -> usize {
    let files = files(dir);
    let failed: Vec<String> = files
        .iter()
        .filter(|file| panic::catch_unwind(|| capture_to_rows::capture_to_rows(file)).is_err())
        .map(|file| file.display().to_string())
        .collect();
    assert!(failed.is_empty(), "panicked on:\n{}", failed.join("\n"));
    files.len()
}

#[test]
fn the_corpus_reads_without_panicking() {
    let count = replay(&fuzz_dir().join("corpus/capture_to_rows"));
    assert!(count > 0, "the corpus is missing");
}

#[test]
fn the_inputs_that_crashed_read_without_panicking() {
    replay(&fuzz_dir().join("regressions/capture_to_rows"));
}

#[test]
fn the_target_reads_captures_to_rows() {
    // Else the checks above could pass without reading anything.
    let seeds = fuzz_dir().join("corpus/capture_to_rows");
    for (seed, rows) in [
        ("seed-handshake.pcap", 1),
        ("seed-handshake.pcap.gz", 1),
        ("seed-two-interfaces.pcapng", 1),
        ("seed-kernel-refused.pcap", 1),
    ] {
        let outcome = capture_to_rows::capture_to_rows(&seeds.join(seed));
        assert_eq!(outcome.run, NativeRun::Read { failure: None }, "{seed}");
        assert_eq!(outcome.rows, rows, "{seed}");
        let csv = String::from_utf8(outcome.csv).unwrap();
        assert_eq!(csv.lines().count(), rows + 1, "{seed}");
    }
    let outcome = capture_to_rows::capture_to_rows(&seeds.join("seed-garbage"));
    assert!(matches!(outcome.run, NativeRun::Read { failure: Some(_) }));
    assert_eq!(outcome.rows, 0);
}
