//! Just enough of a capture writer to make hostile captures in-process: the classic pcap format
//! (nanosecond timestamps, Ethernet link type) and Ethernet/IPv4/IPv6/TCP framing with correct
//! lengths. TCP checksums are left zero: Wireshark does not check them unless asked to.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

/// TCP header flags (RFC 793 section 3.1).
pub const FIN: u16 = 0x001;
pub const SYN: u16 = 0x002;
pub const RST: u16 = 0x004;
pub const PSH: u16 = 0x008;
pub const ACK: u16 = 0x010;

/// The pcap magic number for nanosecond timestamps.
const MAGIC_NANOSECONDS: u32 = 0xA1B2_3C4D;
const LINKTYPE_ETHERNET: u32 = 1;
const SNAPLEN: u32 = 262_144;
const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86DD;
pub const PROTOCOL_TCP: u8 = 6;
const TCP_HEADER_LEN: usize = 20;

/// One TCP segment between two endpoints.
#[derive(Debug, Clone, Copy)]
pub struct Segment {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub flags: u16,
    pub seq: u32,
    pub ack: u32,
    pub payload_len: usize,
}

impl Segment {
    pub fn new(src: SocketAddr, dst: SocketAddr, flags: u16, seq: u32, ack: u32) -> Segment {
        Segment {
            src,
            dst,
            flags,
            seq,
            ack,
            payload_len: 0,
        }
    }

    pub fn with_payload(self, payload_len: usize) -> Segment {
        Segment {
            payload_len,
            ..self
        }
    }

    /// The TCP header (no options) and a payload of zeros.
    pub fn tcp_bytes(&self) -> Vec<u8> {
        let mut tcp = Vec::with_capacity(TCP_HEADER_LEN + self.payload_len);
        tcp.extend_from_slice(&self.src.port().to_be_bytes());
        tcp.extend_from_slice(&self.dst.port().to_be_bytes());
        tcp.extend_from_slice(&self.seq.to_be_bytes());
        tcp.extend_from_slice(&self.ack.to_be_bytes());
        // Data offset in 32-bit words, then the nine flag bits (the NS bit is the lowest of byte 12).
        let offset_and_flags = (TCP_HEADER_LEN as u16 / 4) << 12 | (self.flags & 0x1FF);
        tcp.extend_from_slice(&offset_and_flags.to_be_bytes());
        tcp.extend_from_slice(&65_535u16.to_be_bytes()); // window
        tcp.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
        tcp.resize(TCP_HEADER_LEN + self.payload_len, 0);
        tcp
    }

    /// The Ethernet frame carrying the segment over IPv4 or IPv6, as its addresses are.
    pub fn frame(&self) -> Vec<u8> {
        ip_frame(
            self.src.ip(),
            self.dst.ip(),
            PROTOCOL_TCP,
            &self.tcp_bytes(),
        )
    }
}

/// An Ethernet frame carrying `payload` in an IP packet from `src` to `dst`, both of one family.
pub fn ip_frame(src: IpAddr, dst: IpAddr, protocol: u8, payload: &[u8]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(14 + 40 + payload.len());
    frame.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x02]); // destination MAC
    frame.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x01]); // source MAC
    match (src, dst) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => {
            frame.extend_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
            let total_len = u16::try_from(20 + payload.len()).expect("an IPv4 packet fits 64 KiB");
            let mut header = [0u8; 20];
            header[0] = 0x45; // version 4, 5 words
            header[2..4].copy_from_slice(&total_len.to_be_bytes());
            header[8] = 64; // TTL
            header[9] = protocol;
            header[12..16].copy_from_slice(&src.octets());
            header[16..20].copy_from_slice(&dst.octets());
            let checksum = internet_checksum(&header);
            header[10..12].copy_from_slice(&checksum.to_be_bytes());
            frame.extend_from_slice(&header);
        }
        (IpAddr::V6(src), IpAddr::V6(dst)) => {
            frame.extend_from_slice(&ETHERTYPE_IPV6.to_be_bytes());
            let payload_len = u16::try_from(payload.len()).expect("an IPv6 payload fits 64 KiB");
            frame.extend_from_slice(&[0x60, 0, 0, 0]); // version 6, no traffic class or flow label
            frame.extend_from_slice(&payload_len.to_be_bytes());
            frame.extend_from_slice(&[protocol, 64]); // next header, hop limit
            frame.extend_from_slice(&src.octets());
            frame.extend_from_slice(&dst.octets());
        }
        _ => panic!("{src} and {dst} are of different IP versions"),
    }
    frame.extend_from_slice(payload);
    frame
}

/// RFC 1071 checksum, for the IPv4 header.
fn internet_checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = bytes
        .chunks(2)
        .map(|pair| u32::from(u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xFFFF {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    !(sum as u16)
}

/// A pcap file being written.
pub struct PcapWriter {
    out: BufWriter<File>,
}

impl PcapWriter {
    pub fn create(path: &Path) -> PcapWriter {
        let file =
            File::create(path).unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        let mut writer = PcapWriter {
            out: BufWriter::new(file),
        };
        let mut header = Vec::with_capacity(24);
        header.extend_from_slice(&MAGIC_NANOSECONDS.to_le_bytes());
        header.extend_from_slice(&2u16.to_le_bytes()); // version 2.4
        header.extend_from_slice(&4u16.to_le_bytes());
        header.extend_from_slice(&[0; 8]); // time zone, timestamp accuracy
        header.extend_from_slice(&SNAPLEN.to_le_bytes());
        header.extend_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
        writer.write_all(&header);
        writer
    }

    /// Appends a frame captured whole at `time_ns` nanoseconds after the epoch.
    pub fn write(&mut self, time_ns: u64, frame: &[u8]) {
        self.write_cut(time_ns, frame, frame.len());
    }

    /// Appends a frame of which only the first `captured` bytes were captured (a short snaplen).
    pub fn write_cut(&mut self, time_ns: u64, frame: &[u8], captured: usize) {
        let captured = captured.min(frame.len());
        let seconds = u32::try_from(time_ns / 1_000_000_000).expect("a time before 2106");
        let mut record = Vec::with_capacity(16 + captured);
        record.extend_from_slice(&seconds.to_le_bytes());
        record.extend_from_slice(&((time_ns % 1_000_000_000) as u32).to_le_bytes());
        record.extend_from_slice(&(captured as u32).to_le_bytes());
        record.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        record.extend_from_slice(&frame[..captured]);
        self.write_all(&record);
    }

    pub fn finish(mut self) {
        self.out.flush().expect("writing a capture");
    }

    fn write_all(&mut self, bytes: &[u8]) {
        self.out.write_all(bytes).expect("writing a capture");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_header_checksum_verifies_to_zero() {
        let src: SocketAddr = "10.0.0.1:40000".parse().unwrap();
        let dst: SocketAddr = "10.0.0.2:80".parse().unwrap();
        let frame = Segment::new(src, dst, SYN, 1, 0).with_payload(3).frame();
        let ip_header = &frame[14..34];
        assert_eq!(internet_checksum(ip_header), 0);
        assert_eq!(
            u16::from_be_bytes([ip_header[2], ip_header[3]]),
            20 + 20 + 3
        );
        assert_eq!(frame.len(), 14 + 20 + 20 + 3);
        assert_eq!(frame[14 + 20 + 13], SYN as u8);
    }

    #[test]
    fn ipv6_payload_length_counts_the_tcp_segment() {
        let src: SocketAddr = "[2001:db8::1]:40000".parse().unwrap();
        let dst: SocketAddr = "[2001:db8::2]:80".parse().unwrap();
        let frame = Segment::new(src, dst, ACK, 1, 2).with_payload(5).frame();
        assert_eq!(u16::from_be_bytes([frame[18], frame[19]]), 25);
        assert_eq!(frame.len(), 14 + 40 + 25);
    }
}
