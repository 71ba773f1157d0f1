//! Captures the way real taps make them, written packet by packet: started after the SYN, seeing
//! one direction only, caught in the middle of a connection, or stopped mid-handshake or
//! mid-teardown. Each is one connection between a client on an ephemeral port and a server on
//! 443; `tests/expected/<name>.tsv` holds its labels, written from the README's rules.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::pcap::{PcapWriter, Segment, ACK, FIN, PSH, RST, SYN};

const CLIENT: &str = "192.0.2.1:51000";
const SERVER: &str = "192.0.2.2:443";
/// The client's and the server's initial sequence numbers.
const C: u32 = 1000;
const S: u32 = 5000;

/// A packet of one side: flags, raw seq, raw ack, payload length.
type Packet = (bool, u16, u32, u32, usize);
const FROM_CLIENT: bool = true;
const FROM_SERVER: bool = false;

/// Every shape: its file name (without `.pcap`) and its packets in capture order.
pub const SHAPES: &[(&str, &[Packet])] = &[
    // The capture starts at the SYN/ACK; both directions are seen, and the connection closes.
    (
        "partial_synack_first",
        &[
            (FROM_SERVER, SYN | ACK, S, C + 1, 0),
            (FROM_CLIENT, ACK, C + 1, S + 1, 0),
            (FROM_CLIENT, PSH | ACK, C + 1, S + 1, 10),
            (FROM_SERVER, ACK, S + 1, C + 11, 0),
            (FROM_SERVER, PSH | ACK, S + 1, C + 11, 20),
            (FROM_CLIENT, ACK, C + 11, S + 21, 0),
            (FROM_CLIENT, FIN | ACK, C + 11, S + 21, 0),
            (FROM_SERVER, FIN | ACK, S + 21, C + 12, 0),
            (FROM_CLIENT, ACK, C + 12, S + 22, 0),
        ],
    ),
    // Starts at the SYN/ACK, which the server sends twice before the client's ACK.
    (
        "partial_synack_repeated",
        &[
            (FROM_SERVER, SYN | ACK, S, C + 1, 0),
            (FROM_SERVER, SYN | ACK, S, C + 1, 0),
            (FROM_CLIENT, ACK, C + 1, S + 1, 0),
            (FROM_CLIENT, FIN | ACK, C + 1, S + 1, 0),
            (FROM_SERVER, FIN | ACK, S + 1, C + 2, 0),
            (FROM_CLIENT, ACK, C + 2, S + 2, 0),
        ],
    ),
    // An asymmetric route: only the client's packets; the server sends 100 bytes and a FIN.
    (
        "partial_client_side_only",
        &[
            (FROM_CLIENT, SYN, C, 0, 0),
            (FROM_CLIENT, ACK, C + 1, S + 1, 0),
            (FROM_CLIENT, PSH | ACK, C + 1, S + 1, 10),
            (FROM_CLIENT, ACK, C + 11, S + 101, 0),
            (FROM_CLIENT, FIN | ACK, C + 11, S + 101, 0),
            (FROM_CLIENT, ACK, C + 12, S + 102, 0),
        ],
    ),
    // The other direction of the same route: only the server's packets.
    (
        "partial_server_side_only",
        &[
            (FROM_SERVER, SYN | ACK, S, C + 1, 0),
            (FROM_SERVER, PSH | ACK, S + 1, C + 1, 100),
            (FROM_SERVER, ACK, S + 101, C + 11, 0),
            (FROM_SERVER, FIN | ACK, S + 101, C + 11, 0),
            (FROM_SERVER, ACK, S + 102, C + 12, 0),
        ],
    ),
    // Caught in the middle, the server's packet first; the server closes first, four-way.
    (
        "partial_midstream_close",
        &[
            (FROM_SERVER, PSH | ACK, S, C, 20),
            (FROM_CLIENT, ACK, C, S + 20, 0),
            (FROM_CLIENT, PSH | ACK, C, S + 20, 10),
            (FROM_SERVER, ACK, S + 20, C + 10, 0),
            (FROM_SERVER, FIN | ACK, S + 20, C + 10, 0),
            (FROM_CLIENT, ACK, C + 10, S + 21, 0),
            (FROM_CLIENT, FIN | ACK, C + 10, S + 21, 0),
            (FROM_SERVER, ACK, S + 21, C + 11, 0),
        ],
    ),
    // Caught in the middle, the client's packet first; the client resets.
    (
        "partial_midstream_reset",
        &[
            (FROM_CLIENT, PSH | ACK, C, S, 10),
            (FROM_SERVER, ACK, S, C + 10, 0),
            (FROM_CLIENT, RST | ACK, C + 10, S, 0),
        ],
    ),
    // The capture stops after the SYN/ACK.
    (
        "partial_ends_mid_handshake",
        &[
            (FROM_CLIENT, SYN, C, 0, 0),
            (FROM_SERVER, SYN | ACK, S, C + 1, 0),
        ],
    ),
    // The capture stops after the first FIN and its ACK.
    (
        "partial_ends_mid_teardown",
        &[
            (FROM_CLIENT, SYN, C, 0, 0),
            (FROM_SERVER, SYN | ACK, S, C + 1, 0),
            (FROM_CLIENT, ACK, C + 1, S + 1, 0),
            (FROM_CLIENT, FIN | ACK, C + 1, S + 1, 0),
            (FROM_SERVER, ACK, S + 1, C + 2, 0),
        ],
    ),
];

/// Writes every shape into `dir` as `<name>.pcap`, one packet a millisecond, and returns the paths.
pub fn write_shapes(dir: &Path) -> Vec<PathBuf> {
    let (client, server): (SocketAddr, SocketAddr) =
        (CLIENT.parse().unwrap(), SERVER.parse().unwrap());
    SHAPES
        .iter()
        .map(|(name, packets)| {
            let path = dir.join(format!("{name}.pcap"));
            let mut writer = PcapWriter::create(&path);
            for (index, &(from_client, flags, seq, ack, payload_len)) in packets.iter().enumerate()
            {
                let (src, dst) = if from_client {
                    (client, server)
                } else {
                    (server, client)
                };
                let segment = Segment::new(src, dst, flags, seq, ack).with_payload(payload_len);
                writer.write(
                    1_700_000_000_000_000_000 + index as u64 * 1_000_000,
                    &segment.frame(),
                );
            }
            writer.finish();
            path
        })
        .collect()
}
