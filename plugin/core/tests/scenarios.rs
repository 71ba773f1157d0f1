//! The machine on the packet sequences of real kernel captures (../shared/captures/kernel), typed
//! in from `tshark -T fields` dumps, with labels written from the README's specification.

use tcpwave_core::{Capture, Flags, HandshakeVerdict, Segment, TeardownVerdict};

const CLIENT: u64 = 1;
const SERVER: u64 = 2;

/// (sender, flags as tshark's tcp.flags.str letters, raw seq, raw ack, payload length)
type Packet = (u64, &'static str, u32, u32, u32);

fn flags(letters: &str) -> Flags {
    let bit = |c: char| match c {
        'F' => Flags::FIN,
        'S' => Flags::SYN,
        'R' => Flags::RST,
        'P' => Flags::PSH,
        'A' => Flags::ACK,
        other => panic!("unknown flag letter {other}"),
    };
    Flags(letters.chars().map(bit).fold(0, |all, b| all | b))
}

fn capture(packets: &[Packet]) -> Capture {
    let mut capture = Capture::new();
    for (index, &(sender, letters, seq, ack, payload_len)) in packets.iter().enumerate() {
        let frame = index as u32 + 1;
        let segment = Segment {
            frame,
            time_ns: i64::from(frame) * 1_000,
            stream: 0,
            sender,
            flags: flags(letters),
            seq,
            ack,
            payload_len,
            src_port: 50_000,
            dst_port: 50_001,
        };
        capture.observe_frame(frame, &[segment]);
    }
    capture
}

/// One frame as "steps|phase|client|server", steps like `H1` or `T2 T3*` (`*` = repeat).
fn row(capture: &Capture, frame: u32) -> String {
    let view = capture.views(frame, true).next().expect("frame has a view");
    let steps: Vec<String> = view
        .steps()
        .map(|s| {
            let kind = if matches!(s.step, tcpwave_core::Step::Handshake(_)) {
                "H"
            } else {
                "T"
            };
            format!(
                "{kind}{}{}",
                s.step.number(),
                if s.repeat { "*" } else { "" }
            )
        })
        .collect();
    let state = |state: Option<tcpwave_core::TcpState>| state.map_or("-", |state| state.as_str());
    format!(
        "{}|{}|{}|{}",
        steps.join(" "),
        view.phase(),
        state(view.client_state()),
        state(view.server_state())
    )
}

fn assert_rows(capture: &Capture, expected: &[&str]) {
    for (index, want) in expected.iter().enumerate() {
        let frame = index as u32 + 1;
        assert_eq!(row(capture, frame), *want, "frame {frame}");
    }
}

fn answered(capture: &Capture, frame: u32) -> Vec<(u32, u32, bool)> {
    let view = capture.views(frame, true).next().unwrap();
    view.steps()
        .filter_map(|s| s.answer)
        .map(|a| (a.answered_frame, a.expected, a.ok()))
        .collect()
}

fn verdicts(capture: &Capture) -> (HandshakeVerdict, TeardownVerdict) {
    capture.views(1, true).next().unwrap().verdicts().unwrap()
}

#[test]
fn client_closes_first_is_a_three_way_close() {
    let c = capture(&[
        (CLIENT, "S", 2222882935, 0, 0),
        (SERVER, "AS", 4213878204, 2222882936, 0),
        (CLIENT, "A", 2222882936, 4213878205, 0),
        (CLIENT, "AP", 2222882936, 4213878205, 18),
        (SERVER, "A", 4213878205, 2222882954, 0),
        (SERVER, "AP", 4213878205, 2222882954, 37),
        (CLIENT, "A", 2222882954, 4213878242, 0),
        (CLIENT, "AF", 2222882954, 4213878242, 0),
        (SERVER, "AF", 4213878242, 2222882955, 0),
        (CLIENT, "A", 2222882955, 4213878243, 0),
    ]);
    assert_rows(
        &c,
        &[
            "H1|handshake|SYN_SENT|SYN_RECEIVED",
            "H2|handshake|ESTABLISHED|SYN_RECEIVED",
            "H3|handshake|ESTABLISHED|ESTABLISHED",
            "|established|ESTABLISHED|ESTABLISHED",
            "|established|ESTABLISHED|ESTABLISHED",
            "|established|ESTABLISHED|ESTABLISHED",
            "|established|ESTABLISHED|ESTABLISHED",
            "T1|teardown|FIN_WAIT_1|CLOSE_WAIT",
            "T2 T3|teardown|TIME_WAIT|LAST_ACK",
            "T4|teardown|TIME_WAIT|CLOSED",
        ],
    );
    assert_eq!(answered(&c, 2), vec![(1, 2222882936, true)]);
    assert_eq!(answered(&c, 3), vec![(2, 4213878205, true)]);
    assert_eq!(answered(&c, 9), vec![(8, 2222882955, true)]);
    assert_eq!(answered(&c, 10), vec![(9, 4213878243, true)]);
    assert_eq!(
        verdicts(&c),
        (HandshakeVerdict::Complete, TeardownVerdict::ThreeWay)
    );

    let step3 = c.views(3, false).next().unwrap().steps().next().unwrap();
    let times = step3
        .handshake_times
        .expect("step 3 carries the handshake times");
    assert_eq!(
        (times.rtt_ns, times.syn_to_synack_ns, times.synack_to_ack_ns),
        (Some(2_000), Some(1_000), Some(1_000))
    );
    let last = c.views(10, false).next().unwrap().steps().next().unwrap();
    assert_eq!(last.teardown_duration_ns, Some(2_000));
    assert!(
        c.views(10, false).next().unwrap().verdicts().is_none(),
        "no verdicts before the capture is settled"
    );
}

#[test]
fn server_closes_first_is_a_four_way_close() {
    let c = capture(&[
        (CLIENT, "S", 548194242, 0, 0),
        (SERVER, "AS", 3659053970, 548194243, 0),
        (CLIENT, "A", 548194243, 3659053971, 0),
        (CLIENT, "AP", 548194243, 3659053971, 6),
        (SERVER, "A", 3659053971, 548194249, 0),
        (SERVER, "AP", 3659053971, 548194249, 4),
        (CLIENT, "A", 548194249, 3659053975, 0),
        (SERVER, "AF", 3659053975, 548194249, 0),
        (CLIENT, "A", 548194249, 3659053976, 0),
        (CLIENT, "AF", 548194249, 3659053976, 0),
        (SERVER, "A", 3659053976, 548194250, 0),
    ]);
    assert_eq!(row(&c, 8), "T1|teardown|CLOSE_WAIT|FIN_WAIT_1");
    assert_eq!(row(&c, 9), "T2|teardown|CLOSE_WAIT|FIN_WAIT_2");
    assert_eq!(row(&c, 10), "T3|teardown|LAST_ACK|TIME_WAIT");
    assert_eq!(row(&c, 11), "T4|teardown|CLOSED|TIME_WAIT");
    assert_eq!(
        verdicts(&c),
        (HandshakeVerdict::Complete, TeardownVerdict::FourWay)
    );
}

#[test]
fn simultaneous_close_steps_come_as_1_3_4_2() {
    let a = CLIENT;
    let b = SERVER;
    let c = capture(&[
        (a, "S", 132933921, 0, 0),
        (b, "AS", 2298474026, 132933922, 0),
        (a, "A", 132933922, 2298474027, 0),
        (a, "AP", 132933922, 2298474027, 4),
        (b, "A", 2298474027, 132933926, 0),
        (a, "AF", 132933926, 2298474027, 0),
        (b, "AF", 2298474027, 132933926, 0),
        (b, "AF", 2298474027, 132933926, 0),
        (a, "AF", 132933926, 2298474027, 0),
        (a, "A", 132933927, 2298474028, 0),
        (b, "A", 2298474028, 132933927, 0),
    ]);
    assert_eq!(row(&c, 6), "T1|teardown|FIN_WAIT_1|CLOSE_WAIT");
    // B's FIN does not acknowledge A's: B never got it, so both sides are closing at once.
    assert_eq!(row(&c, 7), "T3|teardown|CLOSING|FIN_WAIT_1");
    assert_eq!(row(&c, 8), "T3*|teardown|CLOSING|FIN_WAIT_1");
    // A's retransmitted FIN does not acknowledge B's: it has not received it either.
    assert_eq!(row(&c, 9), "T1*|teardown|FIN_WAIT_1|CLOSING");
    assert_eq!(row(&c, 10), "T4|teardown|CLOSING|TIME_WAIT");
    assert_eq!(row(&c, 11), "T2|teardown|TIME_WAIT|TIME_WAIT");
    assert_eq!(answered(&c, 10), vec![(8, 2298474028, true)]);
    assert_eq!(answered(&c, 11), vec![(9, 132933927, true)]);
    assert_eq!(
        verdicts(&c),
        (HandshakeVerdict::Complete, TeardownVerdict::Simultaneous)
    );
    let anomalies: Vec<_> = c
        .views(7, true)
        .next()
        .unwrap()
        .anomalies()
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    assert_eq!(anomalies, vec![tcpwave_core::Anomaly::SimultaneousClose]);
    // The teardown completes on frame 11, the last ACK, which here is step 2.
    assert_eq!(
        c.views(11, true)
            .next()
            .unwrap()
            .steps()
            .next()
            .unwrap()
            .teardown_duration_ns,
        Some(5_000)
    );
}

#[test]
fn synack_lost_repeats_steps_and_answers_the_latest() {
    let c = capture(&[
        (CLIENT, "S", 317589018, 0, 0),
        (SERVER, "AS", 3461180363, 317589019, 0),
        (SERVER, "AS", 3461180363, 317589019, 0),
        (CLIENT, "S", 317589018, 0, 0),
        (CLIENT, "A", 317589019, 3461180364, 0),
        (SERVER, "AS", 3461180363, 317589019, 0),
        (CLIENT, "A", 317589019, 3461180364, 0),
        (CLIENT, "AP", 317589019, 3461180364, 18),
    ]);
    assert_eq!(row(&c, 1), "H1|handshake|SYN_SENT|SYN_RECEIVED");
    assert_eq!(row(&c, 2), "H2|handshake|ESTABLISHED|SYN_RECEIVED");
    assert_eq!(row(&c, 3), "H2*|handshake|ESTABLISHED|SYN_RECEIVED");
    // The retransmitted SYN shows the client has not received a SYN/ACK after all.
    assert_eq!(row(&c, 4), "H1*|handshake|SYN_SENT|SYN_RECEIVED");
    assert_eq!(row(&c, 5), "H3|handshake|ESTABLISHED|ESTABLISHED");
    // The server's third SYN/ACK shows it had not yet received the ACK in frame 5.
    assert_eq!(row(&c, 6), "H2*|handshake|ESTABLISHED|SYN_RECEIVED");
    assert_eq!(row(&c, 7), "H3*|handshake|ESTABLISHED|ESTABLISHED");
    assert_eq!(row(&c, 8), "|established|ESTABLISHED|ESTABLISHED");
    assert_eq!(answered(&c, 5), vec![(3, 3461180364, true)]);
    assert_eq!(answered(&c, 6), vec![(4, 317589019, true)]);
    assert_eq!(answered(&c, 7), vec![(6, 3461180364, true)]);
}

#[test]
fn simultaneous_open_has_two_of_each_handshake_step() {
    let a = CLIENT;
    let b = SERVER;
    let c = capture(&[
        (a, "S", 3642121925, 0, 0),
        (b, "S", 4199125556, 0, 0),
        (b, "S", 4199125556, 0, 0),
        (a, "S", 3642121925, 0, 0),
        (a, "AS", 3642121925, 4199125557, 0),
        (b, "AS", 4199125556, 3642121926, 0),
        (b, "A", 4199125557, 3642121926, 0),
        (a, "A", 3642121926, 4199125557, 0),
        (a, "AP", 3642121926, 4199125557, 2),
        (a, "AR", 3642121928, 4199125559, 0),
    ]);
    assert_rows(
        &c,
        &[
            "H1|handshake|SYN_SENT|SYN_RECEIVED",
            "H1|handshake|SYN_RECEIVED|SYN_SENT",
            "H1*|handshake|SYN_RECEIVED|SYN_SENT",
            "H1*|handshake|SYN_SENT|SYN_RECEIVED",
            "H2|handshake|SYN_RECEIVED|ESTABLISHED",
            "H2|handshake|ESTABLISHED|SYN_RECEIVED",
            "H3|handshake|ESTABLISHED|ESTABLISHED",
            "H3|handshake|ESTABLISHED|ESTABLISHED",
            "|established|ESTABLISHED|ESTABLISHED",
            "|reset|CLOSED|CLOSED",
        ],
    );
    assert_eq!(answered(&c, 7), vec![(5, 3642121926, true)]);
    assert_eq!(answered(&c, 8), vec![(6, 4199125557, true)]);
    assert_eq!(
        verdicts(&c),
        (HandshakeVerdict::Simultaneous, TeardownVerdict::Reset)
    );
}

#[test]
fn a_rst_answering_the_syn_is_refused() {
    let c = capture(&[
        (CLIENT, "S", 1249224163, 0, 0),
        (SERVER, "AR", 0, 1249224164, 0),
    ]);
    assert_rows(
        &c,
        &["H1|handshake|SYN_SENT|SYN_RECEIVED", "|reset|CLOSED|CLOSED"],
    );
    assert_eq!(
        verdicts(&c),
        (HandshakeVerdict::Refused, TeardownVerdict::Reset)
    );
    let view = c.views(2, true).next().unwrap();
    let anomalies = view.anomalies();
    assert_eq!(anomalies.len(), 1);
    assert_eq!(anomalies[0].0, tcpwave_core::Anomaly::Refused);
    assert!(anomalies[0].1.contains("frame 1"), "{}", anomalies[0].1);
}

#[test]
fn an_unanswered_syn_says_so_once_settled() {
    let c = capture(&[
        (CLIENT, "S", 641423544, 0, 0),
        (CLIENT, "S", 641423544, 0, 0),
    ]);
    assert_eq!(
        verdicts(&c),
        (HandshakeVerdict::Unanswered, TeardownVerdict::None)
    );
    let kinds = |settled| -> Vec<_> {
        c.views(2, settled)
            .next()
            .unwrap()
            .anomalies()
            .into_iter()
            .map(|(a, _)| a)
            .collect()
    };
    use tcpwave_core::Anomaly::{Retransmission, Unanswered};
    assert_eq!(kinds(true), vec![Unanswered, Retransmission]);
    assert_eq!(kinds(false), vec![Retransmission]);
}

#[test]
fn half_close_data_from_the_passive_side_is_noted_once() {
    let c = capture(&[
        (CLIENT, "S", 2823294327, 0, 0),
        (SERVER, "AS", 1029471973, 2823294328, 0),
        (CLIENT, "A", 2823294328, 1029471974, 0),
        (CLIENT, "AP", 2823294328, 1029471974, 8),
        (SERVER, "A", 1029471974, 2823294336, 0),
        (CLIENT, "AF", 2823294336, 1029471974, 0),
        (SERVER, "AP", 1029471974, 2823294337, 12),
        (CLIENT, "A", 2823294337, 1029471986, 0),
        (SERVER, "AP", 1029471986, 2823294337, 12),
        (CLIENT, "A", 2823294337, 1029471998, 0),
        (SERVER, "AF", 1029471998, 2823294337, 0),
        (CLIENT, "A", 2823294337, 1029471999, 0),
    ]);
    assert_eq!(row(&c, 7), "T2|teardown|FIN_WAIT_2|CLOSE_WAIT");
    assert_eq!(row(&c, 9), "|teardown|FIN_WAIT_2|CLOSE_WAIT");
    assert_eq!(row(&c, 11), "T3|teardown|TIME_WAIT|LAST_ACK");
    assert_eq!(row(&c, 12), "T4|teardown|TIME_WAIT|CLOSED");
    let half_closes: Vec<u32> = (1..=12)
        .filter(|&f| {
            c.views(f, true)
                .next()
                .unwrap()
                .anomalies()
                .iter()
                .any(|(a, _)| *a == tcpwave_core::Anomaly::HalfClose)
        })
        .collect();
    assert_eq!(half_closes, vec![7]);
    assert_eq!(
        verdicts(&c),
        (HandshakeVerdict::Complete, TeardownVerdict::FourWay)
    );
}

#[test]
fn a_synack_may_acknowledge_fast_open_data() {
    let c = capture(&[
        (CLIENT, "S", 2382888120, 0, 18),
        (SERVER, "AS", 3517325999, 2382888139, 0),
    ]);
    assert_eq!(answered(&c, 2), vec![(1, 2382888139, true)]);
    let c = capture(&[
        (CLIENT, "S", 2382888120, 0, 18),
        (SERVER, "AS", 3517325999, 2382888121, 0),
    ]);
    assert_eq!(
        answered(&c, 2),
        vec![(1, 2382888121, true)],
        "acknowledging only the SYN is fine too"
    );
}

#[test]
fn a_wrong_ack_keeps_its_step_and_is_named() {
    let c = capture(&[(CLIENT, "S", 1000, 0, 0), (SERVER, "AS", 5000, 1005, 0)]);
    assert_eq!(row(&c, 2).split('|').next(), Some("H2"));
    assert_eq!(answered(&c, 2), vec![(1, 1001, false)]);
    let anomalies = c.views(2, true).next().unwrap().anomalies();
    assert_eq!(anomalies[0].0, tcpwave_core::Anomaly::BadAck);
    assert!(
        anomalies[0].1.contains("acknowledges 1005, expected 1001"),
        "{}",
        anomalies[0].1
    );
}

#[test]
fn sequence_numbers_wrap_around_2_to_the_32() {
    let c = capture(&[
        (CLIENT, "S", u32::MAX, 0, 0),
        (SERVER, "AS", u32::MAX - 1, 0, 0),
        (CLIENT, "A", 0, u32::MAX, 0),
        (CLIENT, "AF", 0, u32::MAX, 0),
        (SERVER, "AF", u32::MAX, 1, 0),
        (CLIENT, "A", 1, 0, 0),
    ]);
    assert_rows(
        &c,
        &[
            "H1|handshake|SYN_SENT|SYN_RECEIVED",
            "H2|handshake|ESTABLISHED|SYN_RECEIVED",
            "H3|handshake|ESTABLISHED|ESTABLISHED",
            "T1|teardown|FIN_WAIT_1|CLOSE_WAIT",
            "T2 T3|teardown|TIME_WAIT|LAST_ACK",
            "T4|teardown|TIME_WAIT|CLOSED",
        ],
    );
    assert!(answered(&c, 6).iter().all(|a| a.2));
}

#[test]
fn a_capture_starting_mid_stream_still_labels_its_teardown() {
    let c = capture(&[
        (SERVER, "AP", 500, 100, 10),
        (CLIENT, "A", 100, 510, 0),
        (CLIENT, "AF", 100, 510, 0),
        (SERVER, "AF", 510, 101, 0),
        (CLIENT, "A", 101, 511, 0),
    ]);
    assert_rows(
        &c,
        &[
            "|midstream|ESTABLISHED|ESTABLISHED",
            "|midstream|ESTABLISHED|ESTABLISHED",
            "T1|teardown|CLOSE_WAIT|FIN_WAIT_1",
            "T2 T3|teardown|LAST_ACK|TIME_WAIT",
            "T4|teardown|CLOSED|TIME_WAIT",
        ],
    );
    assert_eq!(
        verdicts(&c),
        (HandshakeVerdict::Midstream, TeardownVerdict::ThreeWay)
    );
}

#[test]
fn later_passes_render_the_same_in_any_order() {
    let c = capture(&[
        (CLIENT, "S", 10, 0, 0),
        (SERVER, "AS", 20, 11, 0),
        (CLIENT, "A", 11, 21, 0),
        (CLIENT, "AF", 11, 21, 0),
        (SERVER, "A", 21, 12, 0),
    ]);
    let first: Vec<String> = (1..=5).map(|f| row(&c, f)).collect();
    let mut again = c;
    for frame in [5, 2, 4, 1, 3] {
        again.observe_frame(frame, &[]);
    }
    let later: Vec<String> = (1..=5).map(|f| row(&again, f)).collect();
    assert_eq!(first, later);
}

#[test]
fn a_packet_sums_itself_up_in_one_line() {
    let c = capture(&[
        (CLIENT, "S", 10, 0, 0),
        (SERVER, "AS", 20, 11, 0),
        (CLIENT, "A", 11, 21, 0),
        (CLIENT, "AF", 11, 21, 0),
        (SERVER, "AF", 21, 12, 0),
        (SERVER, "AF", 21, 12, 0),
    ]);
    let summary = |frame| c.views(frame, false).next().unwrap().summary();
    assert_eq!(
        summary(1),
        "Handshake 1 (SYN); client SYN_SENT, server SYN_RECEIVED"
    );
    assert_eq!(
        summary(5),
        "Teardown 2 (ACK of FIN), Teardown 3 (FIN); client TIME_WAIT, server LAST_ACK"
    );
    assert_eq!(
        summary(6),
        "Teardown 3 (FIN, repeated); client TIME_WAIT, server LAST_ACK"
    );
    let key = |frame| c.views(frame, false).next().unwrap().summary_key();
    assert_ne!(key(5), key(6));
}
