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
    /// How many tunnels this reader opened to get here.
    tunnels: u8,
}

/// How deep this reader follows tunnels in tunnels before leaving the frame to tshark (each level
/// costs stack; a crafted frame can nest thousands).
const MAX_TUNNELS: u8 = 8;

impl<'a> Bytes<'a> {
    fn new(data: &'a [u8], reported: usize) -> Bytes<'a> {
        Bytes {
            data,
            reported: reported.max(data.len()),
            tunnels: 0,
        }
    }

    fn from(self, at: usize) -> Bytes<'a> {
        Bytes {
            data: self.data.get(at..).unwrap_or_default(),
            reported: self.reported.saturating_sub(at),
            ..self
        }
    }

    /// Only the first `len` bytes on the wire, when that is less than what there is.
    fn limited(self, len: usize) -> Bytes<'a> {
        Bytes {
            data: &self.data[..self.data.len().min(len)],
            reported: self.reported.min(len),
            ..self
        }
    }

    /// `read` of these bytes as a tunnel's payload, one level deeper.
    fn tunnelled(self, read: impl FnOnce(Bytes<'a>) -> Dissection) -> Dissection {
        if self.tunnels >= MAX_TUNNELS {
            return Dissection::NeedsWireshark("tunnels in tunnels".to_owned());
        }
        read(Bytes {
            tunnels: self.tunnels + 1,
            ..self
        })
    }
}

/// UDP ports Wireshark 4.0 decodes tunnels (or sampled, mirrored or recorded frames) on by
/// default, whose payload can hold TCP. Wireshark tries both ports; VXLAN and Geneve are read
/// here, the others go to tshark.
const TUNNEL_UDP_PORTS: [(u16, &str); 33] = [
    (925, "AudioCodes debug recording"),
    (1701, "L2TP"),
    (2152, "GTP-U"),
    (2268, "AMT"),
    (3343, "MS cluster"),
    (3386, "GTPv0"),
    (3544, "Teredo"),
    (4305, "B.A.T.M.A.N."),
    (4306, "B.A.T.M.A.N."),
    (4341, "LISP"),
    (4754, "GRE"),
    (4789, "VXLAN"),
    (4790, "VXLAN-GPE"),
    (4791, "RoCE"),
    (5246, "CAPWAP"),
    (5247, "CAPWAP"),
    (6081, "Geneve"),
    (6343, "sFlow samples"),
    (6635, "MPLS over UDP"),
    (12000, "LLC"),
    (12001, "LLC"),
    (12002, "LLC"),
    (12003, "LLC"),
    (12004, "LLC"),
    (12220, "LWAPP"),
    (12222, "LWAPP"),
    (12223, "LWAPP"),
    (13907, "WASSP"),
    (13910, "WASSP"),
    (24576, "MiNT"),
    (24577, "MiNT"),
    (30030, "Juniper mirror"),
    (37008, "TZSP"),
];

/// Ether types of encapsulations Wireshark 4.0 opens (its `ethertype` table) that may hold IP
/// (and so TCP) further in: Ethernet, 802.11, PPP, Frame Relay, X.25, 6LoWPAN, Fibre Channel or
/// IP behind a header of their own. Any other type but IPv4, IPv6, VLAN tags, bridged Ethernet,
/// jumbo LLC and unencrypted MACsec (read here) holds no TCP.
const IP_CARRYING_ETHER_TYPES: [(u16, &str); 51] = [
    (0x0000, "Fibre Channel"),
    (0x0059, "PPP multiplexing"),
    (0x0061, "IP header compression"),
    (0x0641, "Roofnet"),
    (0x0643, "Roofnet"),
    (0x0644, "Roofnet"),
    (0x0645, "Roofnet"),
    (0x08ff, "AX.25"),
    (0x2065, "IP header compression"),
    (0x2067, "IP header compression"),
    (0x22e5, "Gigamon"),
    (0x22f0, "AVTP"),
    (0x22f1, "ROHC"),
    (0x22f3, "TRILL"),
    (0x2452, "802.11"),
    (0x4305, "B.A.T.M.A.N."),
    (0x6000, "LAPB"),
    (0x6559, "Frame Relay"),
    (0x809a, "802.15.4"),
    (0x80ff, "WCP"),
    (0x8783, "MiNT"),
    (0x8847, "MPLS"),
    (0x8848, "MPLS"),
    (0x8863, "PPPoE"),
    (0x8864, "PPPoE"),
    (0x8874, "Broadcom tag"),
    (0x880b, "PPP"),
    (0x88a1, "Telkonet"),
    (0x88a9, "Extreme Mesh"),
    (0x88b7, "OUI extended"),
    (0x88bb, "LWAPP"),
    (0x88e5, "MACsec"),
    (0x88e7, "802.1ah"),
    (0x8906, "FCoE"),
    (0x8909, "Cisco MetaData"),
    (0x890d, "802.11"),
    (0x8915, "RoCE"),
    (0x8926, "VN-Tag"),
    (0x892f, "HSR"),
    (0x893f, "802.1BR"),
    (0x8947, "GeoNetworking"),
    (0x894f, "NSH"),
    (0x8988, "Palo Alto HA"),
    (0x9021, "RTmac"),
    (0xa0ed, "6LoWPAN"),
    (0xbbbb, "LWAPP"),
    (0xd28b, "AVSP"),
    (0xe555, "Extreme EXEH"),
    (0xf1c1, "802.1CB"),
    (0xfcfc, "Fibre Channel"),
    (0xfff2, "Cisco ACI gleaning"),
];

/// The SNAP organisation code of encapsulated Ethernet types (RFC 1042), and Cisco's and Nortel's,
/// whose protocols (CDP, DTP, UDLD, VTP, spanning tree; Nortel's discovery protocol) carry no IP.
const SNAP_ETHER_TYPE: [u8; 3] = [0, 0, 0];
const SNAP_CISCO: [u8; 3] = [0, 0, 0x0c];
const SNAP_NORTEL: [u8; 3] = [0, 0, 0x81];

/// The frame's headers, by its link type; `wire_len` is the frame's length on the wire.
pub fn dissect(link_type: i32, data: &[u8], wire_len: usize) -> Dissection {
    let frame = Bytes::new(data, wire_len);
    match link_type {
        frames::ETHERNET => ethernet(frame),
        frames::LINUX_SLL => match data {
            [_, _, h1, h2, _, _, _, _, _, _, _, _, _, _, p1, p2, ..] => linux_cooked(
                u16::from_be_bytes([*h1, *h2]),
                u16::from_be_bytes([*p1, *p2]),
                frame.from(16),
            ),
            _ => Dissection::NoTcp,
        },
        frames::LINUX_SLL2 => match data {
            [p1, p2, _, _, _, _, _, _, h1, h2, _, _, _, _, _, _, _, _, _, _, ..] => linux_cooked(
                u16::from_be_bytes([*h1, *h2]),
                u16::from_be_bytes([*p1, *p2]),
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
        frames::PPP | frames::PPP_HDLC => ppp(frame),
        frames::C_HDLC => match data.get(2..4) {
            Some(kind) => proven_without_tcp(
                cisco_hdlc(u16::from_be_bytes([kind[0], kind[1]]), frame.from(4)),
                "Cisco HDLC frames carrying IP",
            ),
            None => Dissection::NoTcp,
        },
        frames::FRAME_RELAY => proven_without_tcp(frame_relay(frame), "Frame Relay frames"),
        frames::IEEE802_11 => wifi(frame),
        frames::IEEE802_11_RADIOTAP => match radiotap_len(data) {
            Some(len) => wifi(frame.from(len)),
            None => Dissection::NoTcp,
        },
        other => Dissection::NeedsWireshark(format!("link type {other}")),
    }
}

/// A Linux cooked capture's payload (v1 or v2) by its device type (`hatype`, an `ARPHRD_` number)
/// and protocol, as Wireshark's SLL dissector reads it: netlink devices hand it the whole frame; a
/// protocol up to 1536 is Linux's own number, read by device type first (radiotap, Frame Relay),
/// then by that number; above, an ether type, which GRE devices look up in GRE's table instead.
/// Whatever this reader does not follow goes to tshark.
fn linux_cooked(hatype: u16, protocol: u16, payload: Bytes<'_>) -> Dissection {
    const FRAME_RELAY_DEVICE: u16 = 770;
    const GRE_DEVICE: u16 = 778;
    const RADIOTAP_DEVICE: u16 = 803;
    const NETLINK_DEVICE: u16 = 824;
    if hatype == NETLINK_DEVICE {
        return Dissection::NeedsWireshark("netlink frames".to_owned());
    }
    if protocol <= 1536 {
        return match (hatype, protocol) {
            (RADIOTAP_DEVICE, _) => match radiotap_len(payload.data) {
                Some(len) => wifi(payload.from(len)),
                None => Dissection::NoTcp,
            },
            (FRAME_RELAY_DEVICE, _) => {
                proven_without_tcp(frame_relay(payload), "Frame Relay frames")
            }
            // Novell's 802.3 frames (IPX), and CAN and CAN FD frames.
            (_, 0x0001 | 0x000c | 0x000d) => Dissection::NoTcp,
            (_, 0x0003) => ethernet(payload),
            (_, 0x0004) => llc(payload),
            (_, 0x0007) => ppp(payload),
            _ => Dissection::NeedsWireshark("Linux cooked frames of other protocols".to_owned()),
        };
    }
    match (hatype, EtherType(protocol)) {
        (GRE_DEVICE, EtherType::IPV4 | EtherType::IPV6) => ether_type(protocol, payload),
        // Without the GRE header, whether an ERSPAN header is there is not known: both ways
        // must hold no TCP.
        (GRE_DEVICE, _) => every_reading_without_tcp(
            [false, true].map(|sequenced| {
                payload.tunnelled(|inner| gre_payload(protocol, inner, sequenced))
            }),
            "IP tunnels",
        ),
        _ => ether_type(protocol, payload),
    }
}

/// No TCP when every reading Wireshark may choose of a frame proves it, else the capture goes to
/// tshark.
fn every_reading_without_tcp(
    readings: impl IntoIterator<Item = Dissection>,
    what: &str,
) -> Dissection {
    if readings
        .into_iter()
        .all(|reading| reading == Dissection::NoTcp)
    {
        Dissection::NoTcp
    } else {
        Dissection::NeedsWireshark(what.to_owned())
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
    let Some(bytes) = frame.data.get(12..14) else {
        return Dissection::NoTcp;
    };
    let value = u16::from_be_bytes([bytes[0], bytes[1]]);
    // An 802.3 length to a destination Wireshark takes for Cisco ISL's, whose frame it opens.
    if value <= 1500 && matches!(frame.data, [0x01 | 0x0c, 0x00, 0x0c, 0x00, 0x00, ..]) {
        return Dissection::NeedsWireshark("Cisco ISL frames".to_owned());
    }
    ether_type(value, frame.from(14))
}

/// What an Ethernet type or length field leads to: after VLAN tags, a type, or up to 1500 the
/// length of an LLC frame.
fn ether_type(mut value: u16, mut payload: Bytes<'_>) -> Dissection {
    // 802.1Q, 802.1ad and the older 0x9100 tags: a tag control word, then the type they carry.
    while matches!(value, 0x8100 | 0x88a8 | 0x9100) {
        let Some(bytes) = payload.data.get(2..4) else {
            return Dissection::NoTcp;
        };
        value = u16::from_be_bytes([bytes[0], bytes[1]]);
        payload = payload.from(4);
    }
    match EtherType(value) {
        EtherType::IPV4 => ipv4(payload),
        EtherType::IPV6 => ipv6(payload),
        _ if value <= 1500 => llc(payload),
        _ => match value {
            BRIDGED_ETHERNET => payload.tunnelled(ethernet),
            JUMBO_LLC => llc(payload),
            MACSEC => proven_without_tcp(macsec(payload), "MACsec frames"),
            _ => match IP_CARRYING_ETHER_TYPES
                .iter()
                .find(|(known, _)| *known == value)
            {
                Some((_, name)) => Dissection::NeedsWireshark(format!("{name} frames")),
                None => Dissection::NoTcp,
            },
        },
    }
}

/// A payload Wireshark finds by its ether type alone: no 802.3 length, and under 1501 the types
/// of PPP's protocols and others that `ether_type` does not tell apart, which go to tshark.
fn by_ether_type(value: u16, payload: Bytes<'_>, what: &str) -> Dissection {
    if value <= 1500 {
        return Dissection::NeedsWireshark(what.to_owned());
    }
    ether_type(value, payload)
}

/// Transparent Ethernet bridging (RFC 1701): a whole Ethernet frame, without its FCS.
const BRIDGED_ETHERNET: u16 = 0x6558;
/// An LLC frame longer than 802.3 allows.
const JUMBO_LLC: u16 = 0x8870;
const MACSEC: u16 = 0x88e5;

/// A MACsec frame (IEEE 802.1AE) after its ether type. Wireshark opens the payload only when it
/// is neither encrypted (E bit) nor changed (C bit), the version bit is 0, and the frame is longer
/// than the SecTAG (6 bytes, 14 with an SCI) and the 16-byte ICV together; the payload's ether
/// type follows the SecTAG.
fn macsec(payload: Bytes<'_>) -> Dissection {
    const VERSION: u8 = 0x80;
    const SCI_PRESENT: u8 = 0x20;
    const ENCRYPTED_OR_CHANGED: u8 = 0x0c;
    let Some(&tci) = payload.data.first() else {
        return Dissection::NoTcp;
    };
    if tci & (VERSION | ENCRYPTED_OR_CHANGED) != 0 {
        return Dissection::NoTcp;
    }
    let sectag_len = if tci & SCI_PRESENT != 0 { 14 } else { 6 };
    if payload.data.len() <= sectag_len + 16 {
        return Dissection::NoTcp;
    }
    let kind = u16::from_be_bytes([payload.data[sectag_len], payload.data[sectag_len + 1]]);
    by_ether_type(kind, payload.from(sectag_len + 2), "MACsec frames")
}

/// An 802.2 LLC frame: SNAP, or the SAPs Wireshark reads IP behind (IP's own, X.25, and those
/// of OSI network layer protocols).
fn llc(payload: Bytes<'_>) -> Dissection {
    const SAP_SNAP: u8 = 0xaa;
    let [dsap, ssap, control, ..] = *payload.data else {
        return Dissection::NoTcp;
    };
    let header_len = 2 + xdlc_control_len(control);
    if dsap == SAP_SNAP && ssap == SAP_SNAP {
        // Information: I frames (low bit 0) and UI frames, the poll bit either way.
        let information = control & 0x01 == 0 || control & 0xef == 0x03;
        return snap(payload.from(header_len), information);
    }
    match dsap {
        0x06 | 0x7e => Dissection::NeedsWireshark("802.2 frames carrying IP".to_owned()),
        0x14 | 0x20 | 0x34 | 0x54 | 0xfe => osi(payload.from(header_len)),
        _ => Dissection::NoTcp,
    }
}

/// The length of an HDLC-style control field as Wireshark reads it (extended): 1 byte for
/// unnumbered frames, 2 for information and supervisory ones.
fn xdlc_control_len(control: u8) -> usize {
    if control & 0x03 == 0x03 {
        1
    } else {
        2
    }
}

/// A SNAP header (an OUI and a protocol ID) and its payload; an encapsulated ether type is read
/// only in information frames.
fn snap(header: Bytes<'_>, information: bool) -> Dissection {
    let [o1, o2, o3, t1, t2, ..] = *header.data else {
        return Dissection::NoTcp;
    };
    match [o1, o2, o3] {
        SNAP_ETHER_TYPE if information => by_ether_type(
            u16::from_be_bytes([t1, t2]),
            header.from(5),
            "802.2 SNAP frames",
        ),
        SNAP_ETHER_TYPE | SNAP_CISCO | SNAP_NORTEL => Dissection::NoTcp,
        _ => Dissection::NeedsWireshark("802.2 SNAP frames".to_owned()),
    }
}

/// An OSI network layer PDU and the NLPID before it (ISO/IEC TR 9577): IP, IPv6 and PPP go to
/// tshark; what Wireshark reads under the other NLPIDs (CLNP, ES-IS, IS-IS, Q.931) carries no IP.
fn osi(payload: Bytes<'_>) -> Dissection {
    match payload.data.first() {
        Some(0xcc | 0x8e | 0xcf) => Dissection::NeedsWireshark("OSI frames carrying IP".to_owned()),
        _ => Dissection::NoTcp,
    }
}

/// A Cisco HDLC protocol type and its payload: an ether type, or OSI behind a padding byte
/// (absent before CLNP, ES-IS and IS-IS).
fn cisco_hdlc(kind: u16, payload: Bytes<'_>) -> Dissection {
    const OSI: u16 = 0xfefe;
    match (kind, payload.data.first()) {
        (OSI, Some(0x81..=0x83)) => osi(payload),
        (OSI, _) => osi(payload.from(1)),
        _ => ether_type(kind, payload),
    }
}

/// A Frame Relay frame (Q.922 address, then RFC 2427 or Cisco's encapsulation), as Wireshark's
/// default (FRF 3.2) reads it: this reader only proves it holds no TCP. The address ends at the
/// first byte with its EA bit. A UI control byte (0x03) is RFC 2427: an NLPID. Otherwise Wireshark
/// picks by table lookups among Cisco's protocol type, an NLPID after the control field, raw
/// Ethernet (or, on DLCI 0 and for XID frames, data): every one of those readings must hold no
/// TCP.
fn frame_relay(frame: Bytes<'_>) -> Dissection {
    const UI: u8 = 0x03;
    const XID: u8 = 0xaf;
    let Some(address_len) = frame.data.iter().position(|byte| byte & 1 == 1) else {
        return Dissection::NoTcp;
    };
    let body = frame.from(address_len + 1);
    let (control, cisco_type) = match body.data {
        [] | [XID, ..] => return Dissection::NoTcp,
        [UI, ..] => return nlpid(body.from(1)),
        [control] => (*control, None),
        [control, next, ..] => (*control, Some(u16::from_be_bytes([*control, *next]))),
    };
    every_reading_without_tcp(
        [
            cisco_type.map_or(Dissection::NoTcp, |kind| cisco_hdlc(kind, body.from(2))),
            nlpid(body.from(xdlc_control_len(control))),
            ethernet(body),
        ],
        "Frame Relay frames",
    )
}

/// An RFC 2427 payload: an NLPID (after an optional padding byte) and what it names.
fn nlpid(payload: Bytes<'_>) -> Dissection {
    let payload = match payload.data {
        [0, ..] => payload.from(1),
        _ => payload,
    };
    match payload.data.first() {
        Some(0xcc) => ipv4(payload.from(1)),
        Some(0x8e) => ipv6(payload.from(1)),
        // SNAP; Wireshark does not check the control field for an information frame here.
        Some(0x80) => snap(payload.from(1), true),
        // PPP and compressed (WCP) frames.
        Some(0xcf | 0xb0) => Dissection::NeedsWireshark("Frame Relay frames".to_owned()),
        // Q.933, LMI, CLNP, ES-IS, IS-IS, or data.
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
        ip_number::UDP => udp(&ip),
        ip_number::ICMP if !ip.fragmented => icmp_error(ip.payload.data, &ICMP_ERRORS),
        ip_number::IPV6_ICMP if !ip.fragmented => icmp_error(ip.payload.data, &ICMPV6_ERRORS),
        // IP in IP and GRE read natively only when the inner datagram holds no TCP (of which the
        // tunnel would decide the stream numbers and addresses).
        ip_number::IPV4 if !ip.fragmented => {
            proven_without_tcp(ip.payload.tunnelled(ipv4), "IP tunnels")
        }
        ip_number::IPV6 if !ip.fragmented => {
            proven_without_tcp(ip.payload.tunnelled(ipv6), "IP tunnels")
        }
        ip_number::GRE if !ip.fragmented => {
            proven_without_tcp(ip.payload.tunnelled(gre), "IP tunnels")
        }
        ip_number::IPV4 | ip_number::IPV6 | ip_number::GRE => {
            Dissection::NeedsWireshark("IP tunnels".to_owned())
        }
        // Extension headers etherparse stops at (a fragment header included).
        ip_number::IPV6_FRAGMENTATION_HEADER => {
            Dissection::NeedsWireshark("IP fragments carrying TCP".to_owned())
        }
        PIM if !ip.fragmented => proven_without_tcp(pim(ip.payload), "PIM registers"),
        IGMP if ip.payload.data.first() == Some(&PIM_VERSION_1) => {
            Dissection::NeedsWireshark("PIM registers".to_owned())
        }
        protocol => match IP_CARRYING_IP_PROTOCOLS
            .iter()
            .find(|(known, _)| *known == protocol.0)
        {
            Some((_, name)) => Dissection::NeedsWireshark(format!("{name} packets")),
            None => Dissection::NoTcp,
        },
    }
}

const IGMP: IpNumber = IpNumber(2);
const PIM: IpNumber = IpNumber(103);
/// The IGMP type of PIM version 1 messages, whose registers Wireshark opens as PIMv2's.
const PIM_VERSION_1: u8 = 0x14;

/// IP protocols Wireshark 4.0 opens (its `ip.proto` table) that may hold IP or Ethernet, and so
/// TCP, further in; any other protocol but those read here holds no TCP.
const IP_CARRYING_IP_PROTOCOLS: [(u8, &str); 16] = [
    (0, "IPv6 hop-by-hop options"),
    (43, "IPv6 routing"),
    (48, "DSR"),
    (51, "IPsec AH"),
    (53, "swIPe"),
    (54, "NARP"),
    (60, "IPv6 destination options"),
    (80, "ISO-IP"),
    (93, "AX.25"),
    (97, "EtherIP"),
    (108, "IPComp"),
    (115, "L2TPv3"),
    (136, "UDP-Lite"),
    (137, "MPLS in IP"),
    (140, "Shim6"),
    (143, "Ethernet"),
];

/// A PIM version 2 message (RFC 7761): a register carries a multicast datagram after its 8
/// bytes, which Wireshark opens by its IP version; no other message carries one.
fn pim(message: Bytes<'_>) -> Dissection {
    const REGISTER: u8 = 0x21;
    match message.data {
        [REGISTER, _, _, _, _, _, _, _, inner, ..] => match inner >> 4 {
            4 => message.from(8).tunnelled(ipv4),
            6 => message.from(8).tunnelled(ipv6),
            _ => Dissection::NoTcp,
        },
        _ => Dissection::NoTcp,
    }
}

/// A GRE packet (RFC 2784, RFC 2890), version 0, as Wireshark 4.0 reads it: the checksum, key and
/// sequence number present by their flags, 4 bytes each (the checksum's with the reserved field
/// after it), then the payload by its protocol type. Routing (RFC 1701) and other versions (PPTP's
/// enhanced GRE) go to tshark.
fn gre(packet: Bytes<'_>) -> Dissection {
    const CHECKSUM: u16 = 0x8000;
    const ROUTING: u16 = 0x4000;
    const KEY: u16 = 0x2000;
    const SEQUENCE: u16 = 0x1000;
    const VERSION: u16 = 0x0007;
    let [f1, f2, t1, t2, ..] = *packet.data else {
        return Dissection::NoTcp;
    };
    let flags = u16::from_be_bytes([f1, f2]);
    if flags & (ROUTING | VERSION) != 0 {
        return Dissection::NeedsWireshark("IP tunnels".to_owned());
    }
    let header_len = 4 + [CHECKSUM, KEY, SEQUENCE]
        .iter()
        .filter(|flag| flags & **flag != 0)
        .count()
        * 4;
    gre_payload(
        u16::from_be_bytes([t1, t2]),
        packet.from(header_len),
        flags & SEQUENCE != 0,
    )
}

/// What Wireshark's GRE protocol table opens for `kind`; type I and II ERSPAN share a type, the
/// GRE sequence number telling type II's header present.
fn gre_payload(kind: u16, payload: Bytes<'_>, sequenced: bool) -> Dissection {
    const ERSPAN: u16 = 0x88be;
    const ERSPAN_TYPE_III: u16 = 0x22eb;
    const NHRP: u16 = 0x2001;
    const CISCO_METADATA: u16 = 0x8909;
    // Keepalives, ARP and CDP.
    const WITHOUT_IP: [u16; 3] = [0x0000, 0x0806, 0x2000];
    // OSI network layer PDUs, by their LLC SAP.
    const OSI: u16 = 0x00fe;
    match kind {
        0x0800 => ipv4(payload),
        0x86dd => ipv6(payload),
        BRIDGED_ETHERNET => ethernet(payload),
        ERSPAN if !sequenced => ethernet(payload),
        ERSPAN | ERSPAN_TYPE_III => erspan(payload),
        NHRP => nhrp(payload),
        // Cisco MetaData: the protocol type, 6 bytes of its own, then the payload, which GRE's
        // table opens without the GRE header's flags.
        CISCO_METADATA => match payload.data {
            [t1, t2, ..] => payload.tunnelled(|inner| {
                gre_payload(u16::from_be_bytes([*t1, *t2]), inner.from(8), false)
            }),
            _ => Dissection::NoTcp,
        },
        OSI => osi(payload),
        _ if WITHOUT_IP.contains(&kind) => Dissection::NoTcp,
        _ => Dissection::NeedsWireshark("IP tunnels".to_owned()),
    }
}

/// An ERSPAN header (draft-foschiano-erspan) before the mirrored frame: version 1 (type II) is 8
/// bytes, version 2 (type III) 12, 20 with its optional subheader (O bit), and only its frame type
/// 0 is Ethernet; Wireshark reads nothing further of other versions.
fn erspan(packet: Bytes<'_>) -> Dissection {
    match packet.data {
        [version, _, ..] if version >> 4 == 1 => ethernet(packet.from(8)),
        [version, _, _, _, _, _, _, _, _, _, w1, w2, ..] if version >> 4 == 2 => {
            let word = u16::from_be_bytes([*w1, *w2]);
            let frame_type = (word & 0x7c00) >> 10;
            let header_len = if word & 1 != 0 { 20 } else { 12 };
            if frame_type == 0 {
                ethernet(packet.from(header_len))
            } else {
                Dissection::NoTcp
            }
        }
        _ => Dissection::NoTcp,
    }
}

/// An NHRP packet (RFC 2332) as Wireshark 4.0 reads it: only error and traffic indications carry
/// a packet, after the mandatory part's fixed fields and addresses; an error indication's is an
/// NHRP packet, a traffic indication's is of the fixed header's protocol type (an NLPID up to
/// 0xff, an ether type from 0x600). A SNAP protocol type (whose header Wireshark reads 2 bytes
/// short) goes to tshark.
fn nhrp(packet: Bytes<'_>) -> Dissection {
    const ERROR_INDICATION: u8 = 7;
    const TRAFFIC_INDICATION: u8 = 8;
    const SNAP: u16 = 0x0080;
    let needs_wireshark = || Dissection::NeedsWireshark("NHRP indications".to_owned());
    let data = packet.data;
    let Some(&operation) = data.get(17) else {
        return Dissection::NoTcp;
    };
    if operation != ERROR_INDICATION && operation != TRAFFIC_INDICATION {
        return Dissection::NoTcp;
    }
    let protocol = u16::from_be_bytes([data[2], data[3]]);
    if protocol == SNAP {
        return needs_wireshark();
    }
    let word = |at: usize| u16::from_be_bytes([data[at], data[at + 1]]);
    // The mandatory part ends at the extensions, if any, else at the packet's end; Wireshark
    // reads none that is empty or ends outside the packet.
    let (packet_len, extensions_at) = (word(10), word(14));
    let mandatory_end = if extensions_at == 0 {
        packet_len
    } else {
        extensions_at
    };
    if packet_len < 20 || !(21..=packet_len).contains(&mandatory_end) {
        return Dissection::NoTcp;
    }
    // The source and destination protocol address lengths, then 6 bytes of flags, codes or
    // reserved, then the source NBMA address and subaddress and the two protocol addresses.
    let (Some(&source_len), Some(&destination_len)) = (data.get(20), data.get(21)) else {
        return Dissection::NoTcp;
    };
    let address_len = usize::from(data[18] & 0x3f) + usize::from(data[19] & 0x3f);
    let carried =
        packet.from(28 + address_len + usize::from(source_len) + usize::from(destination_len));
    if operation == ERROR_INDICATION {
        return carried.tunnelled(nhrp);
    }
    match protocol {
        0xcc => ipv4(carried),
        0x8e => ipv6(carried),
        0xcf => needs_wireshark(),
        0x0600.. => by_ether_type(protocol, carried, "NHRP indications"),
        _ => Dissection::NoTcp,
    }
}

/// A UDP datagram: on a tunnel port Wireshark tries, VXLAN (RFC 7348: 8 bytes, then Ethernet) and
/// Geneve (RFC 8926: 8 bytes and options, then the payload by its ether type) are read when they
/// hold no TCP; every tunnel port the datagram has must be read so, and a fragment's payload may
/// be cut before the inner headers, so it goes to tshark.
fn udp(ip: &IpPayload<'_>) -> Dissection {
    const VXLAN: u16 = 4789;
    const GENEVE: u16 = 6081;
    let datagram = ip.payload;
    let Some(ports) = udp_ports(datagram.data) else {
        return Dissection::NoTcp;
    };
    let payload = datagram.from(8);
    for port in ports {
        let Some((_, tunnel)) = TUNNEL_UDP_PORTS.iter().find(|(known, _)| *known == port) else {
            continue;
        };
        let reading = match port {
            VXLAN if !ip.fragmented => payload.tunnelled(|inner| ethernet(inner.from(8))),
            GENEVE if !ip.fragmented => payload.tunnelled(geneve),
            _ => Dissection::NeedsWireshark(String::new()),
        };
        if reading != Dissection::NoTcp {
            return Dissection::NeedsWireshark(format!("{tunnel} tunnels"));
        }
    }
    Dissection::NoTcp
}

/// A UDP header's source and destination ports.
fn udp_ports(header: &[u8]) -> Option<[u16; 2]> {
    match header {
        [s1, s2, d1, d2, ..] => Some([
            u16::from_be_bytes([*s1, *s2]),
            u16::from_be_bytes([*d1, *d2]),
        ]),
        _ => None,
    }
}

/// A Geneve packet: its options' length in 4-byte words in the first byte's low 6 bits, the
/// payload's protocol type in bytes 2 and 3.
fn geneve(packet: Bytes<'_>) -> Dissection {
    match packet.data {
        [first, _, t1, t2, ..] => by_ether_type(
            u16::from_be_bytes([*t1, *t2]),
            packet.from(8 + usize::from(first & 0x3f) * 4),
            "Geneve tunnels",
        ),
        _ => Dissection::NoTcp,
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
    let quoted = Bytes::new(message.get(8..).unwrap_or_default(), 0);
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
    let Some(ip) = ip else {
        return Dissection::NoTcp;
    };
    // Wireshark opens the datagram in error as it opens any: a tunnel or an error quoted in it
    // may hold TCP that it numbers.
    let quoted_kind = ip.payload.data.first();
    let quoted_ports = udp_ports(ip.payload.data);
    match ip.protocol {
        ip_number::TCP => tcp(&ip).map_or(Dissection::NoTcp, |tcp| {
            Dissection::Quoted(tcp.stream_key(false))
        }),
        ip_number::IPV4 | ip_number::IPV6 | ip_number::GRE => {
            Dissection::NeedsWireshark("ICMP errors quoting tunnels".to_owned())
        }
        ip_number::UDP
            if quoted_ports.is_some_and(|ports| {
                TUNNEL_UDP_PORTS
                    .iter()
                    .any(|(port, _)| ports.contains(port))
            }) =>
        {
            Dissection::NeedsWireshark("ICMP errors quoting tunnels".to_owned())
        }
        ip_number::ICMP if quoted_kind.is_some_and(|kind| ICMP_ERRORS.contains(kind)) => {
            Dissection::NeedsWireshark("ICMP errors quoting ICMP errors".to_owned())
        }
        ip_number::IPV6_ICMP if quoted_kind.is_some_and(|kind| ICMPV6_ERRORS.contains(kind)) => {
            Dissection::NeedsWireshark("ICMP errors quoting ICMP errors".to_owned())
        }
        _ => Dissection::NoTcp,
    }
}

/// The ICMP and ICMPv6 message types that quote the datagram in error.
const ICMP_ERRORS: [u8; 5] = [3, 4, 5, 11, 12];
const ICMPV6_ERRORS: [u8; 4] = [1, 2, 3, 4];

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

    /// [`datagram`] made UDP: no TCP inside.
    fn udp_datagram() -> Vec<u8> {
        let mut udp = datagram();
        udp[9] = 17;
        udp
    }

    /// An Ethernet frame with an IPv4 header of `protocol` before `inner`.
    fn ip_frame(protocol: u8, inner: &[u8]) -> Vec<u8> {
        let mut outer = frame(0, 0)[..14 + 20].to_vec();
        let total = 20 + inner.len();
        outer[14 + 2..14 + 4].copy_from_slice(&(total as u16).to_be_bytes());
        outer[14 + 9] = protocol;
        [&outer[..], inner].concat()
    }

    /// An Ethernet header before `ether_type` and `payload`.
    fn ethernet_frame(ether_type: u16, payload: &[u8]) -> Vec<u8> {
        [&[0u8; 12][..], &ether_type.to_be_bytes(), payload].concat()
    }

    fn gre(flags: u16, kind: u16, optional: &[u8], payload: &[u8]) -> Vec<u8> {
        let header = [flags.to_be_bytes(), kind.to_be_bytes()].concat();
        ip_frame(47, &[&header[..], optional, payload].concat())
    }

    fn reads(link_type: i32, frame: &[u8]) -> Dissection {
        dissect(link_type, frame, 0)
    }

    #[test]
    fn gre_reads_natively_only_without_tcp() {
        let ethernet = frames::ETHERNET;
        let (tcp, udp) = (datagram(), udp_datagram());
        let bridged_tcp = frame(0, 5);
        let bridged_arp = ethernet_frame(0x0806, &[0; 28]);
        // IPv4 inside, behind the checksum, key and sequence number or none of them.
        for (flags, optional) in [(0, &[][..]), (0xb000, &[0; 12][..]), (0x2000, &[0; 4][..])] {
            assert_eq!(
                reads(ethernet, &gre(flags, 0x0800, optional, &udp)),
                Dissection::NoTcp
            );
            assert!(needs_wireshark(reads(
                ethernet,
                &gre(flags, 0x0800, optional, &tcp)
            )));
        }
        // Bridged Ethernet, and type I ERSPAN (no sequence number, no ERSPAN header).
        for kind in [0x6558, 0x88be] {
            assert_eq!(
                reads(ethernet, &gre(0, kind, &[], &bridged_arp)),
                Dissection::NoTcp
            );
            assert!(needs_wireshark(reads(
                ethernet,
                &gre(0, kind, &[], &bridged_tcp)
            )));
        }
        // Type II ERSPAN: a sequence number, then an 8-byte header of version 1.
        let type_ii = |frame: &[u8]| [&[0x10, 0, 0, 0, 0, 0, 0, 0][..], frame].concat();
        let sequenced = |payload: &[u8]| gre(0x1000, 0x88be, &[0; 4], payload);
        assert_eq!(
            reads(ethernet, &sequenced(&type_ii(&bridged_arp))),
            Dissection::NoTcp
        );
        assert!(needs_wireshark(reads(
            ethernet,
            &sequenced(&type_ii(&bridged_tcp))
        )));
        // Type III: 12 bytes, 20 with the subheader; a frame type other than Ethernet is data.
        let type_iii = |word: u16, frame: &[u8]| {
            let mut header = vec![0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0];
            header.extend(word.to_be_bytes());
            if word & 1 != 0 {
                header.extend([0; 8]);
            }
            [&header[..], frame].concat()
        };
        for word in [0, 1] {
            let arp = gre(0, 0x22eb, &[], &type_iii(word, &bridged_arp));
            assert_eq!(reads(ethernet, &arp), Dissection::NoTcp);
            let tcp = gre(0, 0x22eb, &[], &type_iii(word, &bridged_tcp));
            assert!(needs_wireshark(reads(ethernet, &tcp)));
        }
        let ip_frame_type = gre(0, 0x22eb, &[], &type_iii(0x0800, &bridged_tcp));
        assert_eq!(reads(ethernet, &ip_frame_type), Dissection::NoTcp);
        // OSI: IS-IS holds no TCP, IP behind NLPID 0xcc may.
        assert_eq!(
            reads(ethernet, &gre(0, 0x00fe, &[], &[0x83, 0, 0])),
            Dissection::NoTcp
        );
        let osi_ip = [&[0xcc][..], &tcp].concat();
        assert!(needs_wireshark(reads(
            ethernet,
            &gre(0, 0x00fe, &[], &osi_ip)
        )));
        // Routing, PPTP's version 1, unknown types, IP fragments, a cut header.
        assert!(needs_wireshark(reads(
            ethernet,
            &gre(0x4000, 0x0800, &[0; 8], &udp)
        )));
        assert!(needs_wireshark(reads(
            ethernet,
            &gre(0x3001, 0x880b, &[0; 8], &[0xff, 0x03])
        )));
        assert!(needs_wireshark(reads(ethernet, &gre(0, 0x1234, &[], &udp))));
        let mut fragment = gre(0, 0x0800, &[], &udp);
        fragment[14 + 6] = 0x20;
        assert!(needs_wireshark(reads(ethernet, &fragment)));
        assert_eq!(
            reads(ethernet, &ip_frame(47, &[0, 0, 8])),
            Dissection::NoTcp
        );
        // Bridged Ethernet in bridged Ethernet, too deep to follow.
        let mut nested = bridged_arp;
        for _ in 0..20 {
            nested = ethernet_frame(0x6558, &nested);
        }
        assert!(needs_wireshark(reads(ethernet, &nested)));
    }

    /// An NHRP packet of `operation` with IPv4 addresses (4-byte NBMA and protocol addresses),
    /// protocol type `protocol`, and `carried` after the mandatory part.
    fn nhrp(operation: u8, protocol: u16, carried: &[u8]) -> Vec<u8> {
        let len = 20 + 8 + 4 + 4 + 4 + carried.len();
        let mut packet = vec![0, 1];
        packet.extend(protocol.to_be_bytes());
        packet.extend([0; 5]);
        packet.push(255);
        packet.extend((len as u16).to_be_bytes());
        packet.extend([0, 0, 0, 0, 1, operation, 4, 0]);
        packet.extend([4, 4, 0, 0, 0, 0, 0, 0]);
        packet.extend([0; 12]);
        packet.extend(carried);
        packet
    }

    #[test]
    fn nhrp_reads_natively_only_without_tcp() {
        let in_gre = |packet: &[u8]| gre(0x2000, 0x2001, &[0; 4], packet);
        let (tcp, udp) = (datagram(), udp_datagram());
        let registration = nhrp(3, 0x0800, &tcp);
        assert_eq!(
            reads(frames::ETHERNET, &in_gre(&registration)),
            Dissection::NoTcp
        );
        let traffic = nhrp(8, 0x0800, &udp);
        assert_eq!(
            reads(frames::ETHERNET, &in_gre(&traffic)),
            Dissection::NoTcp
        );
        let traffic = nhrp(8, 0x0800, &tcp);
        assert!(needs_wireshark(reads(frames::ETHERNET, &in_gre(&traffic))));
        let error = nhrp(7, 0x0800, &traffic);
        assert!(needs_wireshark(reads(frames::ETHERNET, &in_gre(&error))));
        let error = nhrp(7, 0x0800, &registration);
        assert_eq!(reads(frames::ETHERNET, &in_gre(&error)), Dissection::NoTcp);
        // NLPID 0xcc is IPv4 too; SNAP, whose header Wireshark misreads, goes to tshark.
        let traffic = nhrp(8, 0x00cc, &tcp);
        assert!(needs_wireshark(reads(frames::ETHERNET, &in_gre(&traffic))));
        let traffic = nhrp(8, 0x0080, &udp);
        assert!(needs_wireshark(reads(frames::ETHERNET, &in_gre(&traffic))));
        assert_eq!(
            reads(frames::ETHERNET, &in_gre(&traffic[..17])),
            Dissection::NoTcp
        );
    }

    fn udp_frame(source: u16, destination: u16, payload: &[u8]) -> Vec<u8> {
        let header = [
            source.to_be_bytes(),
            destination.to_be_bytes(),
            ((8 + payload.len()) as u16).to_be_bytes(),
            [0, 0],
        ]
        .concat();
        ip_frame(17, &[&header[..], payload].concat())
    }

    #[test]
    fn vxlan_and_geneve_read_natively_only_without_tcp() {
        let ethernet = frames::ETHERNET;
        let vxlan = |frame: &[u8]| [&[0x08, 0, 0, 0, 0, 0, 1, 0][..], frame].concat();
        let (tcp, arp) = (frame(0, 5), ethernet_frame(0x0806, &[0; 28]));
        for (source, destination) in [(40000, 4789), (4789, 40000)] {
            let frame = udp_frame(source, destination, &vxlan(&arp));
            assert_eq!(reads(ethernet, &frame), Dissection::NoTcp);
            let frame = udp_frame(source, destination, &vxlan(&tcp));
            assert!(needs_wireshark(reads(ethernet, &frame)));
        }
        // The other port a tunnel not read here; a fragment; a cut header.
        assert!(needs_wireshark(reads(
            ethernet,
            &udp_frame(2152, 4789, &vxlan(&arp))
        )));
        let mut fragment = udp_frame(40000, 4789, &vxlan(&arp));
        fragment[14 + 6] = 0x20;
        assert!(needs_wireshark(reads(ethernet, &fragment)));
        assert_eq!(
            reads(ethernet, &udp_frame(40000, 4789, &[8, 0])),
            Dissection::NoTcp
        );
        // Geneve: 8 bytes of options here, then the payload by its protocol type.
        let geneve = |kind: u16, payload: &[u8]| {
            let header = [&[0x02, 0][..], &kind.to_be_bytes(), &[0; 4], &[0; 8]].concat();
            udp_frame(40000, 6081, &[&header[..], payload].concat())
        };
        assert_eq!(reads(ethernet, &geneve(0x6558, &arp)), Dissection::NoTcp);
        assert!(needs_wireshark(reads(ethernet, &geneve(0x6558, &tcp))));
        assert_eq!(
            reads(ethernet, &geneve(0x0800, &udp_datagram())),
            Dissection::NoTcp
        );
        assert!(needs_wireshark(reads(
            ethernet,
            &geneve(0x0800, &datagram())
        )));
        assert!(needs_wireshark(reads(ethernet, &geneve(0x0059, &[0; 40]))));
        let cut = udp_frame(40000, 6081, &[0, 0, 0x08]);
        assert_eq!(reads(ethernet, &cut), Dissection::NoTcp);
    }

    #[test]
    fn macsec_reads_natively_only_without_tcp() {
        // A SecTAG of `tci` (8 more bytes with an SCI), an ether type, `payload`, a 16-byte ICV.
        let macsec = |tci: u8, ether_type: u16, payload: &[u8]| {
            let sci: &[u8] = if tci & 0x20 != 0 { &[0; 8] } else { &[] };
            let sectag = [&[tci, 0, 0, 0, 0, 1][..], sci, &ether_type.to_be_bytes()].concat();
            ethernet_frame(0x88e5, &[&sectag[..], payload, &[0; 16]].concat())
        };
        for tci in [0x00, 0x20] {
            let udp = macsec(tci, 0x0800, &udp_datagram());
            assert_eq!(reads(frames::ETHERNET, &udp), Dissection::NoTcp);
            let tcp = macsec(tci, 0x0800, &datagram());
            assert!(needs_wireshark(reads(frames::ETHERNET, &tcp)));
        }
        // Encrypted, changed, of another version: data.
        for tci in [0x08, 0x04, 0x80] {
            let tcp = macsec(tci, 0x0800, &datagram());
            assert_eq!(reads(frames::ETHERNET, &tcp), Dissection::NoTcp);
        }
        // No longer than the SecTAG and the ICV: data.
        let short = ethernet_frame(0x88e5, &[0; 22]);
        assert_eq!(reads(frames::ETHERNET, &short), Dissection::NoTcp);
    }

    #[test]
    fn frame_relay_reads_natively_only_without_tcp() {
        let relay = frames::FRAME_RELAY;
        let (tcp, udp) = (datagram(), udp_datagram());
        let address = [0x18, 0x41];
        let nlpid = |header: &[u8], body: &[u8]| [&address[..], header, body].concat();
        // RFC 2427: IPv4 by its NLPID, after an optional padding byte, or in SNAP.
        for header in [
            &[0x03, 0xcc][..],
            &[0x03, 0x00, 0xcc],
            &[0x03, 0x80, 0, 0, 0, 8, 0],
        ] {
            assert_eq!(reads(relay, &nlpid(header, &udp)), Dissection::NoTcp);
            assert!(needs_wireshark(reads(relay, &nlpid(header, &tcp))));
        }
        // IS-IS and Q.933 hold no TCP; PPP goes to tshark.
        assert_eq!(
            reads(relay, &nlpid(&[0x03, 0x83], &[0; 20])),
            Dissection::NoTcp
        );
        assert_eq!(
            reads(relay, &nlpid(&[0x03, 0x08], &[0; 20])),
            Dissection::NoTcp
        );
        assert!(needs_wireshark(reads(
            relay,
            &nlpid(&[0x03, 0xcf], &[0x00, 0x21])
        )));
        // Cisco's encapsulation: an ether type after the address.
        assert_eq!(reads(relay, &nlpid(&[0x08, 0x00], &udp)), Dissection::NoTcp);
        assert!(needs_wireshark(reads(relay, &nlpid(&[0x08, 0x00], &tcp))));
        // Raw Ethernet, and a 4-byte address.
        assert!(needs_wireshark(reads(relay, &nlpid(&[], &frame(0, 5)))));
        let long_address = [&[0x18, 0x40, 0x00, 0x01, 0x03, 0xcc][..], &tcp].concat();
        assert!(needs_wireshark(reads(relay, &long_address)));
        // XID frames, and frames cut in the address.
        assert_eq!(reads(relay, &nlpid(&[0xaf, 0xcc], &tcp)), Dissection::NoTcp);
        assert_eq!(reads(relay, &[0x18, 0x40]), Dissection::NoTcp);
    }

    #[test]
    fn llc_saps_and_ether_types_that_carry_ip_are_followed() {
        let ethernet = frames::ETHERNET;
        let tcp = datagram();
        let llc = |header: &[u8], body: &[u8]| {
            let payload = [header, body].concat();
            ethernet_frame(payload.len() as u16, &payload)
        };
        // SNAP in an I frame (a 2-byte control field); IP's own SAP and OSI's with IP's NLPID, which
        // go to tshark.
        let snap_i_frame = [0xaa, 0xaa, 0x00, 0x00, 0, 0, 0, 0x08, 0x00];
        let in_i_frame = reads(ethernet, &llc(&snap_i_frame, &tcp));
        assert!(matches!(in_i_frame, Dissection::Tcp(_)));
        assert!(needs_wireshark(reads(
            ethernet,
            &llc(&[0x06, 0x06, 0x03], &tcp)
        )));
        assert!(needs_wireshark(reads(
            ethernet,
            &llc(&[0xfe, 0xfe, 0x03, 0xcc], &tcp)
        )));
        let is_is = llc(&[0xfe, 0xfe, 0x03, 0x83], &[0; 30]);
        assert_eq!(reads(ethernet, &is_is), Dissection::NoTcp);
        // A VLAN tag under Linux cooked capture, and ether types of encapsulations.
        let mut sll = vec![0u8; 14];
        sll.extend([0x81, 0x00, 0x00, 0x05, 0x08, 0x00]);
        sll.extend(&tcp);
        assert!(matches!(reads(frames::LINUX_SLL, &sll), Dissection::Tcp(_)));
        for ether_type in [0x8926, 0x892f, 0xa0ed, 0x8909] {
            let frame = ethernet_frame(ether_type, &tcp);
            assert!(needs_wireshark(reads(ethernet, &frame)));
        }
        // Cisco HDLC carrying OSI: IP behind NLPID 0xcc after the padding byte.
        let osi = [&[0x0f, 0x00, 0xfe, 0xfe, 0x00, 0xcc][..], &tcp].concat();
        assert!(needs_wireshark(reads(frames::C_HDLC, &osi)));
        let is_is = [0x0f, 0x00, 0xfe, 0xfe, 0x83, 0, 0];
        assert_eq!(reads(frames::C_HDLC, &is_is), Dissection::NoTcp);
    }

    #[test]
    fn ppp_in_hdlc_framing_reads_as_ppp() {
        let ppp = |body: &[u8]| [&[0xff, 0x03, 0x00, 0x21][..], body].concat();
        assert_eq!(
            reads(frames::PPP_HDLC, &ppp(&udp_datagram())),
            Dissection::NoTcp
        );
        assert!(needs_wireshark(reads(frames::PPP_HDLC, &ppp(&datagram()))));
    }

    #[test]
    fn linux_cooked_frames_follow_the_device_and_protocol() {
        const ETHER: u16 = 1;
        let v1 = |hatype: u16, protocol: u16, payload: &[u8]| {
            let header = [
                &[0, 0][..],
                &hatype.to_be_bytes(),
                &[0; 10],
                &protocol.to_be_bytes(),
            ]
            .concat();
            reads(frames::LINUX_SLL, &[&header[..], payload].concat())
        };
        let v2 = |hatype: u16, protocol: u16, payload: &[u8]| {
            let header = [
                &protocol.to_be_bytes()[..],
                &[0; 6],
                &hatype.to_be_bytes(),
                &[0; 10],
            ]
            .concat();
            reads(frames::LINUX_SLL2, &[&header[..], payload].concat())
        };
        for cooked in [v1, v2] {
            assert!(matches!(
                cooked(ETHER, 0x0800, &datagram()),
                Dissection::Tcp(_)
            ));
            // Linux's own protocol numbers: a whole Ethernet frame, 802.2 LLC, PPP in HDLC
            // framing, and one this reader does not follow (802.15.4, which can carry 6LoWPAN).
            assert!(matches!(
                cooked(ETHER, 0x0003, &frame(1, 5)),
                Dissection::Tcp(_)
            ));
            assert_eq!(
                cooked(ETHER, 0x0004, &[0x42, 0x42, 0x03, 0, 0]),
                Dissection::NoTcp
            );
            let ppp = [&[0xff, 0x03, 0x00, 0x21][..], &datagram()].concat();
            assert!(needs_wireshark(cooked(ETHER, 0x0007, &ppp)));
            assert!(needs_wireshark(cooked(ETHER, 0x00f6, &[0; 40])));
            // Netlink devices, and a GRE device's ERSPAN, read either way.
            assert!(needs_wireshark(cooked(824, 0x0800, &datagram())));
            let mirrored = [&[0x10, 0, 0, 0, 0, 0, 0, 0][..], &frame(0, 5)].concat();
            assert!(needs_wireshark(cooked(778, 0x88be, &mirrored)));
            assert!(needs_wireshark(cooked(778, 0x88be, &frame(0, 5))));
            assert_eq!(
                cooked(778, 0x88be, &ethernet_frame(0x0806, &[0; 28])),
                Dissection::NoTcp
            );
            assert!(matches!(
                cooked(778, 0x0800, &datagram()),
                Dissection::Tcp(_)
            ));
        }
    }

    #[test]
    fn icmp_errors_number_quoted_tcp_and_leave_quoted_tunnels_to_wireshark() {
        // Destination unreachable (3), quoting `quoted`.
        let error = |quoted: &[u8]| ip_frame(1, &[&[3, 1, 0, 0, 0, 0, 0, 0][..], quoted].concat());
        let Dissection::Quoted(key) = reads(frames::ETHERNET, &error(&datagram())) else {
            panic!("the quoted TCP header is numbered");
        };
        assert_eq!(
            (key.src_port, key.dst_port, key.learns_base),
            (40000, 80, false)
        );
        let quoting = |protocol: u8, payload: &[u8]| {
            let mut header = datagram()[..20].to_vec();
            header[9] = protocol;
            error(&[&header[..], payload].concat())
        };
        let vxlan = [
            &0x9999u16.to_be_bytes()[..],
            &4789u16.to_be_bytes(),
            &[0; 4],
        ]
        .concat();
        let probe = [
            &0x9999u16.to_be_bytes()[..],
            &33434u16.to_be_bytes(),
            &[0; 4],
        ]
        .concat();
        let echo = [8, 0, 0, 0, 0, 0, 0, 0];
        let unreachable = [3, 3, 0, 0, 0, 0, 0, 0];
        assert!(needs_wireshark(reads(
            frames::ETHERNET,
            &quoting(47, &[0, 0, 8, 0])
        )));
        assert!(needs_wireshark(reads(
            frames::ETHERNET,
            &quoting(4, &datagram())
        )));
        assert!(needs_wireshark(reads(
            frames::ETHERNET,
            &quoting(17, &vxlan)
        )));
        assert!(needs_wireshark(reads(
            frames::ETHERNET,
            &quoting(1, &unreachable)
        )));
        assert_eq!(
            reads(frames::ETHERNET, &quoting(17, &probe)),
            Dissection::NoTcp
        );
        assert_eq!(
            reads(frames::ETHERNET, &quoting(1, &echo)),
            Dissection::NoTcp
        );
    }

    #[test]
    fn ip_protocols_that_carry_ip_go_to_wireshark_and_pim_registers_are_proven() {
        for protocol in [51, 97, 115, 137, 143] {
            assert!(
                needs_wireshark(reads(frames::ETHERNET, &ip_frame(protocol, &frame(0, 5)))),
                "IP protocol {protocol}"
            );
        }
        assert_eq!(
            reads(frames::ETHERNET, &ip_frame(89, &[0; 24])),
            Dissection::NoTcp
        );
        let register =
            |inner: &[u8]| ip_frame(103, &[&[0x21, 0, 0, 0, 0, 0, 0, 0][..], inner].concat());
        assert!(needs_wireshark(reads(
            frames::ETHERNET,
            &register(&datagram())
        )));
        assert_eq!(
            reads(frames::ETHERNET, &register(&udp_datagram())),
            Dissection::NoTcp
        );
        // A PIM hello, and PIM version 1 in IGMP.
        assert_eq!(
            reads(frames::ETHERNET, &ip_frame(103, &[0x20, 0, 0, 0])),
            Dissection::NoTcp
        );
        assert!(needs_wireshark(reads(
            frames::ETHERNET,
            &ip_frame(2, &[0x14, 1, 0, 0])
        )));
    }

    #[test]
    fn cisco_isl_and_udp_ports_that_carry_frames_go_to_wireshark() {
        let mut isl = frame(0, 5);
        isl[..6].copy_from_slice(&[0x01, 0x00, 0x0c, 0x00, 0x00, 0x00]);
        isl[12..14].copy_from_slice(&60u16.to_be_bytes());
        assert!(needs_wireshark(reads(frames::ETHERNET, &isl)));
        // The same destination with an ether type is an ordinary frame.
        isl[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
        assert!(matches!(reads(frames::ETHERNET, &isl), Dissection::Tcp(_)));
        for port in [5247, 2268, 12222] {
            assert!(
                needs_wireshark(reads(frames::ETHERNET, &udp_frame(40000, port, &[0; 64]))),
                "UDP port {port}"
            );
        }
        assert_eq!(
            reads(frames::ETHERNET, &udp_frame(40000, 53, &[0; 64])),
            Dissection::NoTcp
        );
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
