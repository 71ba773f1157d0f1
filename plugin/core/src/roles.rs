//! Which side of a connection is the client, decided from its first captured packet.
//!
//! A SYN without ACK comes from the client; a SYN/ACK goes to it. A connection caught in the
//! middle shows neither, so tcpwave guesses as Zeek does (its TCP analyzer's `WantConnection`):
//! the first packet came from the server when its source port is one servers are known to use
//! and its destination port is not; when both are, when its source port is the lower one. Zeek
//! keeps the SYN/ACK as a plain port guess too; tcpwave does not, since a SYN/ACK says who
//! sent the SYN.

use crate::segment::{Flags, Side};

/// The TCP ports of the protocols a stock Zeek (8.1) analyses: its `likely_server_ports`, which
/// every base protocol script fills with its analyser's well-known ports. Sorted.
const LIKELY_SERVER_PORTS: &[u16] = &[
    21, 22, 25, 53, 79, 80, 81, 88, 135, 139, 143, 389, 443, 445, 465, 502, 563, 585, 587, 614,
    631, 636, 989, 990, 992, 993, 995, 1080, 1434, 1883, 2811, 3128, 3268, 3306, 3389, 5222, 5223,
    5269, 5432, 6379, 6666, 6667, 6668, 6669, 8000, 8080, 8888, 20000,
];

/// Whether servers are known to listen on `port`.
fn is_likely_server_port(port: u16) -> bool {
    LIKELY_SERVER_PORTS.binary_search(&port).is_ok()
}

/// The side that sent a connection's first captured packet.
pub fn first_sender_side(flags: Flags, src_port: u16, dst_port: u16) -> Side {
    let (syn, ack) = (flags.has(Flags::SYN), flags.has(Flags::ACK));
    let from_server = match (syn, ack) {
        (true, false) => false,
        (true, true) => true,
        _ if is_likely_server_port(src_port) => {
            !is_likely_server_port(dst_port) || src_port < dst_port
        }
        _ => false,
    };
    if from_server {
        Side::Server
    } else {
        Side::Client
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATA: Flags = Flags(Flags::ACK | Flags::PSH);

    #[test]
    fn the_port_list_is_sorted_for_binary_search() {
        assert!(LIKELY_SERVER_PORTS.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn syn_and_synack_name_the_client_whatever_the_ports() {
        assert_eq!(
            first_sender_side(Flags(Flags::SYN), 80, 51000),
            Side::Client
        );
        assert_eq!(
            first_sender_side(Flags(Flags::SYN | Flags::ACK), 51000, 80),
            Side::Server
        );
    }

    #[test]
    fn midstream_packets_are_placed_by_their_ports() {
        // From a server port to an ephemeral one: the server spoke first.
        assert_eq!(first_sender_side(DATA, 443, 51000), Side::Server);
        // From an ephemeral port to a server port, or between two unknown ports: the sender is
        // taken for the client.
        assert_eq!(first_sender_side(DATA, 51000, 443), Side::Client);
        assert_eq!(first_sender_side(DATA, 40000, 41000), Side::Client);
        // Both plausible: the lower port is the server's.
        assert_eq!(first_sender_side(DATA, 25, 8080), Side::Server);
        assert_eq!(first_sender_side(DATA, 8080, 25), Side::Client);
        // A SYN/ACK names the client whatever its ports, where Zeek would keep guessing.
        assert_eq!(
            first_sender_side(Flags(Flags::SYN | Flags::ACK), 25, 8080),
            Side::Server
        );
        assert_eq!(
            first_sender_side(Flags(Flags::FIN | Flags::ACK), 22, 60000),
            Side::Server
        );
    }
}
