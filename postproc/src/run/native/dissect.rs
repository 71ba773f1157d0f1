//! One frame's link, IP and TCP headers, read with `etherparse`, the way Wireshark reads the
//! plain ones; anything Wireshark would dissect further (a tunnel, IP fragments that may carry
//! TCP, an encapsulation not listed) is reported, so that the capture goes to tshark instead of
//! getting a different row.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use etherparse::{ip_number, EtherType, IpNumber, Ipv4HeaderSlice, LaxIpv6Slice};
use tcpwave_core::Flags;

use super::frames;
use super::streams::SegmentKey;

/// What one frame holds for tcpwave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dissection {
    /// No TCP header Wireshark would number (another protocol, or fewer than 16 bytes of one).
    NoTcp,
    Tcp(TcpHeader),
    /// A TCP header quoted in an ICMP error: Wireshark gives it a stream number, and nothing
    /// else of it counts.
    Quoted(SegmentKey),
    /// Wireshark would find more here than plain headers: the capture needs tshark.
    NeedsWireshark(String),
}

/// What tshark's `tcp.*` fields and the carrying IP header say about a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpHeader {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub src_port: u16,
    pub dst_port: u16,
    pub flags: Flags,
    pub seq: u32,
    pub ack: u32,
    pub window: u16,
    /// `tcp.len`: the IP payload's length less the TCP header's; 0 where Wireshark shows none
    /// (a segment shorter than its header).
    pub payload_len: u32,
    /// The carrying IP datagram's length (Zeek's IP bytes).
    pub ip_len: u32,
    /// Whether the segment holds its whole header (Wireshark then learns its base sequence
    /// numbers from it).
    pub whole_header: bool,
    /// Whether Wireshark shows the flags: not for a data offset under 5, where it stops
    /// (the plugin still labels the segment, but the tshark engine's rows leave it out).
    pub flags_shown: bool,
}

impl TcpHeader {
    /// What Wireshark's stream numbering reads of the header; `learns_base` as
    /// [`SegmentKey::learns_base`] says.
    pub fn stream_key(&self, learns_base: bool) -> SegmentKey {
        SegmentKey {
            src: self.src,
            src_port: self.src_port,
            dst: self.dst,
            dst_port: self.dst_port,
            flags: self.flags,
            seq: self.seq,
            ack: self.ack,
            learns_base,
        }
    }
}

/// A slice of the frame and its length on the wire, which the capture may have cut.
#[derive(Debug, Clone, Copy)]
struct Bytes<'a> {
    data: &'a [u8],
    /// What Wireshark calls the reported length: at least `data`'s.
    reported: usize,
}

impl<'a> Bytes<'a> {
    fn from(self, at: usize) -> Bytes<'a> {
        Bytes {
            data: self.data.get(at..).unwrap_or_default(),
            reported: self.reported.saturating_sub(at),
        }
    }

    /// Only the first `len` bytes on the wire, when that is less than what there is.
    fn limited(self, len: usize) -> Bytes<'a> {
        Bytes {
            data: &self.data[..self.data.len().min(len)],
            reported: self.reported.min(len),
        }
    }
}

/// UDP ports Wireshark decodes tunnels (or sampled frames) on by default, whose payload can
/// hold TCP.
const TUNNEL_UDP_PORTS: [(u16, &str); 10] = [
    (1701, "L2TP"),
    (2152, "GTP-U"),
    (3544, "Teredo"),
    (4341, "LISP"),
    (4789, "VXLAN"),
    (5246, "CAPWAP"),
    (6081, "Geneve"),
    (6343, "sFlow samples"),
    (6635, "MPLS over UDP"),
    (37008, "TZSP"),
];

/// Ether types of encapsulations Wireshark opens that may hold IP (and so TCP) further in. Any
/// other type but IPv4, IPv6 and VLAN tags holds no TCP.
const IP_CARRYING_ETHER_TYPES: [(u16, &str); 9] = [
    (0x22f3, "TRILL"),
    (0x8847, "MPLS"),
    (0x8848, "MPLS"),
    (0x8863, "PPPoE"),
    (0x8864, "PPPoE"),
    (0x880b, "PPP"),
    (0x88e5, "MACsec"),
    (0x88e7, "802.1ah"),
    (0x894f, "NSH"),
];

/// The SNAP organisation code of encapsulated Ethernet types (RFC 1042), and Cisco's, whose
/// protocols (CDP, DTP, UDLD, VTP) carry no IP.
const SNAP_ETHER_TYPE: [u8; 3] = [0, 0, 0];
const SNAP_CISCO: [u8; 3] = [0, 0, 0x0c];

/// The frame's headers, by its link type; `wire_len` is the frame's length on the wire.
pub fn dissect(link_type: i32, data: &[u8], wire_len: usize) -> Dissection {
    let frame = Bytes {
        data,
        reported: wire_len.max(data.len()),
    };
    match link_type {
        frames::ETHERNET => ethernet(frame),
        frames::LINUX_SLL => match data.get(14..16) {
            Some(protocol) => ether_type(
                u16::from_be_bytes([protocol[0], protocol[1]]),
                frame.from(16),
            ),
            None => Dissection::NoTcp,
        },
        frames::LINUX_SLL2 => match data.get(0..2) {
            Some(protocol) if data.len() >= 20 => ether_type(
                u16::from_be_bytes([protocol[0], protocol[1]]),
                frame.from(20),
            ),
            _ => Dissection::NoTcp,
        },
        frames::NULL | frames::LOOP => loopback(link_type, frame),
        frames::RAW => match data.first().map(|byte| byte >> 4) {
            Some(4) => ipv4(frame),
            Some(6) => ipv6(frame),
            _ => Dissection::NoTcp,
        },
        frames::IPV4 => ipv4(frame),
        frames::IPV6 => ipv6(frame),
        frames::PPP => ppp(frame),
        frames::C_HDLC => match data.get(2..4) {
            Some(kind) => proven_without_tcp(
                ether_type(u16::from_be_bytes([kind[0], kind[1]]), frame.from(4)),
                "Cisco HDLC frames carrying IP",
            ),
            None => Dissection::NoTcp,
        },
        frames::IEEE802_11 => wifi(frame),
        frames::IEEE802_11_RADIOTAP => match radiotap_len(data) {
            Some(len) => wifi(frame.from(len)),
            None => Dissection::NoTcp,
        },
        other => Dissection::NeedsWireshark(format!("link type {other}")),
    }
}

/// `dissection` where it proves the frame holds no TCP, else the capture goes to tshark: for
/// links this reader opens only far enough to tell that.
fn proven_without_tcp(dissection: Dissection, what: &str) -> Dissection {
    match dissection {
        Dissection::NoTcp => Dissection::NoTcp,
        _ => Dissection::NeedsWireshark(what.to_owned()),
    }
}

/// A PPP frame (RFC 1661), its HDLC address and control bytes (RFC 1662) optional: IP, or
/// control protocols (RFC 1661's protocol numbers from 0x8000 up: network and link control,
/// authentication), which hold no TCP. Anything else (compressed TCP headers, MPLS, multilink,
/// bridged frames) goes to tshark.
fn ppp(frame: Bytes<'_>) -> Dissection {
    let frame = match frame.data {
        [0xff, 0x03, ..] => frame.from(2),
        _ => frame,
    };
    let (protocol, header_len) = match frame.data {
        // An odd first byte is a compressed one-byte protocol field.
        [first, ..] if first & 1 == 1 => (u16::from(*first), 1),
        [high, low, ..] => (u16::from_be_bytes([*high, *low]), 2),
        _ => return Dissection::NoTcp,
    };
    let dissection = match protocol {
        0x0021 => ipv4(frame.from(header_len)),
        0x0057 => ipv6(frame.from(header_len)),
        0x8000.. => Dissection::NoTcp,
        _ => return Dissection::NeedsWireshark("PPP frames".to_owned()),
    };
    proven_without_tcp(dissection, "PPP frames carrying IP")
}

/// The length of a radiotap header (version 0, its length little-endian at bytes 2 and 3); none
/// when the frame cannot hold it, where Wireshark stops too.
fn radiotap_len(data: &[u8]) -> Option<usize> {
    match data {
        [0, _, low, high, ..] => {
            let len = usize::from(u16::from_le_bytes([*low, *high]));
            (len >= 8 && len <= data.len()).then_some(len)
        }
        _ => None,
    }
}

/// An 802.11 frame (IEEE 802.11-2020, 9.2). This reader only proves that a frame holds no TCP:
/// management and control frames, data frames without a payload and protected ones (Wireshark
/// has no keys to decrypt them). A data frame whose payload may hold TCP (an LLC/SNAP payload
/// carrying IP, fragments, aggregates, a payload of another shape, radiotap padding) sends the
/// capture to tshark, whose 802.11 dissector has more rules than are worth copying here.
fn wifi(frame: Bytes<'_>) -> Dissection {
    let needs_wireshark = || Dissection::NeedsWireshark("802.11 data frames".to_owned());
    let [control, flags, ..] = *frame.data else {
        return Dissection::NoTcp;
    };
    let (version, kind, subtype) = (control & 0x3, (control >> 2) & 0x3, control >> 4);
    const DATA: u8 = 2;
    const NO_PAYLOAD: u8 = 0x4;
    const QOS: u8 = 0x8;
    const TO_AND_FROM_DS: u8 = 0x3;
    const MORE_FRAGMENTS: u8 = 0x4;
    const PROTECTED: u8 = 0x40;
    const ORDER: u8 = 0x80;
    if version != 0 {
        return needs_wireshark();
    }
    if kind != DATA || subtype & NO_PAYLOAD != 0 || flags & PROTECTED != 0 {
        return Dissection::NoTcp;
    }
    let fragment = frame.data.get(22).map(|sequence| sequence & 0xf);
    if flags & MORE_FRAGMENTS != 0 || fragment.unwrap_or(0) != 0 {
        return needs_wireshark();
    }
    let mut header_len = 24;
    if flags & TO_AND_FROM_DS == TO_AND_FROM_DS {
        header_len += 6;
    }
    if subtype & QOS != 0 {
        // The A-MSDU bit: several payloads in one frame.
        if frame
            .data
            .get(header_len)
            .is_some_and(|qos| qos & 0x80 != 0)
        {
            return needs_wireshark();
        }
        header_len += 2;
        if flags & ORDER != 0 {
            header_len += 4;
        }
    }
    let payload = frame.from(header_len);
    match payload.data {
        [] | [_] | [_, _] => Dissection::NoTcp,
        [0xaa, 0xaa, 0x03, ..] => proven_without_tcp(llc(payload), "802.11 data frames"),
        _ => needs_wireshark(),
    }
}

/// Ethernet II with any number of 802.1Q / 802.1ad tags; 802.3 frames carry LLC.
fn ethernet(frame: Bytes<'_>) -> Dissection {
    let mut at = 12;
    loop {
        let Some(bytes) = frame.data.get(at..at + 2) else {
            return Dissection::NoTcp;
        };
        let value = u16::from_be_bytes([bytes[0], bytes[1]]);
        match value {
            0x8100 | 0x88a8 | 0x9100 => at += 4,
            _ => return ether_type(value, frame.from(at + 2)),
        }
    }
}

fn ether_type(value: u16, payload: Bytes<'_>) -> Dissection {
    match EtherType(value) {
        EtherType::IPV4 => ipv4(payload),
        EtherType::IPV6 => ipv6(payload),
        _ if value <= 1500 => llc(payload),
        // MACsec (IEEE 802.1AE) with its E bit set: encrypted, and Wireshark has no keys.
        _ if value == MACSEC && payload.data.first().is_some_and(|tci| tci & 0x08 != 0) => {
            Dissection::NoTcp
        }
        _ => match IP_CARRYING_ETHER_TYPES
            .iter()
            .find(|(known, _)| *known == value)
        {
            Some((_, name)) => Dissection::NeedsWireshark(format!("{name} frames")),
            None => Dissection::NoTcp,
        },
    }
}

const MACSEC: u16 = 0x88e5;

/// An 802.2 LLC frame: only SNAP can carry IP.
fn llc(payload: Bytes<'_>) -> Dissection {
    match payload.data {
        [0xaa, 0xaa, 0x03, o1, o2, o3, t1, t2, ..] => match [*o1, *o2, *o3] {
            SNAP_ETHER_TYPE => ether_type(u16::from_be_bytes([*t1, *t2]), payload.from(8)),
            SNAP_CISCO => Dissection::NoTcp,
            _ => Dissection::NeedsWireshark("802.2 SNAP frames".to_owned()),
        },
        _ => Dissection::NoTcp,
    }
}

/// BSD loopback: a 4-byte address family, in the writer's byte order (`NULL`) or big-endian
/// (`LOOP`).
fn loopback(link_type: i32, frame: Bytes<'_>) -> Dissection {
    let Some(family) = frame.data.get(..4) else {
        return Dissection::NoTcp;
    };
    let family = [family[0], family[1], family[2], family[3]];
    let candidates = if link_type == frames::LOOP {
        [u32::from_be_bytes(family); 2]
    } else {
        [u32::from_le_bytes(family), u32::from_be_bytes(family)]
    };
    if candidates.contains(&2) {
        ipv4(frame.from(4))
    } else if candidates.iter().any(|f| [10, 24, 28, 30].contains(f)) {
        ipv6(frame.from(4))
    } else {
        Dissection::NoTcp
    }
}

/// An IP datagram's payload, as Wireshark hands it to TCP.
struct IpPayload<'a> {
    src: IpAddr,
    dst: IpAddr,
    protocol: IpNumber,
    fragmented: bool,
    /// The datagram's length as Wireshark shows it (`ip.len`, or `ipv6.plen` + 40): what Zeek
    /// counts as IP bytes.
    ip_len: u32,
    payload: Bytes<'a>,
}

/// An IPv4 header (RFC 791); a total length of 0 is taken for segmentation offload, and one
/// past the frame is ignored, as Wireshark does.
fn ipv4_payload(datagram: Bytes<'_>) -> Option<IpPayload<'_>> {
    let header = Ipv4HeaderSlice::from_slice(datagram.data).ok()?;
    let header_len = header.slice().len();
    let total = match usize::from(header.total_len()) {
        0 => datagram.reported,
        total if total < header_len => return None,
        total => total,
    };
    let datagram = if total <= datagram.reported {
        datagram.limited(total)
    } else {
        datagram
    };
    Some(IpPayload {
        src: IpAddr::V4(Ipv4Addr::from(header.source())),
        dst: IpAddr::V4(Ipv4Addr::from(header.destination())),
        protocol: header.protocol(),
        fragmented: header.is_fragmenting_payload(),
        ip_len: u32::try_from(total).unwrap_or(u32::MAX),
        payload: datagram.from(header_len),
    })
}

/// An IPv6 header (RFC 8200) and its extension headers; a payload length of 0 leaves nothing
/// for TCP, as in Wireshark.
fn ipv6_payload(datagram: Bytes<'_>) -> Option<IpPayload<'_>> {
    let (ip, _) = LaxIpv6Slice::from_slice(datagram.data).ok()?;
    let header = ip.header();
    let payload_len = match header.payload_length() {
        0 => jumbo_payload_len(datagram.data).unwrap_or(0),
        length => usize::from(length),
    };
    let datagram = datagram.limited(40 + payload_len);
    let headers_len = header.slice().len() + ip.extensions().slice().len();
    Some(IpPayload {
        src: IpAddr::V6(Ipv6Addr::from(header.source())),
        dst: IpAddr::V6(Ipv6Addr::from(header.destination())),
        protocol: ip.payload().ip_number,
        fragmented: ip.is_payload_fragmented(),
        // A jumbogram's 0 too, as Wireshark's `ipv6.plen` shows it.
        ip_len: 40 + u32::from(header.payload_length()),
        payload: datagram.from(headers_len),
    })
}

/// The payload length of a jumbogram (RFC 2675): a hop-by-hop option of type 0xc2 right after
/// the IPv6 header.
fn jumbo_payload_len(datagram: &[u8]) -> Option<usize> {
    if datagram.get(6) != Some(&0) {
        return None;
    }
    let hop_by_hop = datagram.get(40..)?;
    let len = (usize::from(*hop_by_hop.get(1)?) + 1) * 8;
    let mut options = hop_by_hop.get(2..len)?;
    while let [kind, rest @ ..] = options {
        match (kind, rest) {
            (0, _) => options = rest,
            (0xc2, [4, a, b, c, d, ..]) => {
                return usize::try_from(u32::from_be_bytes([*a, *b, *c, *d])).ok()
            }
            (_, [option_len, ..]) => options = rest.get(1 + usize::from(*option_len)..)?,
            _ => return None,
        }
    }
    None
}

fn ipv4(datagram: Bytes<'_>) -> Dissection {
    ipv4_payload(datagram).map_or(Dissection::NoTcp, transport)
}

fn ipv6(datagram: Bytes<'_>) -> Dissection {
    ipv6_payload(datagram).map_or(Dissection::NoTcp, transport)
}

fn transport(ip: IpPayload<'_>) -> Dissection {
    match ip.protocol {
        ip_number::TCP if ip.fragmented => {
            Dissection::NeedsWireshark("IP fragments carrying TCP".to_owned())
        }
        ip_number::TCP => tcp(&ip).map_or(Dissection::NoTcp, Dissection::Tcp),
        ip_number::UDP => udp(ip.payload.data),
        ip_number::ICMP if !ip.fragmented => icmp_error(ip.payload.data, &[3, 4, 5, 11, 12]),
        ip_number::IPV6_ICMP if !ip.fragmented => icmp_error(ip.payload.data, &[1, 2, 3, 4]),
        // IP in IP read natively only when the inner datagram holds no TCP (of which the tunnel
        // would decide the stream numbers and addresses).
        ip_number::IPV4 if !ip.fragmented => proven_without_tcp(ipv4(ip.payload), "IP tunnels"),
        ip_number::IPV6 if !ip.fragmented => proven_without_tcp(ipv6(ip.payload), "IP tunnels"),
        ip_number::IPV4 | ip_number::IPV6 | ip_number::GRE => {
            Dissection::NeedsWireshark("IP tunnels".to_owned())
        }
        // Extension headers etherparse stops at (a fragment header included).
        ip_number::IPV6_FRAGMENTATION_HEADER => {
            Dissection::NeedsWireshark("IP fragments carrying TCP".to_owned())
        }
        _ => Dissection::NoTcp,
    }
}

fn udp(payload: &[u8]) -> Dissection {
    let Some(ports) = payload.get(..4) else {
        return Dissection::NoTcp;
    };
    let source = u16::from_be_bytes([ports[0], ports[1]]);
    let destination = u16::from_be_bytes([ports[2], ports[3]]);
    match TUNNEL_UDP_PORTS
        .iter()
        .find(|(port, _)| *port == source || *port == destination)
    {
        Some((_, tunnel)) => Dissection::NeedsWireshark(format!("{tunnel} tunnels")),
        None => Dissection::NoTcp,
    }
}

/// An ICMP or ICMPv6 error of one of `error_types` quoting a TCP header of 16 bytes or more.
fn icmp_error(message: &[u8], error_types: &[u8]) -> Dissection {
    if !message
        .first()
        .is_some_and(|kind| error_types.contains(kind))
    {
        return Dissection::NoTcp;
    }
    let quoted = Bytes {
        data: message.get(8..).unwrap_or_default(),
        reported: message.len().saturating_sub(8),
    };
    let ip = match quoted.data.first().map(|byte| byte >> 4) {
        Some(4) => Ipv4HeaderSlice::from_slice(quoted.data)
            .ok()
            .map(|header| IpPayload {
                src: IpAddr::V4(Ipv4Addr::from(header.source())),
                dst: IpAddr::V4(Ipv4Addr::from(header.destination())),
                protocol: header.protocol(),
                fragmented: false,
                ip_len: u32::from(header.total_len()),
                payload: quoted.from(header.slice().len()),
            }),
        Some(6) => ipv6_payload(quoted),
        _ => None,
    };
    match ip
        .filter(|ip| ip.protocol == ip_number::TCP)
        .and_then(|ip| tcp(&ip))
    {
        Some(tcp) => Dissection::Quoted(tcp.stream_key(false)),
        None => Dissection::NoTcp,
    }
}

/// A TCP header (RFC 9293 section 3.1) of which Wireshark reads the first 16 bytes before
/// anything else: with fewer, it gives up.
fn tcp(ip: &IpPayload<'_>) -> Option<TcpHeader> {
    let segment = ip.payload;
    let header = segment.data.get(..16)?;
    if segment.reported < 16 {
        return None;
    }
    let word = |at: usize| {
        u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    let header_len = usize::from(header[12] >> 4) * 4;
    let whole_header = segment.reported >= header_len;
    Some(TcpHeader {
        src: ip.src,
        dst: ip.dst,
        src_port: u16::from_be_bytes([header[0], header[1]]),
        dst_port: u16::from_be_bytes([header[2], header[3]]),
        flags: Flags::from_header_bytes(header[12], header[13]),
        seq: word(4),
        ack: word(8),
        window: u16::from_be_bytes([header[14], header[15]]),
        payload_len: if whole_header {
            u32::try_from(segment.reported - header_len).unwrap_or(u32::MAX)
        } else {
            0
        },
        ip_len: ip.ip_len,
        whole_header,
        flags_shown: header_len >= 20,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Ethernet frame with `tags` VLAN tags, IPv4 10.0.0.1 → 10.0.0.2, TCP 40000 → 80, SYN,
    /// and `payload` bytes of data.
    fn frame(tags: usize, payload: usize) -> Vec<u8> {
        let mut bytes = vec![0u8; 12];
        for _ in 0..tags {
            bytes.extend([0x81, 0x00, 0x00, 0x05]);
        }
        bytes.extend([0x08, 0x00]);
        let total = 20 + 20 + payload;
        bytes.extend([
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            0,
            0x40,
            0,
            64,
            6,
            0,
            0,
        ]);
        bytes.extend([10, 0, 0, 1, 10, 0, 0, 2]);
        bytes.extend([0x9c, 0x40, 0x00, 0x50]);
        bytes.extend(1000u32.to_be_bytes());
        bytes.extend(0u32.to_be_bytes());
        bytes.extend([0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]);
        bytes.extend(vec![0xab; payload]);
        bytes
    }

    #[test]
    fn reads_tcp_under_any_number_of_vlan_tags() {
        for tags in 0..3 {
            let Dissection::Tcp(tcp) = dissect(frames::ETHERNET, &frame(tags, 5), 0) else {
                panic!("no TCP under {tags} tags");
            };
            assert_eq!((tcp.src_port, tcp.dst_port, tcp.seq), (40000, 80, 1000));
            assert!(tcp.flags.syn() && !tcp.flags.ack());
            assert_eq!(tcp.payload_len, 5);
            assert_eq!(tcp.window, 0xffff);
        }
    }

    #[test]
    fn the_payload_length_is_the_ip_headers_even_when_the_capture_cut_it() {
        let mut bytes = frame(0, 100);
        let wire_len = bytes.len();
        bytes.truncate(14 + 40 + 10);
        let Dissection::Tcp(tcp) = dissect(frames::ETHERNET, &bytes, wire_len) else {
            panic!("no TCP");
        };
        assert_eq!(tcp.payload_len, 100);
    }

    /// The IPv4 datagram of [`frame`] (no Ethernet header).
    fn datagram() -> Vec<u8> {
        frame(0, 5)[14..].to_vec()
    }

    fn needs_wireshark(dissection: Dissection) -> bool {
        matches!(dissection, Dissection::NeedsWireshark(_))
    }

    /// An 802.11 data frame from a station to its access point (To DS) behind an 8-byte radiotap
    /// header, QoS when `qos`, its payload LLC/SNAP then `ether_type` and `payload`.
    fn radiotap_data(flags: u8, qos: bool, ether_type: u16, payload: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0, 0, 8, 0, 0, 0, 0, 0];
        let subtype = if qos { 0x88 } else { 0x08 };
        bytes.extend([subtype, 0x01 | flags]);
        bytes.extend([0; 22]);
        if qos {
            bytes.extend([0, 0]);
        }
        bytes.extend([0xaa, 0xaa, 0x03, 0, 0, 0]);
        bytes.extend(ether_type.to_be_bytes());
        bytes.extend(payload);
        bytes
    }

    #[test]
    fn wifi_frames_read_natively_only_when_they_hold_no_tcp() {
        let radiotap = frames::IEEE802_11_RADIOTAP;
        let arp = [0u8; 28];
        let mut udp = datagram();
        udp[9] = 17;
        // Frames that hold no TCP: ARP, IPv4 UDP, a beacon, a null frame, a protected frame.
        for qos in [false, true] {
            let frame = radiotap_data(0, qos, 0x0806, &arp);
            assert!(matches!(dissect(radiotap, &frame, 0), Dissection::NoTcp));
            let frame = radiotap_data(0, qos, 0x0800, &udp);
            assert!(matches!(dissect(radiotap, &frame, 0), Dissection::NoTcp));
        }
        let beacon = [0, 0, 8, 0, 0, 0, 0, 0, 0x80, 0, 0, 0];
        assert!(matches!(dissect(radiotap, &beacon, 0), Dissection::NoTcp));
        let mut null = radiotap_data(0, false, 0x0800, &datagram());
        null[8] = 0x48;
        assert!(matches!(dissect(radiotap, &null, 0), Dissection::NoTcp));
        let protected = radiotap_data(0x40, true, 0x0800, &datagram());
        assert!(matches!(
            dissect(radiotap, &protected, 0),
            Dissection::NoTcp
        ));
        // Frames that may: TCP, a fragment, an aggregate, a payload without LLC.
        for qos in [false, true] {
            let tcp = radiotap_data(0, qos, 0x0800, &datagram());
            assert!(needs_wireshark(dissect(radiotap, &tcp, 0)));
        }
        let fragment = radiotap_data(0x04, false, 0x0806, &arp);
        assert!(needs_wireshark(dissect(radiotap, &fragment, 0)));
        let mut aggregate = radiotap_data(0, true, 0x0806, &arp);
        aggregate[8 + 24] = 0x80;
        assert!(needs_wireshark(dissect(radiotap, &aggregate, 0)));
        let mut no_llc = radiotap_data(0, false, 0x0806, &arp);
        no_llc[8 + 24] = 0x45;
        assert!(needs_wireshark(dissect(radiotap, &no_llc, 0)));
        // Without radiotap, and with a radiotap header longer than the frame.
        let bare = radiotap_data(0, false, 0x0806, &arp)[8..].to_vec();
        assert!(matches!(
            dissect(frames::IEEE802_11, &bare, 0),
            Dissection::NoTcp
        ));
        assert!(matches!(
            dissect(radiotap, &[0, 0, 200, 0, 0, 0, 0, 0], 0),
            Dissection::NoTcp
        ));
    }

    #[test]
    fn ppp_and_cisco_hdlc_read_natively_only_when_they_hold_no_tcp() {
        let mut udp = datagram();
        udp[9] = 17;
        let ppp = |header: &[u8], body: &[u8]| [header, body].concat();
        for header in [&[0xff, 0x03, 0x00, 0x21][..], &[0x00, 0x21], &[0x21]] {
            assert!(matches!(
                dissect(frames::PPP, &ppp(header, &udp), 0),
                Dissection::NoTcp
            ));
            assert!(needs_wireshark(dissect(
                frames::PPP,
                &ppp(header, &datagram()),
                0
            )));
        }
        // LCP holds no TCP; MPLS (0x0281) may.
        assert!(matches!(
            dissect(frames::PPP, &[0xff, 0x03, 0xc0, 0x21, 1], 0),
            Dissection::NoTcp
        ));
        assert!(needs_wireshark(dissect(
            frames::PPP,
            &ppp(&[0x02, 0x81], &udp),
            0
        )));
        let hdlc = |kind: [u8; 2], body: &[u8]| [&[0x0f, 0x00][..], &kind, body].concat();
        assert!(matches!(
            dissect(frames::C_HDLC, &hdlc([0x08, 0x00], &udp), 0),
            Dissection::NoTcp
        ));
        assert!(matches!(
            dissect(frames::C_HDLC, &hdlc([0x80, 0x35], &[0; 20]), 0),
            Dissection::NoTcp
        ));
        assert!(needs_wireshark(dissect(
            frames::C_HDLC,
            &hdlc([0x08, 0x00], &datagram()),
            0
        )));
    }

    #[test]
    fn ip_in_ip_and_encrypted_macsec_read_natively_only_without_tcp() {
        let ip_in_ip = |inner: &[u8]| {
            let mut outer = frame(0, 0)[..14 + 20].to_vec();
            let total = 20 + inner.len();
            outer[14 + 2..14 + 4].copy_from_slice(&(total as u16).to_be_bytes());
            outer[14 + 9] = 4;
            [&outer[..], inner].concat()
        };
        let mut udp = datagram();
        udp[9] = 17;
        assert!(matches!(
            dissect(frames::ETHERNET, &ip_in_ip(&udp), 0),
            Dissection::NoTcp
        ));
        assert!(needs_wireshark(dissect(
            frames::ETHERNET,
            &ip_in_ip(&datagram()),
            0
        )));
        let macsec =
            |tci: u8| [&[0u8; 12][..], &[0x88, 0xe5, tci, 0, 0, 0, 0, 1], &[0; 40]].concat();
        assert!(matches!(
            dissect(frames::ETHERNET, &macsec(0x2c), 0),
            Dissection::NoTcp
        ));
        assert!(needs_wireshark(dissect(frames::ETHERNET, &macsec(0x20), 0)));
    }

    #[test]
    fn fragments_and_tunnels_go_to_wireshark() {
        let mut fragment = frame(0, 5);
        fragment[14 + 6] = 0x20; // more fragments
        assert!(matches!(
            dissect(frames::ETHERNET, &fragment, 0),
            Dissection::NeedsWireshark(_)
        ));
        let mut gre = frame(0, 5);
        gre[14 + 9] = 47;
        assert!(matches!(
            dissect(frames::ETHERNET, &gre, 0),
            Dissection::NeedsWireshark(_)
        ));
        assert!(matches!(
            dissect(147, &[0; 40], 0),
            Dissection::NeedsWireshark(_)
        ));
    }

    #[test]
    fn loopback_and_raw_frames_carry_ip_directly() {
        let ip = &frame(0, 0)[14..];
        let mut null = 2u32.to_le_bytes().to_vec();
        null.extend(ip);
        assert!(matches!(
            dissect(frames::NULL, &null, 0),
            Dissection::Tcp(_)
        ));
        assert!(matches!(dissect(frames::RAW, ip, 0), Dissection::Tcp(_)));
        let mut sll = vec![0u8; 14];
        sll.extend([0x08, 0x00]);
        sll.extend(ip);
        assert!(matches!(
            dissect(frames::LINUX_SLL, &sll, 0),
            Dissection::Tcp(_)
        ));
    }
}
