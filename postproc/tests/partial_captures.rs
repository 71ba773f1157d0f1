//! Reports on captures the way real taps make them (tests/src/partial.rs): the originator is the
//! plugin's client, flipped as Zeek flips it (`^`), and the anomalies are the plugin's expert
//! items. Expected rows are written from the README's rules and Zeek's conn.log documentation.

mod common;

use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;

use common::{csv_rows, mismatches, plugin_tshark, tcpwave};
use tcpwave_tests::partial::write_shapes;

const CLIENT: (&str, &str) = ("192.0.2.1", "51000");
const SERVER: (&str, &str) = ("192.0.2.2", "443");

/// Per shape: handshake, its steps, teardown, its steps, closer, anomalies, conn_state, history.
const ROWS: &[(&str, [&str; 8])] = &[
    (
        "partial_synack_first",
        [
            "complete",
            "2 3",
            "three-way",
            "1 2 3 4",
            "orig",
            "",
            "SF",
            "^hADadFf",
        ],
    ),
    (
        "partial_synack_repeated",
        [
            "complete",
            "2 2 3",
            "three-way",
            "1 2 3 4",
            "orig",
            "retransmission",
            "SF",
            "^hAFf",
        ],
    ),
    (
        "partial_client_side_only",
        [
            "complete", "1 3", "one-way", "", "", "one_way", "SH", "SADF",
        ],
    ),
    (
        "partial_server_side_only",
        [
            "complete", "2", "one-way", "", "", "one_way", "SHR", "^hdaf",
        ],
    ),
    (
        "partial_midstream_close",
        [
            "midstream",
            "",
            "four-way",
            "1 2 3 4",
            "resp",
            "midstream",
            "SF",
            "^dADafF",
        ],
    ),
    (
        "partial_midstream_reset",
        [
            "midstream",
            "",
            "reset",
            "",
            "",
            "abort midstream",
            "OTH",
            "DaR",
        ],
    ),
    // Zeek's TCP analyzer takes both endpoints as established on the SYN/ACK: S1.
    (
        "partial_ends_mid_handshake",
        ["incomplete", "1 2", "none", "", "", "", "S1", "Sh"],
    ),
    (
        "partial_ends_mid_teardown",
        [
            "complete",
            "1 2 3",
            "half-closed",
            "1 2",
            "orig",
            "",
            "S2",
            "ShAFa",
        ],
    ),
];

const COLUMNS: [&str; 8] = [
    "handshake",
    "handshake_steps",
    "teardown",
    "teardown_steps",
    "active_closer",
    "anomalies",
    "conn_state",
    "history",
];

#[test]
fn every_partial_shape_reports_the_plugins_client_as_originator() {
    let dir = tempfile::tempdir().unwrap();
    // tshark runs as nobody when the tests run as root.
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let captures = write_shapes(dir.path());
    for capture in &captures {
        fs::set_permissions(capture, fs::Permissions::from_mode(0o644)).unwrap();
    }
    let output = tcpwave(
        plugin_tshark(),
        &["report", "--format", "csv", dir.path().to_str().unwrap()],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows: HashMap<String, HashMap<String, String>> = csv_rows(&output.stdout)
        .into_iter()
        .map(|row| {
            (
                std::path::Path::new(&row["file"])
                    .file_stem()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                row,
            )
        })
        .collect();
    let mut problems = Vec::new();
    for (shape, expected) in ROWS {
        let Some(row) = rows.get(*shape) else {
            problems.push(format!(
                "{shape}: no row in {:?}",
                rows.keys().collect::<Vec<_>>()
            ));
            continue;
        };
        // The originator is the client, whichever side sent the first packet.
        let endpoints = [
            ("orig_h", CLIENT.0),
            ("orig_p", CLIENT.1),
            ("resp_h", SERVER.0),
            ("resp_p", SERVER.1),
        ];
        let columns = COLUMNS.iter().copied().zip(expected.iter().copied());
        let pairs: Vec<(&str, &str)> = endpoints.into_iter().chain(columns).collect();
        problems.extend(mismatches(shape, row, &pairs));
    }
    assert_eq!(
        rows.len(),
        ROWS.len(),
        "one row per shape:\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
