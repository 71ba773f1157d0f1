//! The small pieces of markup every part of the page uses: escaping, durations for reading,
//! verdict colours and chips, and the ids that link a table row to its diagram.

use std::borrow::Cow;

use tcpwave_core::{Anomaly, HandshakeVerdict, TeardownVerdict};

/// `text` with the characters that could end an element's text or an attribute's value escaped.
pub(super) fn escape(text: &str) -> Cow<'_, str> {
    if !text.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 16);
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    Cow::Owned(escaped)
}

/// A duration for reading: three significant digits and a unit (`38 µs`, `1.25 ms`, `2 s`).
pub(super) fn readable_duration(seconds: f64) -> String {
    if seconds == 0.0 {
        return "0 s".to_owned();
    }
    let (value, unit) = match seconds.abs() {
        magnitude if magnitude < 1e-6 => (seconds * 1e9, "ns"),
        magnitude if magnitude < 1e-3 => (seconds * 1e6, "µs"),
        magnitude if magnitude < 1.0 => (seconds * 1e3, "ms"),
        _ => (seconds, "s"),
    };
    let decimals = match value.abs() {
        magnitude if magnitude >= 100.0 => 0,
        magnitude if magnitude >= 10.0 => 1,
        _ => 2,
    };
    let digits = format!("{value:.decimals$}");
    let digits = if digits.contains('.') {
        digits.trim_end_matches('0').trim_end_matches('.')
    } else {
        &digits
    };
    format!("{digits} {unit}")
}

/// How a verdict reads: the colour it is shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tone {
    Good,
    Neutral,
    Warn,
    Bad,
}

impl Tone {
    pub(super) fn class(self) -> &'static str {
        match self {
            Tone::Good => "good",
            Tone::Neutral => "neutral",
            Tone::Warn => "warn",
            Tone::Bad => "bad",
        }
    }

    pub(super) fn of_handshake(verdict: HandshakeVerdict) -> Tone {
        match verdict {
            HandshakeVerdict::Complete => Tone::Good,
            HandshakeVerdict::Simultaneous | HandshakeVerdict::Midstream => Tone::Neutral,
            HandshakeVerdict::Incomplete => Tone::Warn,
            HandshakeVerdict::Refused | HandshakeVerdict::Unanswered => Tone::Bad,
        }
    }

    pub(super) fn of_teardown(verdict: TeardownVerdict) -> Tone {
        match verdict {
            TeardownVerdict::FourWay | TeardownVerdict::ThreeWay => Tone::Good,
            TeardownVerdict::Simultaneous | TeardownVerdict::None => Tone::Neutral,
            TeardownVerdict::HalfClosed | TeardownVerdict::OneWay => Tone::Warn,
            TeardownVerdict::Reset => Tone::Bad,
        }
    }
}

/// A verdict as a coloured word; a dash when the plugin gave none.
pub(super) fn verdict_chip(word: Option<(&str, Tone)>) -> String {
    match word {
        Some((word, tone)) => format!(
            "<span class=\"verdict {}\">{}</span>",
            tone.class(),
            escape(word)
        ),
        None => "<span class=\"absent\">—</span>".to_owned(),
    }
}

pub(super) fn anomaly_chips(anomalies: &[Anomaly]) -> String {
    anomalies
        .iter()
        .map(|kind| format!("<span class=\"chip\">{}</span>", escape(kind.as_str())))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The id of a connection's table row, and of its diagram: capture index and stream.
pub(super) fn row_id(capture: usize, stream: u64) -> String {
    format!("row-{capture}-{stream}")
}

pub(super) fn diagram_id(capture: usize, stream: u64) -> String {
    format!("ladder-{capture}-{stream}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::seconds::Seconds;

    #[test]
    fn escapes_what_could_break_out_of_text_or_attributes() {
        assert_eq!(
            escape(r#"<i class='x'>&"</i>"#),
            "&lt;i class=&#39;x&#39;&gt;&amp;&quot;&lt;/i&gt;"
        );
        assert!(matches!(escape("10.0.0.1:80"), Cow::Borrowed(_)));
    }

    #[test]
    fn durations_read_with_three_digits_and_a_unit() {
        let read = |nanos| readable_duration(Seconds::from_nanos(nanos).as_f64());
        assert_eq!(read(0), "0 s");
        assert_eq!(read(500), "500 ns");
        assert_eq!(read(38_000), "38 µs");
        assert_eq!(read(1_250_000), "1.25 ms");
        assert_eq!(read(12_340_000), "12.3 ms");
        assert_eq!(read(2_000_000_000), "2 s");
        assert_eq!(read(123_456_000_000), "123 s");
    }
}
