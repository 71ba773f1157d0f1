//! Capture bytes, as a file (the native engine reads from a path), read by the native engine,
//! folded into rows and written as CSV and JSON lines: no panic, hang or absurd allocation, and
//! the checks of `../capture_to_rows.rs`.

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

#[path = "../capture_to_rows.rs"]
mod capture_to_rows;

/// One file per fuzzing process, written for every input and removed after it (in /dev/shm when
/// there is one, to spare the disk); only an input that crashed is left behind.
fn scratch() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let shm = PathBuf::from("/dev/shm");
        let dir = if shm.is_dir() {
            shm
        } else {
            std::env::temp_dir()
        };
        dir.join(format!("tcpwave-fuzz-{}.capture", std::process::id()))
    })
}

fuzz_target!(|bytes: &[u8]| {
    let path = scratch();
    std::fs::write(path, bytes).expect("writing the scratch capture");
    capture_to_rows::capture_to_rows(path);
    let _ = std::fs::remove_file(path);
});
