//! The fuzzer's invariants (tests/invariants/) on a fixed pseudo-random sample of packet sequences,
//! so that every `cargo test` checks them; `plugin/core/fuzz` searches the same space guided by
//! coverage.

mod invariants;

use std::panic::{self, AssertUnwindSafe};

use invariants::decode::SplitMix64;
use invariants::{check, decode};

const SEED: u64 = 0x7C9_3A7E;
const SEQUENCES: usize = 4_000;
const MAX_INPUT_LEN: usize = 1_024;

#[test]
fn invariants_hold_on_a_pseudo_random_sample() {
    let mut random = SplitMix64(SEED);
    for case in 0..SEQUENCES {
        let len = random.below(MAX_INPUT_LEN);
        let bytes: Vec<u8> = (0..len).map(|_| random.next_u64() as u8).collect();
        let frames = decode(&bytes);
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| check(&frames, random.next_u64())));
        let problem = match outcome {
            Ok(Ok(())) => continue,
            Ok(Err(problem)) => problem,
            Err(_) => "the machine panicked (message above)".to_owned(),
        };
        panic!("case {case} of seed {SEED:#x}: {problem}\ninput bytes: {bytes:02x?}");
    }
}
