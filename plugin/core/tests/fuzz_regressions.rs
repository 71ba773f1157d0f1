//! Bugs the fuzzer (plugin/core/fuzz) found, each reduced to a short packet sequence.

use tcpwave_core::{Capture, Flags, Segment};

const CLIENT: u64 = 1;
const SERVER: u64 = 2;
const S: u16 = Flags::SYN;
const A: u16 = Flags::ACK;

/// (sender, flags, raw seq, raw ack, payload length, capture time in ns), one frame each.
type Packet = (u64, u16, u32, u32, u32, i64);

fn capture(packets: &[Packet]) -> Capture {
    let mut capture = Capture::new();
    for (index, &(sender, flags, seq, ack, payload_len, time_ns)) in packets.iter().enumerate() {
        let frame = index as u32 + 1;
        let segment = Segment { frame, time_ns, stream: 0, sender, flags: Flags(flags), seq, ack, payload_len };
        capture.observe_frame(frame, &[segment]);
    }
    capture
}

#[test]
fn a_syn_after_the_handshake_completed_gives_it_no_times_later() {
    // The capture starts at the SYN/ACK, so the ACK completing the handshake has no SYN to time
    // from; a SYN seen afterwards must not give it times in a second pass that the first lacked.
    let c = capture(&[
        (SERVER, S | A, 5000, 1001, 0, 1_000),
        (CLIENT, A, 1001, 5001, 0, 2_000),
        (CLIENT, S, 7000, 0, 0, 3_000),
    ]);
    let step3 = c.views(2, true).next().unwrap().steps().next().unwrap();
    assert_eq!(step3.handshake_times, None);
}

/// The messages of a frame's expert infos.
fn messages(capture: &Capture, frame: u32) -> Vec<String> {
    let view = capture.views(frame, false).next().unwrap();
    view.anomalies().into_iter().map(|(_, message)| message).collect()
}

#[test]
fn an_isn_change_is_explained_the_same_after_later_syns() {
    let syns = [(CLIENT, S, 100, 0, 0, 1_000), (CLIENT, S, 200, 0, 0, 2_000), (CLIENT, S, 300, 0, 0, 3_000)];
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
    let answer = c.views(4, false).next().unwrap().steps().next().unwrap().answer.unwrap();
    assert_eq!((answer.answered_frame, answer.expected, answer.ok()), (3, 5001, true));
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
    let times = c.views(3, false).next().unwrap().steps().next().unwrap().handshake_times.unwrap();
    assert_eq!((times.rtt_ns, times.syn_to_synack_ns, times.synack_to_ack_ns), (i64::MAX, i64::MAX, 0));
    let last = c.views(6, false).next().unwrap().steps().next().unwrap();
    assert_eq!(last.teardown_duration_ns, Some(i64::MIN));
}
