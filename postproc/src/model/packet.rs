//! The seam between the engines that read captures and the fold that makes rows: one TCP
//! segment of one frame with the plugin's labels for it.

use std::net::IpAddr;

use tinyvec::TinyVec;

use crate::vocab::seconds::Seconds;
use tcpwave_core::{AnomalySet, Flags, HandshakeVerdict, TcpState, TeardownVerdict};

/// The handshake or teardown steps one packet takes: one or two, rarely more, kept without an
/// allocation of their own (every packet has them).
pub type Steps = TinyVec<[u8; 4]>;

/// What one frame tells about its TCP segment and the plugin's labels for it.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledPacket {
    pub frame: u64,
    pub time: Seconds,
    pub stream: u64,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub src_port: u16,
    pub dst_port: u16,
    pub flags: Flags,
    pub payload_len: u32,
    /// The carrying IP datagram's length, header included (Zeek's IP bytes).
    pub ip_len: u32,
    pub seq: u32,
    pub ack: u32,
    pub window: u32,
    pub handshake_steps: Steps,
    pub teardown_steps: Steps,
    pub repeat: bool,
    pub state_client: Option<TcpState>,
    pub state_server: Option<TcpState>,
    /// False when a step's ack does not fit (`tcpwave.ack_ok == 0`).
    pub ack_ok: bool,
    pub expected_ack: Option<u32>,
    pub handshake_rtt: Option<Seconds>,
    pub syn_to_synack: Option<Seconds>,
    pub synack_to_ack: Option<Seconds>,
    pub teardown_duration: Option<Seconds>,
    pub conn_handshake: Option<HandshakeVerdict>,
    pub conn_teardown: Option<TeardownVerdict>,
    /// The plugin's expert items on this packet.
    pub anomalies: AnomalySet,
}
