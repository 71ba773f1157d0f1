//! Packet sequences decoded from the fuzzer's bytes, fed to the state machine, with every
//! invariant of `plugin/core/tests/invariants/` checked after each one.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/invariants/mod.rs"]
mod invariants;

fuzz_target!(|bytes: &[u8]| {
    let frames = invariants::decode(bytes);
    // The shuffle of the final rendering follows from the input, so a crash reproduces.
    let shuffle_seed = bytes.iter().fold(0u64, |seed, &byte| seed.rotate_left(8) ^ u64::from(byte));
    if let Err(problem) = invariants::check(&frames, shuffle_seed) {
        panic!("{problem}");
    }
});
