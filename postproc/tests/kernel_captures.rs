//! `tcpwave report` over the kernel captures, every row checked against expectations written
//! by hand from the README's labelling rules and Zeek's conn.log definitions.
//!
//! How the Zeek columns were derived, e.g. for client_closes_first.pcap (C = client, S = server):
//!   1 C SYN -> S    2 S SYN/ACK -> h    3 C ACK -> A    4 C data -> D    5 S ACK -> a
//!   6 S data -> d   7 C ACK (A again: once per side)    8 C FIN -> F     9 S FIN -> f
//!   10 C ACK: nothing new.  Both sides sent a FIN: SF.  History ShADadFf.

mod common;

use std::collections::HashMap;

use common::{captures_dir, csv_rows, mismatches, plugin_tshark, tcpwave};

/// One expected row; fields not listed here are checked by the generic assertions below.
struct Expected {
    file: &'static str,
    stream: &'static str,
    handshake: &'static str,
    handshake_steps: &'static str,
    teardown: &'static str,
    teardown_steps: &'static str,
    active_closer: &'static str,
    packets: &'static str,
    orig_bytes: &'static str,
    resp_bytes: &'static str,
    repeats: &'static str,
    anomalies: &'static str,
    conn_state: &'static str,
    history: &'static str,
}

const EXPECTED: &[Expected] = &[
    Expected {
        file: "abort_with_rst.pcap",
        stream: "0",
        handshake: "complete",
        handshake_steps: "1 2 3",
        teardown: "reset",
        teardown_steps: "",
        active_closer: "",
        packets: "6",
        orig_bytes: "100",
        resp_bytes: "0",
        repeats: "0",
        anomalies: "abort",
        conn_state: "RSTO",
        history: "ShADaR",
    },
    Expected {
        file: "client_closes_first.pcap",
        stream: "0",
        handshake: "complete",
        handshake_steps: "1 2 3",
        teardown: "three-way",
        teardown_steps: "1 2 3 4",
        active_closer: "orig",
        packets: "10",
        orig_bytes: "18",
        resp_bytes: "37",
        repeats: "0",
        anomalies: "",
        conn_state: "SF",
        history: "ShADadFf",
    },
    // Stream 0: a Fast Open cookie request; the client's first pure ACK is its last packet.
    Expected {
        file: "fast_open.pcap",
        stream: "0",
        handshake: "complete",
        handshake_steps: "1 2 3",
        teardown: "three-way",
        teardown_steps: "1 2 3 4",
        active_closer: "orig",
        packets: "8",
        orig_bytes: "18",
        resp_bytes: "37",
        repeats: "0",
        anomalies: "",
        conn_state: "SF",
        history: "ShDadFfA",
    },
    // Stream 1: data in the SYN. A SYN with data is still just `S`, and Zeek's analyzer then
    // counts that data as retransmitted (a side's first segment initialises its highest
    // sequence number to the segment's end, so the data does not advance it): `T`.
    Expected {
        file: "fast_open.pcap",
        stream: "1",
        handshake: "complete",
        handshake_steps: "1 2 3",
        teardown: "three-way",
        teardown_steps: "1 2 3 4",
        active_closer: "orig",
        packets: "8",
        orig_bytes: "18",
        resp_bytes: "37",
        repeats: "0",
        anomalies: "",
        conn_state: "SF",
        history: "SThAdFf",
    },
    Expected {
        file: "half_close_then_data.pcap",
        stream: "0",
        handshake: "complete",
        handshake_steps: "1 2 3",
        teardown: "four-way",
        teardown_steps: "1 2 3 4",
        active_closer: "orig",
        packets: "14",
        orig_bytes: "8",
        resp_bytes: "36",
        repeats: "0",
        anomalies: "half_close",
        conn_state: "SF",
        history: "ShADaFdf",
    },
    Expected {
        file: "ipv6_client_closes_first.pcap",
        stream: "0",
        handshake: "complete",
        handshake_steps: "1 2 3",
        teardown: "three-way",
        teardown_steps: "1 2 3 4",
        active_closer: "orig",
        packets: "10",
        orig_bytes: "18",
        resp_bytes: "37",
        repeats: "0",
        anomalies: "",
        conn_state: "SF",
        history: "ShADadFf",
    },
    Expected {
        file: "port_reuse.pcap",
        stream: "0",
        handshake: "complete",
        handshake_steps: "1 2 3",
        teardown: "three-way",
        teardown_steps: "1 2 3 4",
        active_closer: "orig",
        packets: "10",
        orig_bytes: "2",
        resp_bytes: "21",
        repeats: "0",
        anomalies: "",
        conn_state: "SF",
        history: "ShADadFf",
    },
    Expected {
        file: "port_reuse.pcap",
        stream: "1",
        handshake: "complete",
        handshake_steps: "1 2 3",
        teardown: "three-way",
        teardown_steps: "1 2 3 4",
        active_closer: "orig",
        packets: "10",
        orig_bytes: "2",
        resp_bytes: "21",
        repeats: "0",
        anomalies: "",
        conn_state: "SF",
        history: "ShADadFf",
    },
    Expected {
        file: "refused.pcap",
        stream: "0",
        handshake: "refused",
        handshake_steps: "1",
        teardown: "reset",
        teardown_steps: "",
        active_closer: "",
        packets: "2",
        orig_bytes: "0",
        resp_bytes: "0",
        repeats: "0",
        anomalies: "refused",
        conn_state: "REJ",
        history: "Sr",
    },
    Expected {
        file: "server_closes_first.pcap",
        stream: "0",
        handshake: "complete",
        handshake_steps: "1 2 3",
        teardown: "four-way",
        teardown_steps: "1 2 3 4",
        active_closer: "resp",
        packets: "11",
        orig_bytes: "6",
        resp_bytes: "4",
        repeats: "0",
        anomalies: "",
        conn_state: "SF",
        history: "ShADadfF",
    },
    // Both FINs cross (steps 1 and 3), both are retransmitted (repeats), then each ACK answers
    // the FIN it acknowledges: 4 for the server's, 2 for the client's.
    Expected {
        file: "simultaneous_close.pcap",
        stream: "0",
        handshake: "complete",
        handshake_steps: "1 2 3",
        teardown: "simultaneous",
        teardown_steps: "1 3 3 1 4 2",
        active_closer: "orig",
        packets: "11",
        orig_bytes: "4",
        resp_bytes: "0",
        repeats: "2",
        anomalies: "retransmission simultaneous_close",
        conn_state: "SF",
        history: "ShADaFf",
    },
    // Both sides send a SYN (each retransmitted), both a SYN/ACK with the same ISN (no new
    // letter), both an ACK; then data each way and the client's RST.
    Expected {
        file: "simultaneous_open.pcap",
        stream: "0",
        handshake: "simultaneous",
        handshake_steps: "1 1 1 1 2 2 3 3",
        teardown: "reset",
        teardown_steps: "",
        active_closer: "",
        packets: "13",
        orig_bytes: "2",
        resp_bytes: "2",
        repeats: "2",
        anomalies: "abort retransmission simultaneous_open",
        conn_state: "RSTO",
        history: "SsaADdR",
    },
    Expected {
        file: "syn_retransmitted.pcap",
        stream: "0",
        handshake: "complete",
        handshake_steps: "1 1 2 3",
        teardown: "three-way",
        teardown_steps: "1 2 3 4",
        active_closer: "orig",
        packets: "11",
        orig_bytes: "18",
        resp_bytes: "37",
        repeats: "1",
        anomalies: "retransmission",
        conn_state: "SF",
        history: "ShADadFf",
    },
    Expected {
        file: "syn_unanswered.pcap",
        stream: "0",
        handshake: "unanswered",
        handshake_steps: "1 1 1",
        teardown: "none",
        teardown_steps: "",
        active_closer: "",
        packets: "3",
        orig_bytes: "0",
        resp_bytes: "0",
        repeats: "2",
        anomalies: "unanswered retransmission",
        conn_state: "S0",
        history: "S",
    },
    // The SYN/ACK is sent three times and the SYN twice; the ACK answering the SYN/ACK sent
    // again after step 3 is a repeated step 3.
    Expected {
        file: "synack_lost.pcap",
        stream: "0",
        handshake: "complete",
        handshake_steps: "1 2 2 1 3 2 3",
        teardown: "three-way",
        teardown_steps: "1 2 3 4",
        active_closer: "orig",
        packets: "14",
        orig_bytes: "18",
        resp_bytes: "37",
        repeats: "4",
        anomalies: "retransmission",
        conn_state: "SF",
        history: "ShADadFf",
    },
];

fn check(row: &HashMap<String, String>, expected: &Expected) -> Vec<String> {
    let pairs = [
        ("handshake", expected.handshake),
        ("handshake_steps", expected.handshake_steps),
        ("teardown", expected.teardown),
        ("teardown_steps", expected.teardown_steps),
        ("active_closer", expected.active_closer),
        ("packets", expected.packets),
        ("orig_bytes", expected.orig_bytes),
        ("resp_bytes", expected.resp_bytes),
        ("repeats", expected.repeats),
        ("anomalies", expected.anomalies),
        ("conn_state", expected.conn_state),
        ("history", expected.history),
    ];
    mismatches(
        &format!("{} stream {}", expected.file, expected.stream),
        row,
        &pairs,
    )
}

fn is_time(text: &str) -> bool {
    text.split_once('.').is_some_and(|(whole, micros)| {
        !whole.is_empty()
            && whole.bytes().all(|b| b.is_ascii_digit())
            && micros.len() == 6
            && micros.bytes().all(|b| b.is_ascii_digit())
    })
}

#[test]
fn every_kernel_capture_row_matches_the_specification() {
    let tshark = plugin_tshark();
    let kernel = captures_dir().join("kernel");
    let output = tcpwave(
        tshark,
        &["report", "--format", "csv", kernel.to_str().unwrap()],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "tcpwave failed ({}): {stderr}",
        output.status
    );

    let rows = csv_rows(&output.stdout);
    let mut problems = Vec::new();
    for expected in EXPECTED {
        let found: Vec<_> = rows
            .iter()
            .filter(|row| {
                row["file"].ends_with(&format!("/{}", expected.file))
                    && row["stream"] == expected.stream
            })
            .collect();
        match found.as_slice() {
            [row] => problems.extend(check(row, expected)),
            _ => problems.push(format!(
                "{} stream {}: {} rows",
                expected.file,
                expected.stream,
                found.len()
            )),
        }
    }
    assert_eq!(
        rows.len(),
        EXPECTED.len(),
        "one row per connection, no more"
    );

    for row in &rows {
        let name = format!("{} stream {}", row["file"], row["stream"]);
        if !is_time(&row["start"]) || !is_time(&row["duration"]) {
            problems.push(format!(
                "{name}: start/duration `{}`/`{}` are not seconds with 6 decimals",
                row["start"], row["duration"]
            ));
        }
        // Handshake times exist exactly when a step 3 was seen.
        let completed = row["handshake_steps"].split(' ').any(|step| step == "3");
        for column in ["handshake_rtt", "syn_to_synack", "synack_to_ack"] {
            if completed != is_time(&row[column]) {
                problems.push(format!("{name}: {column} is `{}`", row[column]));
            }
        }
        let closed = row["teardown_steps"].split(' ').any(|step| step == "4");
        if closed != is_time(&row["teardown_duration"]) {
            problems.push(format!(
                "{name}: teardown_duration is `{}`",
                row["teardown_duration"]
            ));
        }
        // The client is the side that sent the first SYN: the ephemeral port here, except in the
        // simultaneous open, where 7001 sent the first SYN.
        let expected_orig = if row["file"].ends_with("simultaneous_open.pcap") {
            "7001"
        } else {
            ""
        };
        if !expected_orig.is_empty() && row["orig_p"] != expected_orig {
            problems.push(format!("{name}: orig_p {}", row["orig_p"]));
        }
        if expected_orig.is_empty()
            && row["orig_p"].parse::<u32>().unwrap() < row["resp_p"].parse::<u32>().unwrap()
        {
            problems.push(format!(
                "{name}: orig_p {} is the server's port",
                row["orig_p"]
            ));
        }
    }
    let ipv6 = rows
        .iter()
        .find(|row| row["file"].ends_with("ipv6_client_closes_first.pcap"))
        .unwrap();
    assert_eq!(
        (ipv6["orig_h"].as_str(), ipv6["resp_h"].as_str()),
        ("::1", "::1")
    );
    assert!(
        problems.is_empty(),
        "{} mismatches:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn summary_totals_the_kernel_captures() {
    let tshark = plugin_tshark();
    let kernel = captures_dir().join("kernel");
    let output = tcpwave(
        tshark,
        &["summary", "--format", "json", kernel.to_str().unwrap()],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let overall = &summary["overall"];
    assert_eq!(overall["connections"], EXPECTED.len());
    let count = |verdict: &str| {
        EXPECTED
            .iter()
            .filter(|row| row.handshake == verdict)
            .count()
    };
    assert_eq!(overall["handshake"]["complete"], count("complete"));
    assert_eq!(overall["handshake"]["refused"], 1);
    assert_eq!(
        overall["conn_state"]["SF"],
        EXPECTED.iter().filter(|row| row.conn_state == "SF").count()
    );
    let rtt = &overall["handshake_rtt"];
    assert!(rtt["p50"].as_f64().unwrap() <= rtt["p90"].as_f64().unwrap());
    assert!(rtt["p99"].as_f64().unwrap() <= rtt["max"].as_f64().unwrap());
    assert_eq!(summary["captures"].as_array().unwrap().len(), 13);
}

#[test]
fn ladder_draws_a_three_way_close() {
    let tshark = plugin_tshark();
    let capture = captures_dir().join("kernel/client_closes_first.pcap");
    let output = tcpwave(
        tshark,
        &["ladder", capture.to_str().unwrap(), "--stream", "0"],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("handshake complete, teardown three-way"),
        "{text}"
    );
    for arrow in [
        "#1 [H1] SYN seq=0 -",
        "#2 [H2] SYN,ACK seq=0 ack=1 -",
        "#3 [H3] ACK seq=1 ack=1 -",
        "#8 [T1] FIN,ACK seq=19 ack=38 -",
        "#9 [T2,T3] FIN,ACK seq=38 ack=20 -",
        "#10 [T4] ACK seq=20 ack=39 -",
    ] {
        assert!(text.contains(arrow), "no `{arrow}` in\n{text}");
    }
    assert!(
        text.contains("... 4 packets: client 18 bytes, server 37 bytes ..."),
        "{text}"
    );
    assert!(
        text.contains("SYN_SENT") && text.contains("TIME_WAIT") && text.contains("LAST_ACK"),
        "{text}"
    );

    let missing = tcpwave(
        tshark,
        &["ladder", capture.to_str().unwrap(), "--stream", "7"],
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("no TCP connection with tcp.stream 7")
    );
}

/// Per side packets and IP bytes, summed here from tshark's own header fields (`ip.len`, or
/// `ipv6.plen` plus the 40-byte header) of every frame of the connection, the sender's address
/// and port telling the side.
#[test]
fn packets_and_ip_bytes_per_side_are_the_ip_headers_totals() {
    let tshark = plugin_tshark();
    let kernel = captures_dir().join("kernel");
    let output = tcpwave(
        tshark,
        &["report", "--format", "csv", kernel.to_str().unwrap()],
    );
    assert!(output.status.success());
    let mut problems = Vec::new();
    for row in csv_rows(&output.stdout) {
        let fields = std::process::Command::new(tshark)
            .args([
                "-r",
                &row["file"],
                "-Y",
                &format!("tcp.stream == {}", row["stream"]),
            ])
            .args(["-T", "fields", "-E", "separator=/t"])
            .args(["-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport"])
            .args(["-e", "ip.len", "-e", "ipv6.plen"])
            .output()
            .expect("run tshark");
        let (mut orig, mut resp) = ((0u64, 0u64), (0u64, 0u64));
        for line in String::from_utf8_lossy(&fields.stdout).lines() {
            let [v4, v6, port, len, plen] = line.split('\t').collect::<Vec<_>>()[..] else {
                panic!("five fields: {line}");
            };
            let address = if v4.is_empty() { v6 } else { v4 };
            let bytes: u64 = if v4.is_empty() {
                plen.parse::<u64>().unwrap() + 40
            } else {
                len.parse().unwrap()
            };
            let side = if address == row["orig_h"] && port == row["orig_p"] {
                &mut orig
            } else {
                &mut resp
            };
            side.0 += 1;
            side.1 += bytes;
        }
        let name = format!("{} stream {}", row["file"], row["stream"]);
        problems.extend(mismatches(
            &name,
            &row,
            &[
                ("orig_pkts", &orig.0.to_string()),
                ("resp_pkts", &resp.0.to_string()),
                ("orig_ip_bytes", &orig.1.to_string()),
                ("resp_ip_bytes", &resp.1.to_string()),
                ("packets", &(orig.0 + resp.0).to_string()),
            ],
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
