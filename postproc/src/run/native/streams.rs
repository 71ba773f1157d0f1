//! Wireshark's TCP stream numbers (`tcp.stream`), computed without Wireshark.
//!
//! A native capture reader must number connections exactly as Wireshark 4.0 does, so that
//! `tcp.stream == N` opens the same connection in Wireshark. [`StreamNumbers`] does that: feed it
//! every TCP header Wireshark's TCP dissector would reach, in frame order (and, within a frame,
//! in layer order), and it answers each header's stream number.
//!
//! # Wireshark 4.0.17's rules
//!
//! Line references are to `epan/dissectors/packet-tcp.c` (and `epan/conversation.c`,
//! `epan/address.h`) of the Debian bookworm source package 4.0.17-0+deb12u3, whose patches do
//! not touch these files. They describe the first, sequential pass (the one that assigns
//! numbers; later passes only look the numbers up again by frame number).
//!
//! 1. **Who gets a number.** The dissector reads the ports, sequence and acknowledgement
//!    numbers, flags and window (bytes 0..16 of the header, lines 7403-7466) before it looks up
//!    the conversation (line 7476); a header with fewer than 16 bytes present (captured, and
//!    inside the IP datagram's length) throws there and gets no stream number (and consumes
//!    none). Every header that gets past that point gets a number,
//!    including a header whose data offset is bogus (checked only later, line 7735), a first IP
//!    fragment that was not reassembled, and a TCP header quoted inside an ICMP error (the ICMP
//!    dissector hands the quoted datagram to the IP dissector with `in_error_pkt` set,
//!    `packet-icmp.c:1624-1663`, and the quoted addresses become the packet's addresses). An
//!    ICMPv4 error quoting only the 8 bytes RFC 792 requires throws before the lookup; one quoting
//!    more (Linux quotes up to 576 bytes) is numbered like a segment of that connection and
//!    creates a conversation, consuming a number, when none exists yet.
//! 2. **Conversations.** A conversation is keyed by the two (address, port) endpoints, in either
//!    direction (`find_conversation`, `conversation.c:1133-1190`: both orientations are looked
//!    up and the one created last wins). Among conversations with the same endpoints, the one
//!    created last is used (`conversation.c:986-1013`). A conversation is never closed: neither
//!    FIN, RST nor time ends it in 4.0 (nothing in lines 7476-7545 looks at FIN, RST or
//!    timestamps), so any later packet on the same endpoints, without a new SYN, joins it.
//! 3. **New numbers.** When no conversation exists for the endpoints, one is created
//!    (lines 7476-7483) and its TCP data is initialised with the next number of a counter that
//!    starts at 0 for each capture (`init_tcp_conversation_data`, line 1712; reset at 8368).
//! 4. **Port reuse.** Each direction (flow) of a conversation may hold a *base sequence number*.
//!    A SYN without ACK whose direction already has a base and whose sequence number differs
//!    from it starts a new conversation with the same endpoints and the next number
//!    (lines 7495-7508). A SYN whose sequence number equals the base (a retransmitted SYN) stays
//!    in the conversation. A SYN on a direction without a base stays too, whatever happened
//!    before, e.g. after a FIN or RST exchange whose SYN was not captured.
//! 5. **SYN/ACK.** A SYN/ACK never starts a conversation; when its direction's base differs from
//!    its sequence number, the base is replaced by that sequence number (lines 7538-7550).
//! 6. **Learning the bases** (lines 7601-7655), only for a segment that is not an unreassembled
//!    IP fragment, not inside an ICMP error, and whose IP-reported length covers its data offset
//!    (`reported_len >= th_hlen`; a bogus offset below 20 still passes): when the sender's
//!    direction has no base yet, it becomes the sequence number if the segment carries SYN,
//!    else the sequence number minus one; when the receiver's direction has no base yet and the
//!    segment carries ACK, the receiver's base becomes the acknowledgement number minus one.
//!    So a client's SYN retransmitted after its SYN/ACK was seen still matches: the SYN/ACK's ack
//!    minus one is the client's ISN. This happens after rules 4 and 5, so a SYN that starts a
//!    new conversation seeds the new conversation's base with its own sequence number.
//! 7. **Directions.** The two flows of a conversation are told apart by comparing the source and
//!    destination addresses (type, then length, then bytes, `address.h:188-202`; for IP that is
//!    the numeric order of `IpAddr`), and the ports when the addresses are equal: the sender
//!    uses the first flow when its address is the greater, or the addresses are equal and its
//!    port is the greater; otherwise the second (`get_tcp_conversation_data`, lines 1762-1789).
//!    A packet from an endpoint to itself (same address and port) therefore always uses the
//!    second flow as its own and the first as its peer's.
//!
//! Only the SYN and ACK bits matter (`(flags & (SYN|ACK)) == SYN`, line 7495); the NS, ECN and
//! reserved bits are ignored. The preferences `tcp.analyze_sequence_numbers` and
//! `tcp.relative_sequence_numbers` do not change the numbering (the bases are learnt whatever
//! they are). Other dissectors may create TCP conversations with wildcards (FTP data, for
//! instance); a TCP packet matching one gets a fresh number there too, so this does not change the
//! numbering unless such a wildcard conversation outlives its first connection.
//!
//! # Feeding it
//!
//! Pass every TCP header Wireshark dissects, in its order, and no other:
//! - all TCP layers of a frame, the outer first (a tunnel carrying TCP over TCP numbers both);
//! - TCP headers quoted in ICMP and ICMPv6 errors when their first 16 bytes are present, with
//!   the quoted addresses and `learns_base: false`, even though they are not packets of the
//!   connection;
//! - with IPv4 reassembly (Wireshark's default, `packet-ip.c:2254-2303`), a fragmented datagram
//!   once, in the frame that completes it, with `learns_base: true`; a first fragment is
//!   dissected on its own (`learns_base: false`) only when it cannot be queued for reassembly
//!   (its bytes are not all captured, or its header checksum is bad with `ip.check_checksum` on,
//!   which is off by default); later fragments never;
//! - not a header with fewer than 16 bytes present (rule 1).
//!
//! Checked against tshark 4.0.17 (one pass, default preferences) on every TCP layer of the
//! kernel and tcpdump captures of the project, Wireshark's own test captures, hand-made captures
//! of each case above, and 60,000 random segments over a few endpoints (about 19,000 port
//! reuses): no difference.
//!
//! # Memory
//!
//! A conversation can never be forgotten (rule 2), so [`StreamNumbers`] keeps one entry per
//! distinct pair of endpoints seen, holding only the latest conversation of that pair; earlier
//! conversations of a reused pair are dropped. An entry is a 40-byte key and a 20-byte value plus
//! the `HashMap`'s control byte, and the map keeps between 1.14 and 2.3 slots per entry, so a pair
//! costs 70 to 140 bytes: 7 to 14 MB for 100,000 distinct pairs, whatever the packet count.

use std::collections::HashMap;
use std::net::IpAddr;

use ahash::RandomState;

use tcpwave_core::Flags;

/// What [`StreamNumbers::stream_of`] needs to know about one TCP header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentKey {
    /// The source address of the IP layer carrying the header (for a header quoted in an ICMP
    /// error, the quoted datagram's source).
    pub src: IpAddr,
    pub src_port: u16,
    pub dst: IpAddr,
    pub dst_port: u16,
    pub flags: Flags,
    /// The raw (absolute) sequence number.
    pub seq: u32,
    /// The raw acknowledgement number, whether or not the ACK bit is set.
    pub ack: u32,
    /// Whether the header may teach the conversation its base sequence numbers (rule 6): true
    /// for an ordinary segment (or a reassembled IP datagram) whose IP-reported length is at
    /// least its data offset times four; false for a header quoted in an ICMP error, the first
    /// fragment of an IP datagram that was not reassembled, and a segment shorter than its own
    /// header.
    pub learns_base: bool,
}

/// One direction of a conversation: its base sequence number, once known.
type Base = Option<u32>;

/// The latest conversation of one pair of endpoints.
#[derive(Clone, Copy, Debug)]
struct Conversation {
    stream: u32,
    /// The bases of Wireshark's first and second flows (rule 7).
    bases: [Base; 2],
}

/// The two endpoints of a conversation in a fixed order, so that both directions find it.
type PairKey = ((IpAddr, u16), (IpAddr, u16));

/// Wireshark 4.0's `tcp.stream` numbering for one capture (see the module documentation).
#[derive(Debug, Default)]
pub struct StreamNumbers {
    latest: HashMap<PairKey, Conversation, RandomState>,
    next: u32,
}

impl StreamNumbers {
    pub fn new() -> StreamNumbers {
        StreamNumbers::default()
    }

    /// The stream number of the next TCP header of the capture, in Wireshark's dissection order.
    /// Every header Wireshark numbers must be passed, including those not otherwise used (ICMP
    /// quotes with a full header, unreassembled first fragments), or later numbers shift.
    pub fn stream_of(&mut self, key: &SegmentKey) -> u32 {
        let here = (key.src, key.src_port);
        let there = (key.dst, key.dst_port);
        // Rule 7: the sender's flow is the first one only when its endpoint is the greater.
        let (own, peer) = if here > there { (0, 1) } else { (1, 0) };
        let pair = if here > there {
            (here, there)
        } else {
            (there, here)
        };

        let next = &mut self.next;
        let mut fresh = || {
            let stream = *next;
            *next = next.wrapping_add(1);
            Conversation {
                stream,
                bases: [None; 2],
            }
        };
        let conversation = self.latest.entry(pair).or_insert_with(&mut fresh);

        let syn_ack = key.flags.0 & (Flags::SYN | Flags::ACK);
        if syn_ack == Flags::SYN {
            // Rule 4: a SYN with another ISN than its direction's base reuses the ports.
            if conversation.bases[own].is_some_and(|base| base != key.seq) {
                *conversation = fresh();
            }
        } else if syn_ack == Flags::SYN | Flags::ACK {
            // Rule 5: a SYN/ACK only moves its direction's base.
            if conversation.bases[own].is_some() {
                conversation.bases[own] = Some(key.seq);
            }
        }

        if key.learns_base {
            // Rule 6.
            if conversation.bases[own].is_none() {
                let base = if key.flags.syn() {
                    key.seq
                } else {
                    key.seq.wrapping_sub(1)
                };
                conversation.bases[own] = Some(base);
            }
            if conversation.bases[peer].is_none() && key.flags.ack() {
                conversation.bases[peer] = Some(key.ack.wrapping_sub(1));
            }
        }
        conversation.stream
    }

    /// How many stream numbers were given out (Wireshark's `get_tcp_stream_count`).
    pub fn count(&self) -> u32 {
        self.next
    }

    /// How many distinct pairs of endpoints are remembered (the memory used grows with this).
    pub fn pairs(&self) -> usize {
        self.latest.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYN: u16 = Flags::SYN;
    const ACK: u16 = Flags::ACK;
    const FIN: u16 = Flags::FIN;
    const RST: u16 = Flags::RST;

    fn addr(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    /// A segment from `src` to `dst` ("address:port", or "[v6]:port").
    fn seg(src: &str, dst: &str, flags: u16, seq: u32, ack: u32) -> SegmentKey {
        let split = |text: &str| {
            let (host, port) = text.rsplit_once(':').unwrap();
            (
                addr(host.trim_matches(|c| c == '[' || c == ']')),
                port.parse().unwrap(),
            )
        };
        let (src, src_port) = split(src);
        let (dst, dst_port) = split(dst);
        SegmentKey {
            src,
            src_port,
            dst,
            dst_port,
            flags: Flags(flags),
            seq,
            ack,
            learns_base: true,
        }
    }

    fn quoted(mut key: SegmentKey) -> SegmentKey {
        key.learns_base = false;
        key
    }

    const C: &str = "10.0.0.1:40000";
    const S: &str = "10.0.0.2:80";

    /// A full connection from C to S with the client ISN `isn`.
    fn connection(isn: u32) -> Vec<SegmentKey> {
        vec![
            seg(C, S, SYN, isn, 0),
            seg(S, C, SYN | ACK, 5000, isn + 1),
            seg(C, S, ACK, isn + 1, 5001),
            seg(C, S, ACK | Flags::PSH, isn + 1, 5001),
            seg(S, C, ACK, 5001, isn + 11),
            seg(C, S, FIN | ACK, isn + 11, 5001),
            seg(S, C, FIN | ACK, 5001, isn + 12),
            seg(C, S, ACK, isn + 12, 5002),
        ]
    }

    fn numbers(streams: &mut StreamNumbers, keys: &[SegmentKey]) -> Vec<u32> {
        keys.iter().map(|key| streams.stream_of(key)).collect()
    }

    #[test]
    fn a_connection_has_one_number_in_both_directions() {
        let mut streams = StreamNumbers::new();
        assert_eq!(numbers(&mut streams, &connection(100)), vec![0; 8]);
        assert_eq!(streams.count(), 1);
        assert_eq!(streams.pairs(), 1);
    }

    #[test]
    fn other_ports_are_other_streams() {
        let mut streams = StreamNumbers::new();
        let a = seg(C, S, SYN, 1, 0);
        let b = seg("10.0.0.1:40001", S, SYN, 1, 0);
        let a_back = seg(S, C, SYN | ACK, 9, 2);
        let b_back = seg(S, "10.0.0.1:40001", SYN | ACK, 9, 2);
        assert_eq!(
            numbers(&mut streams, &[a, b, a_back, b_back]),
            vec![0, 1, 0, 1]
        );
        assert_eq!(streams.count(), 2);
    }

    #[test]
    fn a_new_syn_after_fin_reuses_the_ports_as_a_new_stream() {
        let mut streams = StreamNumbers::new();
        let mut keys = connection(100);
        keys.extend(connection(900_000));
        let expected: Vec<u32> = [[0; 8], [1; 8]].concat();
        assert_eq!(numbers(&mut streams, &keys), expected);
        assert_eq!(streams.pairs(), 1);
    }

    #[test]
    fn a_new_syn_after_rst_is_a_new_stream() {
        let mut streams = StreamNumbers::new();
        let keys = [
            seg(C, S, SYN, 100, 0),
            seg(S, C, RST | ACK, 0, 101),
            seg(C, S, SYN, 7_000, 0),
            seg(S, C, SYN | ACK, 300, 7_001),
            seg(C, S, ACK, 7_001, 301),
        ];
        assert_eq!(numbers(&mut streams, &keys), vec![0, 0, 1, 1, 1]);
    }

    #[test]
    fn a_retransmitted_syn_stays_in_its_stream() {
        let mut streams = StreamNumbers::new();
        let keys = [
            seg(C, S, SYN, 100, 0),
            seg(C, S, SYN, 100, 0),
            seg(S, C, SYN | ACK, 5000, 101),
            seg(C, S, SYN, 100, 0),
            seg(C, S, ACK, 101, 5001),
        ];
        assert_eq!(numbers(&mut streams, &keys), vec![0; 5]);
    }

    #[test]
    fn a_syn_with_another_isn_on_an_open_connection_starts_a_new_stream() {
        // 4.0 does not look at FIN or RST: a SYN with another ISN splits even an open connection.
        let mut streams = StreamNumbers::new();
        let keys = [
            seg(C, S, SYN, 100, 0),
            seg(S, C, SYN | ACK, 5000, 101),
            seg(C, S, ACK, 101, 5001),
            seg(C, S, SYN, 200, 0),
            seg(S, C, ACK, 5001, 101),
            seg(C, S, ACK, 101, 5001),
        ];
        assert_eq!(numbers(&mut streams, &keys), vec![0, 0, 0, 1, 1, 1]);
        assert_eq!(streams.count(), 2);
    }

    #[test]
    fn data_after_the_close_without_a_syn_stays_in_the_old_stream() {
        let mut streams = StreamNumbers::new();
        let mut keys = connection(100);
        keys.push(seg(C, S, ACK, 5_000_000, 77));
        keys.push(seg(S, C, RST, 77, 0));
        assert_eq!(numbers(&mut streams, &keys), vec![0; 10]);
    }

    #[test]
    fn a_syn_ack_never_splits_but_moves_its_base() {
        let mut streams = StreamNumbers::new();
        let keys = [
            seg(C, S, SYN, 100, 0),
            seg(S, C, SYN | ACK, 5000, 101),
            // Another SYN/ACK with another ISN: same stream, the server's base becomes 6000.
            seg(S, C, SYN | ACK, 6000, 101),
            // A SYN from the server side with ISN 6000 now matches that base: same stream.
            seg(S, C, SYN, 6000, 0),
            // One with yet another ISN splits.
            seg(S, C, SYN, 6500, 0),
        ];
        assert_eq!(numbers(&mut streams, &keys), vec![0, 0, 0, 0, 1]);
    }

    #[test]
    fn a_capture_starting_at_the_syn_ack_learns_the_client_isn_from_its_ack() {
        let mut streams = StreamNumbers::new();
        let keys = [
            seg(S, C, SYN | ACK, 5000, 101),
            seg(C, S, ACK, 101, 5001),
            // The client's base is ack - 1 = 100: a SYN with 100 is a retransmission...
            seg(C, S, SYN, 100, 0),
            // ...and one with another ISN a new connection.
            seg(C, S, SYN, 300, 0),
        ];
        assert_eq!(numbers(&mut streams, &keys), vec![0, 0, 0, 1]);
    }

    #[test]
    fn a_midstream_connection_learns_seq_minus_one() {
        let mut streams = StreamNumbers::new();
        let keys = [
            seg(C, S, ACK, 1000, 9000),
            seg(S, C, ACK, 9000, 1010),
            // The client's base is 999 (seq - 1), the server's 8999 (ack - 1 from the first).
            seg(C, S, SYN, 999, 0),
            seg(S, C, SYN, 8999, 0),
            seg(S, C, SYN, 1, 0),
        ];
        assert_eq!(numbers(&mut streams, &keys), vec![0, 0, 0, 0, 1]);
    }

    #[test]
    fn a_syn_on_a_direction_without_a_base_stays() {
        let mut streams = StreamNumbers::new();
        // Only the server's direction is known (a RST without ACK teaches nothing about the client).
        let keys = [
            seg(S, C, RST, 5000, 0),
            seg(C, S, SYN, 100, 0),
            seg(S, C, SYN | ACK, 1, 101),
        ];
        assert_eq!(numbers(&mut streams, &keys), vec![0; 3]);
    }

    #[test]
    fn headers_that_teach_no_base_still_get_numbers() {
        let mut streams = StreamNumbers::new();
        let keys = [
            // An ICMP-quoted SYN creates the conversation but sets no base...
            quoted(seg(C, S, SYN, 100, 0)),
            // ...so a SYN with another ISN is not a reuse.
            seg(C, S, SYN, 200, 0),
            seg(C, S, SYN, 300, 0),
            quoted(seg("10.9.9.9:1", "10.9.9.8:2", ACK, 1, 1)),
        ];
        assert_eq!(numbers(&mut streams, &keys), vec![0, 0, 1, 2]);
    }

    #[test]
    fn ipv6_connections_are_numbered_alike() {
        let mut streams = StreamNumbers::new();
        let c = "[2001:db8::1]:40000";
        let s = "[2001:db8::2]:443";
        let keys = [
            seg(c, s, SYN, 10, 0),
            seg(s, c, SYN | ACK, 20, 11),
            seg(c, s, ACK, 11, 21),
            // The same numbers over IPv4 are another pair.
            seg("0.0.0.1:40000", "0.0.0.2:443", SYN, 10, 0),
            seg(c, s, RST, 11, 0),
            seg(c, s, SYN, 99, 0),
        ];
        assert_eq!(numbers(&mut streams, &keys), vec![0, 0, 0, 1, 0, 2]);
    }

    #[test]
    fn flows_follow_address_order_then_port_order() {
        let mut streams = StreamNumbers::new();
        // Same address, different ports: the flows are told apart by port.
        let a = "127.0.0.1:5000";
        let b = "127.0.0.1:6000";
        let keys = [
            seg(a, b, SYN, 10, 0),
            seg(b, a, SYN | ACK, 20, 11),
            seg(b, a, SYN, 20, 0),
            seg(a, b, SYN, 10, 0),
            seg(a, b, SYN, 11, 0),
        ];
        assert_eq!(numbers(&mut streams, &keys), vec![0, 0, 0, 0, 1]);
    }

    #[test]
    fn a_self_connection_shares_one_flow_for_both_directions() {
        let mut streams = StreamNumbers::new();
        let a = "127.0.0.1:7000";
        let keys = [
            // The sender's flow learns 10...
            seg(a, a, SYN, 10, 0),
            // ...and the other flow 59 from this ack.
            seg(a, a, ACK, 50, 60),
            // A SYN is always compared with the sender's flow (10), never with 59.
            seg(a, a, SYN, 59, 0),
        ];
        assert_eq!(numbers(&mut streams, &keys), vec![0, 0, 1]);
    }

    #[test]
    fn sequence_numbers_wrap() {
        let mut streams = StreamNumbers::new();
        let keys = [
            seg(C, S, ACK, 0, 0),
            seg(C, S, SYN, u32::MAX, 0),
            seg(S, C, SYN, u32::MAX, 0),
        ];
        assert_eq!(numbers(&mut streams, &keys), vec![0, 0, 0]);
    }

    #[test]
    fn only_syn_and_ack_bits_decide() {
        let mut streams = StreamNumbers::new();
        let ecn = 0x040 | 0x080 | 0x100; // ECE, CWR, NS
        let keys = [
            seg(C, S, SYN | ecn, 100, 0),
            seg(C, S, SYN | FIN | ecn, 100, 0),
            seg(C, S, SYN | RST, 101, 0),
            seg(C, S, SYN | ACK | Flags::PSH, 555, 0),
        ];
        assert_eq!(numbers(&mut streams, &keys), vec![0, 0, 1, 1]);
    }
}
