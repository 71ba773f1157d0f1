//! Times and durations as tshark prints them (decimal seconds, nanosecond digits) and as the
//! reports print them (seconds with exactly six decimals).
//!
//! Kept as integer nanoseconds so that subtracting two epoch times loses nothing to floating
//! point.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Seconds {
    nanos: i64,
}

impl Seconds {
    pub const fn from_secs(seconds: i64) -> Self {
        Seconds {
            nanos: seconds * 1_000_000_000,
        }
    }

    pub fn from_nanos(nanos: i64) -> Self {
        Seconds { nanos }
    }

    pub fn as_f64(self) -> f64 {
        self.nanos as f64 / 1e9
    }

    /// Parses `1700000000.123456789`, `0.000045000` or `-0.5`; None for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        if whole.is_empty() && fraction.is_empty() {
            return None;
        }
        let digit = |byte: u8| byte.is_ascii_digit().then(|| i64::from(byte - b'0'));
        let mut whole_seconds: i64 = 0;
        for byte in whole.bytes() {
            whole_seconds = whole_seconds.checked_mul(10)?.checked_add(digit(byte)?)?;
        }
        // Nanoseconds: the first nine decimals count, the others must still be digits.
        let mut fraction_nanos: i64 = 0;
        let mut place = 100_000_000;
        for byte in fraction.bytes() {
            fraction_nanos += digit(byte)? * place;
            place /= 10;
        }
        let nanos = whole_seconds
            .checked_mul(1_000_000_000)?
            .checked_add(fraction_nanos)?;
        Some(Seconds {
            nanos: if negative { -nanos } else { nanos },
        })
    }

    /// Whole microseconds, rounded as [`Display`](fmt::Display) rounds them (half away from
    /// zero), so a Parquet timestamp shows the same instant as the CSV.
    pub fn as_micros(self) -> i64 {
        // At most i64::MAX / 1000 + 1: the cast back to i64 cannot wrap.
        let micros = ((self.nanos.unsigned_abs() + 500) / 1000) as i64;
        if self.nanos < 0 {
            -micros
        } else {
            micros
        }
    }

    pub fn saturating_sub(self, earlier: Seconds) -> Seconds {
        Seconds {
            nanos: self.nanos.saturating_sub(earlier.nanos),
        }
    }
}

impl Seconds {
    /// Appends the time as [`Display`](fmt::Display) shows it, without the formatting machinery:
    /// reports write several per row.
    pub fn push_to(self, out: &mut Vec<u8>) {
        let magnitude = self.nanos.unsigned_abs();
        let micros = (magnitude + 500) / 1000;
        if self.nanos < 0 && micros > 0 {
            out.push(b'-');
        }
        out.extend_from_slice(itoa::Buffer::new().format(micros / 1_000_000).as_bytes());
        // The fraction, zero-padded to six digits: the digits of 1_000_000 + fraction but its 1.
        let fraction = 1_000_000 + micros % 1_000_000;
        out.push(b'.');
        out.extend_from_slice(&itoa::Buffer::new().format(fraction).as_bytes()[1..]);
    }
}

/// Six decimals, rounded to the nearest microsecond (half away from zero).
impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = Vec::with_capacity(24);
        self.push_to(&mut text);
        // Digits, a sign and a point: ASCII.
        f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tshark_times() {
        assert_eq!(
            Seconds::parse("0.000045000"),
            Some(Seconds::from_nanos(45_000))
        );
        assert_eq!(
            Seconds::parse("1700000000.123456789"),
            Some(Seconds::from_nanos(1_700_000_000_123_456_789))
        );
        assert_eq!(
            Seconds::parse("2"),
            Some(Seconds::from_nanos(2_000_000_000))
        );
        assert_eq!(
            Seconds::parse("-0.5"),
            Some(Seconds::from_nanos(-500_000_000))
        );
        assert_eq!(Seconds::parse(""), None);
        assert_eq!(Seconds::parse("1.2.3"), None);
        assert_eq!(Seconds::parse("abc"), None);
        assert_eq!(Seconds::parse("."), None);
        assert_eq!(Seconds::parse("1.2x"), None);
        assert_eq!(Seconds::parse("+1"), None);
        assert_eq!(
            Seconds::parse(".0000000019"),
            Some(Seconds::from_nanos(1)),
            "decimals past the ninth are dropped"
        );
        assert_eq!(Seconds::parse("9223372036854775808"), None, "too large");
    }

    #[test]
    fn micros_round_as_printed() {
        for nanos in [
            0,
            45_499,
            45_500,
            -45_500,
            1_700_000_000_000_000_500,
            i64::MIN,
        ] {
            let seconds = Seconds::from_nanos(nanos);
            let micros = seconds.as_micros();
            let printed = format!(
                "{}{}.{:06}",
                if micros < 0 { "-" } else { "" },
                micros.unsigned_abs() / 1_000_000,
                micros.unsigned_abs() % 1_000_000
            );
            assert_eq!(printed, seconds.to_string(), "{nanos} ns");
        }
    }

    #[test]
    fn prints_six_decimals_rounded() {
        assert_eq!(Seconds::from_nanos(45_000).to_string(), "0.000045");
        assert_eq!(Seconds::from_nanos(45_499).to_string(), "0.000045");
        assert_eq!(Seconds::from_nanos(45_500).to_string(), "0.000046");
        assert_eq!(
            Seconds::from_nanos(1_700_000_000_123_456_789).to_string(),
            "1700000000.123457"
        );
        assert_eq!(Seconds::from_nanos(-1_500_000).to_string(), "-0.001500");
        assert_eq!(Seconds::from_nanos(-100).to_string(), "0.000000");
    }
}
