//! The frames of a pcap or pcapng file (optionally gzipped), read with `pcap-parser`: each with
//! its number (counted from 1, as Wireshark's `frame.number`), time, link type and captured
//! bytes. A pcapng file's interfaces may differ in link type and time resolution.
//!
//! The file is untrusted: a block is read into a buffer that grows only up to [`MAX_BLOCK`], so a
//! corrupt length cannot size an allocation, and a file cut short ends the frames with the
//! message tshark gives for it.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::ops::ControlFlow;
use std::path::Path;

use flate2::read::MultiGzDecoder;
use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{create_reader, Linktype, PcapBlockOwned, PcapError};

/// Room for the largest block Wireshark reads (its limit for a pcapng block is 16 MiB).
const MAX_BLOCK: usize = 16 * 1024 * 1024;
const FIRST_BUFFER: usize = 256 * 1024;

/// One captured frame.
#[derive(Debug)]
pub struct Frame<'a> {
    pub number: u64,
    /// Nanoseconds since the epoch, as Wireshark computes with the time (seconds plus its
    /// nanosecond count, which a damaged record may put past a second or below zero).
    pub time_ns: i64,
    /// The time the tshark engine reads from `frame.time_epoch`, which shows such a count as
    /// digits (the same time for every well-formed record).
    pub shown_time_ns: i64,
    pub link_type: i32,
    pub data: &'a [u8],
    /// The frame's length on the wire (`frame.len`), at least `data`'s.
    pub wire_len: usize,
}

/// Why the frames ended early; the words are tshark's for the same file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadFailure(pub String);

/// An interface of a pcapng section: its link type and how its timestamps count.
#[derive(Debug, Clone, Copy)]
struct Interface {
    link_type: i32,
    /// Timestamp units per second.
    units_per_second: u64,
    offset_seconds: i64,
}

pub struct Frames {
    reader: Box<dyn PcapReaderIterator + Send>,
    state: FileState,
}

/// What the blocks read so far say about the ones to come.
struct FileState {
    name: String,
    /// The legacy pcap header's link type and units per second, once read.
    legacy: Option<(i32, u64)>,
    interfaces: Vec<Interface>,
    next_number: u64,
}

fn open(path: &Path) -> io::Result<Box<dyn Read + Send>> {
    let mut file = File::open(path)?;
    let mut magic = [0u8; 2];
    let read = file.read(&mut magic)?;
    let file = File::open(path)?;
    Ok(if read == 2 && magic == [0x1f, 0x8b] {
        Box::new(MultiGzDecoder::new(BufReader::new(file)))
    } else {
        Box::new(file)
    })
}

impl Frames {
    /// The frames of the capture at `path`; `Err` with tshark's words when it cannot be read.
    pub fn open(path: &Path) -> Result<Frames, ReadFailure> {
        let name = path.display().to_string();
        let input = open(path).map_err(|error| {
            ReadFailure(format!("The file \"{name}\" could not be opened: {error}."))
        })?;
        let reader = create_reader(FIRST_BUFFER, input).map_err(|error| match error {
            PcapError::Eof | PcapError::Incomplete(_) | PcapError::UnexpectedEof => {
                ReadFailure(format!(
                    "The file \"{name}\" appears to have been cut short in the middle of a packet."
                ))
            }
            _ => ReadFailure(format!(
                "The file \"{name}\" isn't a capture file in a format TShark understands."
            )),
        })?;
        Ok(Frames {
            reader,
            state: FileState {
                name,
                legacy: None,
                interfaces: Vec::new(),
                next_number: 1,
            },
        })
    }

    /// Calls `on_frame` with every frame in order, until it breaks; returns why the file ended
    /// early, if it did.
    pub fn for_each(
        mut self,
        mut on_frame: impl FnMut(&Frame<'_>) -> ControlFlow<()>,
    ) -> Option<ReadFailure> {
        let state = &mut self.state;
        loop {
            match self.reader.next() {
                Ok((offset, block)) => {
                    let step = state.block(block, &mut on_frame);
                    self.reader.consume(offset);
                    match step {
                        ControlFlow::Continue(()) => {}
                        ControlFlow::Break(failure) => return failure,
                    }
                }
                Err(PcapError::Eof) => return None,
                Err(PcapError::Incomplete(_)) => {
                    if self.reader.refill().is_err() {
                        return Some(state.cut_short());
                    }
                }
                Err(PcapError::BufferTooSmall) => {
                    let size = self.reader.data().len().max(FIRST_BUFFER) * 2;
                    if size > MAX_BLOCK || !self.reader.grow(size) {
                        return Some(state.damaged());
                    }
                    if self.reader.refill().is_err() {
                        return Some(state.cut_short());
                    }
                }
                Err(PcapError::UnexpectedEof) => return Some(state.cut_short()),
                Err(_) => return Some(state.damaged()),
            }
        }
    }
}

impl FileState {
    fn cut_short(&self) -> ReadFailure {
        ReadFailure(format!(
            "The file \"{}\" appears to have been cut short in the middle of a packet.",
            self.name
        ))
    }

    fn damaged(&self) -> ReadFailure {
        ReadFailure(format!(
            "The file \"{}\" appears to be damaged or corrupt.",
            self.name
        ))
    }

    /// Hands on the block's frame, if it holds one; breaks with a failure, or with none when
    /// `on_frame` asked to stop.
    fn block(
        &mut self,
        block: PcapBlockOwned<'_>,
        on_frame: &mut impl FnMut(&Frame<'_>) -> ControlFlow<()>,
    ) -> ControlFlow<Option<ReadFailure>> {
        match block {
            PcapBlockOwned::LegacyHeader(header) => {
                let units = if header.is_nanosecond_precision() {
                    1_000_000_000
                } else {
                    1_000_000
                };
                self.legacy = Some((link_type_of(header.network.0), units));
            }
            PcapBlockOwned::Legacy(packet) => {
                let Some((link_type, units)) = self.legacy else {
                    return ControlFlow::Break(Some(self.damaged()));
                };
                let data = &packet.data[..(packet.caplen as usize).min(packet.data.len())];
                // Wireshark keeps a record's fraction as it is, in a 32-bit signed count of
                // nanoseconds, even past a second.
                let nanos = if units == 1_000_000 {
                    packet.ts_usec.wrapping_mul(1000)
                } else {
                    packet.ts_usec
                } as i32;
                let time = Time {
                    seconds: i64::from(packet.ts_sec),
                    nanos,
                };
                return self.emit(link_type, time, data, packet.origlen, on_frame);
            }
            PcapBlockOwned::NG(Block::SectionHeader(_)) => self.interfaces.clear(),
            PcapBlockOwned::NG(Block::InterfaceDescription(interface)) => {
                let Some(units_per_second) = interface.ts_resolution().filter(|units| *units > 0)
                else {
                    return ControlFlow::Break(Some(self.damaged()));
                };
                self.interfaces.push(Interface {
                    link_type: interface.linktype.0,
                    units_per_second,
                    offset_seconds: interface.ts_offset(),
                });
            }
            PcapBlockOwned::NG(Block::EnhancedPacket(packet)) => {
                let Some(interface) = self.interfaces.get(packet.if_id as usize).copied() else {
                    return ControlFlow::Break(Some(self.damaged()));
                };
                let data = &packet.data[..(packet.caplen as usize).min(packet.data.len())];
                let units = (u64::from(packet.ts_high) << 32) | u64::from(packet.ts_low);
                let seconds = units / interface.units_per_second;
                let fraction = units % interface.units_per_second;
                let nanos = u128::from(fraction) * 1_000_000_000
                    / u128::from(interface.units_per_second.max(1));
                let time = Time {
                    seconds: i64::try_from(seconds)
                        .unwrap_or(i64::MAX)
                        .saturating_add(interface.offset_seconds),
                    nanos: i32::try_from(nanos).unwrap_or(0),
                };
                return self.emit(interface.link_type, time, data, packet.origlen, on_frame);
            }
            PcapBlockOwned::NG(Block::SimplePacket(packet)) => {
                let Some(interface) = self.interfaces.first().copied() else {
                    return ControlFlow::Break(Some(self.damaged()));
                };
                let data = &packet.data[..(packet.origlen as usize).min(packet.data.len())];
                // A simple packet block has no time.
                let time = Time {
                    seconds: 0,
                    nanos: 0,
                };
                return self.emit(interface.link_type, time, data, packet.origlen, on_frame);
            }
            PcapBlockOwned::NG(_) => {}
        }
        ControlFlow::Continue(())
    }

    fn emit(
        &mut self,
        link_type: i32,
        time: Time,
        data: &[u8],
        wire_len: u32,
        on_frame: &mut impl FnMut(&Frame<'_>) -> ControlFlow<()>,
    ) -> ControlFlow<Option<ReadFailure>> {
        let step = on_frame(&Frame {
            number: self.next_number,
            time_ns: time
                .seconds
                .saturating_mul(1_000_000_000)
                .saturating_add(i64::from(time.nanos)),
            shown_time_ns: shown_time_ns(time.seconds, time.nanos),
            link_type,
            data,
            wire_len: (wire_len as usize).max(data.len()),
        });
        self.next_number += 1;
        match step {
            ControlFlow::Continue(()) => ControlFlow::Continue(()),
            ControlFlow::Break(()) => ControlFlow::Break(None),
        }
    }
}

/// The link type of a pcap header's field, whose upper bits may tell an FCS length (as
/// Wireshark reads it: the low 26 bits).
fn link_type_of(field: i32) -> i32 {
    field & 0x03ff_ffff
}

/// A record's time as Wireshark keeps it: seconds and a nanosecond count.
#[derive(Debug, Clone, Copy)]
struct Time {
    seconds: i64,
    nanos: i32,
}

/// The time tshark shows as `frame.time_epoch` for `seconds` and a nanosecond count that may be
/// negative or past a second (`-` when either is negative, then both magnitudes, the nanoseconds
/// with at least nine digits), as the tshark engine reads it back: nine decimals count.
fn shown_time_ns(seconds: i64, nanos: i32) -> i64 {
    // A u32 has at most ten digits, so the first nine of one past a second drop its last.
    let count = i64::from(nanos.unsigned_abs());
    let fraction = if count < 1_000_000_000 {
        count
    } else {
        count / 10
    };
    let magnitude = i64::try_from(seconds.unsigned_abs())
        .unwrap_or(i64::MAX)
        .saturating_mul(1_000_000_000)
        .saturating_add(fraction);
    if seconds < 0 || nanos < 0 {
        -magnitude
    } else {
        magnitude
    }
}

/// The link types the native engine reads; a capture with any other goes to tshark.
pub const ETHERNET: i32 = Linktype::ETHERNET.0;
pub const NULL: i32 = Linktype::NULL.0;
pub const LOOP: i32 = Linktype::LOOP.0;
pub const RAW: i32 = Linktype::RAW.0;
pub const IPV4: i32 = Linktype::IPV4.0;
pub const IPV6: i32 = Linktype::IPV6.0;
pub const LINUX_SLL: i32 = Linktype::LINUX_SLL.0;
pub const LINUX_SLL2: i32 = Linktype::LINUX_SLL2.0;
/// PPP (bare and in HDLC-like framing, which Wireshark reads alike), Cisco HDLC, Frame Relay, and
/// 802.11 frames bare and behind a radiotap header (tcpdump.org's link type list).
pub const PPP: i32 = 9;
pub const PPP_HDLC: i32 = 50;
pub const C_HDLC: i32 = 104;
pub const FRAME_RELAY: i32 = 107;
pub const IEEE802_11: i32 = 105;
pub const IEEE802_11_RADIOTAP: i32 = 127;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_what_tshark_shows() {
        assert_eq!(shown_time_ns(1, 5_000), 1_000_005_000);
        assert_eq!(shown_time_ns(1, 999_999_999), 1_999_999_999);
        // A microsecond field of 1000000: Wireshark shows `1.1000000000`.
        assert_eq!(shown_time_ns(1, 1_000_000_000), 1_100_000_000);
        // Nanoseconds past 2^31 wrap negative: `-1.2147483648`.
        assert_eq!(shown_time_ns(1, i32::MIN), -1_214_748_364);
    }
}
