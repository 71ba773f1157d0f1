//! What the state machine is told about one TCP layer of one frame: its [`Segment`], whose
//! header [`Flags`] it carries, and the two [`Side`]s of a connection.

/// TCP header flags, as Wireshark's `tcp.flags` holds them (RFC 793 section 3.1, RFC 3168).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags(pub u16);

impl Flags {
    pub const FIN: u16 = 0x001;
    pub const SYN: u16 = 0x002;
    pub const RST: u16 = 0x004;
    pub const PSH: u16 = 0x008;
    pub const ACK: u16 = 0x010;

    /// The flags of a TCP header from its bytes 12 and 13 (RFC 793 section 3.1): the NS bit
    /// (RFC 3540) is the low bit of byte 12, the eight others are byte 13.
    pub fn from_header_bytes(byte12: u8, byte13: u8) -> Flags {
        Flags(u16::from(byte12 & 0x01) << 8 | u16::from(byte13))
    }

    pub fn has(self, bit: u16) -> bool {
        self.0 & bit != 0
    }

    pub fn fin(self) -> bool {
        self.has(Flags::FIN)
    }

    pub fn syn(self) -> bool {
        self.has(Flags::SYN)
    }

    pub fn rst(self) -> bool {
        self.has(Flags::RST)
    }

    pub fn ack(self) -> bool {
        self.has(Flags::ACK)
    }

    /// `SYN,ACK`, `FIN,PSH,ACK`, … in the order of Wireshark's Info column; `<none>` for none.
    pub fn names(self) -> String {
        const NAMED: [(u16, &str); 5] = [
            (Flags::FIN, "FIN"),
            (Flags::SYN, "SYN"),
            (Flags::RST, "RST"),
            (Flags::PSH, "PSH"),
            (Flags::ACK, "ACK"),
        ];
        let names: Vec<&str> = NAMED
            .iter()
            .filter(|(bit, _)| self.has(*bit))
            .map(|(_, name)| *name)
            .collect();
        if names.is_empty() {
            "<none>".to_owned()
        } else {
            names.join(",")
        }
    }
}

/// One TCP layer of one frame: what the machine needs to know about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub frame: u32,
    /// Capture time in nanoseconds since the epoch.
    pub time_ns: i64,
    /// Wireshark's `tcp.stream`.
    pub stream: u32,
    /// Identifies the sending endpoint (address and port) within its stream.
    pub sender: u64,
    pub flags: Flags,
    /// Raw (absolute) sequence and acknowledgment numbers.
    pub seq: u32,
    pub ack: u32,
    pub payload_len: u32,
    pub src_port: u16,
    pub dst_port: u16,
}

impl Segment {
    /// A [`Segment::sender`] from the source address's bytes (as the IP header holds them) and
    /// port: FNV-1a over both, which tells the two endpoints of a stream apart.
    pub fn sender_key(address: &[u8], port: u16) -> u64 {
        address
            .iter()
            .chain(&port.to_be_bytes())
            .fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
                (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
            })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Side {
    Client,
    Server,
}

impl Side {
    pub fn peer(self) -> Side {
        match self {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Side::Client => "client",
            Side::Server => "server",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_named_in_wireshark_order() {
        assert_eq!(Flags(0x12).names(), "SYN,ACK");
        assert_eq!(Flags(0x19).names(), "FIN,PSH,ACK");
        assert_eq!(Flags(0).names(), "<none>");
        assert_eq!(Flags::from_header_bytes(0x51, 0x12), Flags(0x112));
    }
}
