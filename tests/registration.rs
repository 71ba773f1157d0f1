//! tshark loads the plugin from a private plugin folder and registers its public fields.

use std::collections::HashMap;

use tcpwave_tests::PrivateTshark;

/// The public fields (users type them in filters, the CLI reads them) and their types.
const FIELDS: &[(&str, &str)] = &[
    ("tcpwave.step", "FT_UINT8"),
    ("tcpwave.handshake.step", "FT_UINT8"),
    ("tcpwave.teardown.step", "FT_UINT8"),
    ("tcpwave.repeat", "FT_BOOLEAN"),
    ("tcpwave.phase", "FT_STRING"),
    ("tcpwave.state.client", "FT_STRING"),
    ("tcpwave.state.server", "FT_STRING"),
    ("tcpwave.acks_frame", "FT_FRAMENUM"),
    ("tcpwave.expected_ack", "FT_UINT32"),
    ("tcpwave.ack_ok", "FT_BOOLEAN"),
    ("tcpwave.handshake.rtt", "FT_RELATIVE_TIME"),
    ("tcpwave.handshake.syn_to_synack", "FT_RELATIVE_TIME"),
    ("tcpwave.handshake.synack_to_ack", "FT_RELATIVE_TIME"),
    ("tcpwave.teardown.duration", "FT_RELATIVE_TIME"),
    ("tcpwave.conn.handshake", "FT_STRING"),
    ("tcpwave.conn.teardown", "FT_STRING"),
];

#[test]
fn plugin_is_listed_only_when_installed() {
    // with_plugin() fails unless `tshark -G plugins` lists tcpwave.so.
    PrivateTshark::with_plugin();
    assert!(
        !PrivateTshark::without_plugin().loads_tcpwave(),
        "tshark loads a tcpwave.so from outside the private plugin folder"
    );
}

#[test]
fn public_fields_are_registered_with_their_types() {
    let tshark = PrivateTshark::with_plugin();
    let run = tshark.run(["-G", "fields"]);
    let stdout = run.expect_clean();
    // "F<TAB>name<TAB>filter name<TAB>type<TAB>parent..." for fields, "P<TAB>name<TAB>filter name" for protocols.
    let rows: Vec<Vec<&str>> = stdout
        .lines()
        .map(|line| line.split('\t').collect())
        .collect();
    assert!(
        rows.iter()
            .any(|row| row[0] == "P" && row.get(2) == Some(&"tcpwave")),
        "`tshark -G fields` lists no protocol with the filter name tcpwave"
    );
    let types: HashMap<&str, &str> = rows
        .iter()
        .filter(|row| row[0] == "F" && row.len() > 3)
        .map(|row| (row[2], row[3]))
        .collect();
    let wrong: Vec<String> = FIELDS
        .iter()
        .filter(|(field, kind)| types.get(field) != Some(kind))
        .map(|(field, kind)| {
            format!(
                "{field}: expected {kind}, registered as {}",
                types.get(field).unwrap_or(&"(missing)")
            )
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "`tshark -G fields` disagrees with the public fields:\n{}",
        wrong.join("\n")
    );
}
