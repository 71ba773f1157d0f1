//! The words tcpwave shows users: field values of the plugin and columns of the CLI's reports.
//! They are a public interface, so each lives here once, with its spelling.

use std::ffi::CStr;
use std::fmt;
use std::str::FromStr;

/// An unknown word where one of a vocabulary's words was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownWord {
    pub vocabulary: &'static str,
    pub word: String,
}

impl fmt::Display for UnknownWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}' is not a {} word", self.word, self.vocabulary)
    }
}

impl std::error::Error for UnknownWord {}

macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident, $what:literal { $($variant:ident => $word:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum $name { $($variant,)+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word,)+ }
            }

            /// The word NUL-terminated, for C APIs that copy strings.
            pub fn as_cstr(self) -> &'static CStr {
                // Checked once, at compile time, rather than on every packet.
                const WORDS: &[&CStr] = &[$(match CStr::from_bytes_with_nul(concat!($word, "\0").as_bytes()) {
                    Ok(word) => word,
                    Err(_) => panic!("vocabulary words contain no NUL"),
                },)+];
                WORDS[self as usize]
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownWord;
            fn from_str(word: &str) -> Result<Self, UnknownWord> {
                match word {
                    $($word => Ok($name::$variant),)+
                    _ => Err(UnknownWord { vocabulary: $what, word: word.to_owned() }),
                }
            }
        }
    };
}

vocabulary! {
    /// Which part of its connection's life a packet belongs to (`tcpwave.phase`).
    Phase, "phase" {
        Handshake => "handshake",
        Established => "established",
        Teardown => "teardown",
        Closed => "closed",
        Reset => "reset",
        Midstream => "midstream",
    }
}

vocabulary! {
    /// RFC 793 connection states (section 3.2), spelled as `netstat` and textbooks do.
    TcpState, "TCP state" {
        Closed => "CLOSED",
        SynSent => "SYN_SENT",
        SynReceived => "SYN_RECEIVED",
        Established => "ESTABLISHED",
        FinWait1 => "FIN_WAIT_1",
        FinWait2 => "FIN_WAIT_2",
        CloseWait => "CLOSE_WAIT",
        Closing => "CLOSING",
        LastAck => "LAST_ACK",
        TimeWait => "TIME_WAIT",
    }
}

vocabulary! {
    /// How a connection's handshake went (`tcpwave.conn.handshake`).
    HandshakeVerdict, "handshake verdict" {
        Complete => "complete",
        Refused => "refused",
        Unanswered => "unanswered",
        Incomplete => "incomplete",
        Simultaneous => "simultaneous",
        Midstream => "midstream",
    }
}

vocabulary! {
    /// How a connection ended (`tcpwave.conn.teardown`).
    TeardownVerdict, "teardown verdict" {
        FourWay => "four-way",
        ThreeWay => "three-way",
        Simultaneous => "simultaneous",
        Reset => "reset",
        HalfClosed => "half-closed",
        OneWay => "one-way",
        None => "none",
    }
}

vocabulary! {
    /// Kinds of trouble the plugin reports as expert info (`tcpwave.expert.<kind>`) and the CLI
    /// lists in its `anomalies` column.
    Anomaly, "anomaly" {
        Refused => "refused",
        Abort => "abort",
        Unanswered => "unanswered",
        Retransmission => "retransmission",
        SimultaneousOpen => "simultaneous_open",
        SimultaneousClose => "simultaneous_close",
        HalfClose => "half_close",
        Midstream => "midstream",
        BadAck => "bad_ack",
        IsnChanged => "isn_changed",
        OneWay => "one_way",
    }
}

impl Anomaly {
    /// Whether a packet is marked [`Anomaly::Unanswered`]: a SYN (handshake step 1) of a
    /// connection whose handshake, over the whole capture, went unanswered. The plugin marks the
    /// packets; a reader that sees a connection's verdict only at its end marks its row.
    pub fn marks_unanswered_syn(carries_syn_step: bool, handshake: HandshakeVerdict) -> bool {
        carries_syn_step && handshake == HandshakeVerdict::Unanswered
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_reads_back_as_itself() {
        for state in TcpState::ALL {
            assert_eq!(state.as_str().parse::<TcpState>(), Ok(*state));
        }
        for verdict in TeardownVerdict::ALL {
            assert_eq!(verdict.to_string().parse::<TeardownVerdict>(), Ok(*verdict));
        }
        assert_eq!("three-way".parse(), Ok(TeardownVerdict::ThreeWay));
        assert_eq!("midstream".parse(), Ok(Phase::Midstream));
        assert_eq!(TcpState::FinWait2.as_cstr(), c"FIN_WAIT_2");
    }

    #[test]
    fn unknown_words_name_their_vocabulary() {
        let err = "LISTEN".parse::<TcpState>().unwrap_err();
        assert_eq!(err.to_string(), "'LISTEN' is not a TCP state word");
    }
}
