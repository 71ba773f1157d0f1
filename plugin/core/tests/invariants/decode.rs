//! Arbitrary bytes to packet sequences that look enough like TCP to reach deep into the machine:
//! every sender keeps a next sequence number that its packets usually follow and its peers usually
//! acknowledge, so handshakes and teardowns complete, while the rest of the byte space picks
//! hostile values (numbers at the wrap points, every flag combination, huge stream ids and payload
//! lengths, frames repeated or going backwards, timestamps jumping to the extremes).

use std::collections::HashMap;

use tcpwave_core::{Flags, Segment};

/// One frame as Wireshark's first pass hands it over: its number and its TCP layers.
#[derive(Debug, Clone)]
pub struct Frame {
    pub number: u32,
    pub layers: Vec<Segment>,
}

/// A few streams, among them the largest ids a `tcp.stream` can have.
const STREAMS: [u32; 6] = [0, 1, 2, 3, 0x8000_0000, u32::MAX];

const S: u16 = Flags::SYN;
const A: u16 = Flags::ACK;
const F: u16 = Flags::FIN;
const R: u16 = Flags::RST;
const P: u16 = Flags::PSH;
/// Flag combinations, the common ones more than once so that connections get somewhere.
const FLAGS: [u16; 20] = [
    S,
    S | A,
    A,
    A,
    A,
    A | P,
    A | P,
    F | A,
    F | A,
    F,
    R,
    R | A,
    S | F,
    S | R,
    S | F | A,
    S | R | A,
    F | R,
    F | R | A,
    0,
    P,
];

/// Sequence numbers where modulo-2^32 arithmetic and signed comparisons turn over.
const WRAP_POINTS: [u32; 6] = [
    u32::MAX,
    u32::MAX - 1,
    u32::MAX - 2,
    0x7FFF_FFFF,
    0x8000_0000,
    0,
];

/// What a sender has sent so far.
#[derive(Debug, Clone, Copy, Default)]
struct SenderModel {
    next_seq: u32,
    last_seq: u32,
}

/// The input, read front to back; reads past its end give zeros.
struct Input<'a> {
    rest: &'a [u8],
}

impl Input<'_> {
    fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    fn byte(&mut self) -> u8 {
        match self.rest.split_first() {
            Some((&byte, rest)) => {
                self.rest = rest;
                byte
            }
            None => 0,
        }
    }

    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    fn i64(&mut self) -> i64 {
        i64::from(self.u32()) << 32 | i64::from(self.u32())
    }

    fn wrap_point(&mut self) -> u32 {
        WRAP_POINTS[usize::from(self.byte()) % WRAP_POINTS.len()]
    }
}

/// Decodes `bytes` into frames, as many as the bytes describe.
pub fn decode(bytes: &[u8]) -> Vec<Frame> {
    let mut input = Input { rest: bytes };
    let mut senders: HashMap<(u32, u64), SenderModel> = HashMap::new();
    // Each stream's senders, the latest last: a sender acknowledges the latest of the others.
    let mut recent_senders: HashMap<u32, Vec<u64>> = HashMap::new();
    let mut frames = Vec::new();
    let (mut number, mut time_ns) = (0u32, 1_700_000_000_000_000_000i64);
    while !input.is_empty() {
        number = next_frame_number(&mut input, number);
        time_ns = next_time(&mut input, time_ns);
        let layer_count = match input.byte() {
            0..=199 => 1,
            200..=219 => 2,
            220..=229 => 3,
            _ => 0,
        };
        let layers = (0..layer_count)
            .map(|_| {
                let stream = STREAMS[usize::from(input.byte()) % STREAMS.len()];
                // Mostly two endpoints; a third one sometimes, which the machine must put on a side.
                let sender = match input.byte() % 8 {
                    0..=3 => 1,
                    4..=6 => 2,
                    _ => 3,
                };
                let recent = recent_senders.entry(stream).or_default();
                let peer = recent.iter().rev().find(|&&other| other != sender).copied();
                recent.retain(|&other| other != sender);
                recent.push(sender);
                let peer = peer.and_then(|peer| senders.get(&(stream, peer)).copied());
                let model = senders.entry((stream, sender)).or_default();
                let segment =
                    decode_segment(&mut input, number, time_ns, stream, sender, *model, peer);
                let flag_space = u32::from(segment.flags.has(Flags::SYN))
                    + u32::from(segment.flags.has(Flags::FIN));
                *model = SenderModel {
                    next_seq: segment
                        .seq
                        .wrapping_add(segment.payload_len)
                        .wrapping_add(flag_space),
                    last_seq: segment.seq,
                };
                segment
            })
            .collect();
        frames.push(Frame { number, layers });
    }
    frames
}

/// Mostly the next number; sometimes the same again, an earlier one, or a gap.
fn next_frame_number(input: &mut Input, previous: u32) -> u32 {
    match input.byte() {
        0..=215 => previous.saturating_add(1),
        216..=231 => previous,
        byte @ 232..=243 => previous.saturating_sub(1 + u32::from(byte % 3)),
        byte => previous.saturating_add(2 + u32::from(byte % 4)),
    }
}

/// Mostly later by a little; sometimes the same, earlier, or an extreme.
fn next_time(input: &mut Input, previous: i64) -> i64 {
    match input.byte() {
        byte @ 0..=199 => previous.saturating_add(i64::from(byte) * 1_000),
        200..=239 => previous,
        byte @ 240..=251 => previous.saturating_sub(i64::from(byte) * 1_000_000),
        252 => i64::MIN,
        253 => i64::MAX,
        254 => 0,
        _ => input.i64(),
    }
}

fn decode_segment(
    input: &mut Input,
    frame: u32,
    time_ns: i64,
    stream: u32,
    sender: u64,
    own: SenderModel,
    peer: Option<SenderModel>,
) -> Segment {
    let flags = match input.byte() {
        byte @ 0..=223 => FLAGS[usize::from(byte) % FLAGS.len()],
        // Any of the nine flag bits Wireshark's tcp.flags holds.
        _ => u16::from_le_bytes([input.byte(), input.byte()]) & 0x1FF,
    };
    let seq = match input.byte() % 8 {
        0..=3 => own.next_seq,
        4 => own.last_seq,
        5 => input.u32(),
        6 => input.wrap_point(),
        _ => own
            .next_seq
            .wrapping_add_signed(i32::from(input.byte() as i8)),
    };
    let peer_next = peer.map_or(0, |peer| peer.next_seq);
    let ack = match input.byte() % 8 {
        0..=3 => peer_next,
        4 => peer_next.wrapping_sub(1),
        5 => peer.map_or(0, |peer| peer.last_seq),
        6 => input.u32(),
        _ => input.wrap_point(),
    };
    let payload_len = match input.byte() {
        0..=159 => 0,
        byte @ 160..=239 => u32::from(byte - 159),
        240..=254 => u32::from(u16::from_le_bytes([input.byte(), input.byte()])),
        _ => input.u32(),
    };
    // Ports no server is known for, so the first packet's sender is the client.
    Segment {
        frame,
        time_ns,
        stream,
        sender,
        flags: Flags(flags),
        seq,
        ack,
        payload_len,
        src_port: 50_000,
        dst_port: 50_001,
    }
}

/// A small, fast pseudo-random generator (Steele, Lea and Flood's SplitMix64) for reproducible
/// samples and shuffles without a dependency.
#[derive(Debug, Clone)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `bound` (which must not be 0); the slight bias does not matter here.
    pub fn below(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound as u64) as usize
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for last in (1..items.len()).rev() {
            items.swap(last, self.below(last + 1));
        }
    }
}
