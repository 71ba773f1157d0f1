//! Bugs the invariant checks of tests/invariants/ found (run by the fuzzer in plugin/core/fuzz and
//! by random_sequences.rs), each reduced to a short packet sequence.

use tcpwave_core::{Capture, Flags, Segment};

const CLIENT: u64 = 1;
const SERVER: u64 = 2;
const S: u16 = Flags::SYN;
const A: u16 = Flags::ACK;

/// (sender, flags, raw seq, raw ack, payload length, capture time in ns) of one TCP layer.
type Packet = (u64, u16, u32, u32, u32, i64);

/// A capture of one connection whose frames hold these TCP layers.
fn capture_of_frames(frames: &[&[Packet]]) -> Capture {
    let mut capture = Capture::new();
    for (index, layers) in frames.iter().enumerate() {
        let frame = index as u32 + 1;
        let segments: Vec<Segment> = layers
            .iter()
            .map(|&(sender, flags, seq, ack, payload_len, time_ns)| Segment {
                frame,
                time_ns,
                stream: 0,
                sender,
                flags: Flags(flags),
                seq,
                ack,
                payload_len,
                src_port: 50_000,
                dst_port: 50_001,
            })
            .collect();
        capture.observe_frame(frame, &segments);
    }
    capture
}

/// A capture of one connection, one TCP layer per frame.
fn capture(packets: &[Packet]) -> Capture {
    let frames: Vec<&[Packet]> = packets.iter().map(std::slice::from_ref).collect();
    capture_of_frames(&frames)
}

#[test]
fn a_syn_after_the_handshake_completed_gives_it_no_times_later() {
    // The capture starts at the SYN/ACK, so the ACK completing the handshake has no SYN to time
    // from, only its SYN/ACK; a SYN seen afterwards must not give it times in a second pass that
    // the first lacked.
    let c = capture(&[
        (SERVER, S | A, 5000, 1001, 0, 1_000),
        (CLIENT, A, 1001, 5001, 0, 2_000),
        (CLIENT, S, 7000, 0, 0, 3_000),
    ]);
    let step3 = c.views(2, true).next().unwrap().steps().next().unwrap();
    let times = step3
        .handshake_times
        .expect("the first step 3 is timed from what it can be");
    assert_eq!(
        (times.rtt_ns, times.syn_to_synack_ns, times.synack_to_ack_ns),
        (None, None, Some(1_000))
    );
}

/// The messages of a frame's expert infos.
fn messages(capture: &Capture, frame: u32) -> Vec<String> {
    let view = capture.views(frame, false).next().unwrap();
    view.anomalies()
        .into_iter()
        .map(|(_, message)| message)
        .collect()
}

#[test]
fn an_isn_change_is_explained_the_same_after_later_syns() {
    let syns = [
        (CLIENT, S, 100, 0, 0, 1_000),
        (CLIENT, S, 200, 0, 0, 2_000),
        (CLIENT, S, 300, 0, 0, 3_000),
    ];
    let first_pass = messages(&capture(&syns[..2]), 2);
    assert_eq!(messages(&capture(&syns), 2), first_pass);
}

#[test]
fn step_3_expects_the_ack_of_the_latest_synack_with_its_own_data() {
    // The SYN/ACK is sent again without the 10 bytes the first one carried.
    let c = capture(&[
        (CLIENT, S, 1000, 0, 0, 1_000),
        (SERVER, S | A, 5000, 1001, 10, 2_000),
        (SERVER, S | A, 5000, 1001, 0, 3_000),
        (CLIENT, A, 1001, 5001, 0, 4_000),
    ]);
    let answer = c
        .views(4, false)
        .next()
        .unwrap()
        .steps()
        .next()
        .unwrap()
        .answer
        .unwrap();
    assert_eq!(
        (answer.answered_frame, answer.expected, answer.ok()),
        (3, 5001, true)
    );
}

#[test]
fn durations_between_extreme_timestamps_saturate_instead_of_overflowing() {
    // The plugin saturates capture times that do not fit i64 nanoseconds; time may also go back.
    const F: u16 = Flags::FIN;
    let c = capture(&[
        (CLIENT, S, 1000, 0, 0, i64::MIN),
        (SERVER, S | A, 5000, 1001, 0, i64::MAX),
        (CLIENT, A, 1001, 5001, 0, i64::MAX),
        (CLIENT, F | A, 1001, 5001, 0, i64::MAX),
        (SERVER, F | A, 5001, 1002, 0, 0),
        (CLIENT, A, 1002, 5002, 0, i64::MIN),
    ]);
    let times = c
        .views(3, false)
        .next()
        .unwrap()
        .steps()
        .next()
        .unwrap()
        .handshake_times
        .unwrap();
    assert_eq!(
        (times.rtt_ns, times.syn_to_synack_ns, times.synack_to_ack_ns),
        (Some(i64::MAX), Some(i64::MAX), Some(0))
    );
    let last = c.views(6, false).next().unwrap().steps().next().unwrap();
    assert_eq!(last.teardown_duration_ns, Some(i64::MIN));
}

#[test]
fn only_the_layer_that_completes_the_teardown_carries_its_duration() {
    // Frame 6 holds three TCP layers of the connection: the ACK completing the teardown, the
    // client's FIN again, and the server's repeated ACK of it, which completes nothing.
    const F: u16 = Flags::FIN;
    let c = capture_of_frames(&[
        &[(CLIENT, S, 100, 0, 0, 1_000)],
        &[(SERVER, S | A, 500, 101, 0, 2_000)],
        &[(CLIENT, A, 101, 501, 0, 3_000)],
        &[(CLIENT, F | A, 101, 501, 0, 4_000)],
        &[(SERVER, F | A, 501, 102, 0, 5_000)],
        &[
            (CLIENT, A, 102, 502, 0, 6_000),
            (CLIENT, F | A, 101, 502, 0, 6_000),
            (SERVER, A, 502, 102, 0, 6_000),
        ],
    ]);
    let durations: Vec<Vec<Option<i64>>> = c
        .views(6, false)
        .map(|view| view.steps().map(|step| step.teardown_duration_ns).collect())
        .collect();
    assert_eq!(durations, [vec![Some(2_000)], vec![None], vec![None]]);
}
