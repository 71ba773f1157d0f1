//! `tcpwave report --format html`: one self-contained page with the summary (charts and totals),
//! a sortable table of the connections and a ladder diagram per connection. Its CSS, JavaScript
//! and SVG are inline, and its Content-Security-Policy forbids every fetch, so it opens anywhere,
//! offline, and a capture cannot make it load anything.
//!
//! The summary comes first but is known only at the end, so the page is written once every
//! capture is read. Meanwhile each connection's table row and diagram are rendered as it ends and
//! kept in an anonymous temporary file (the spool) with only their places in memory: memory grows
//! by a few dozen bytes per connection, not by its diagram. At the end they are copied out in
//! capture order (as given) and stream order.
//!
//! Everything that comes from a capture (file names, addresses, words) goes through [`escape`].

mod charts;
mod ladder;
mod table;

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::connection::Finished;
use crate::summary::Tally;
use tcpwave_core::{Anomaly, HandshakeVerdict, TeardownVerdict};

const STYLE: &str = include_str!("page.css");
const SORTING: &str = include_str!("sort.js");

/// Only inline styles and scripts, and the inline favicon: nothing is fetched.
const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

/// `text` with the characters that could end an element's text or an attribute's value escaped.
fn escape(text: &str) -> Cow<'_, str> {
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
fn readable_duration(seconds: f64) -> String {
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
enum Tone {
    Good,
    Neutral,
    Warn,
    Bad,
}

impl Tone {
    fn class(self) -> &'static str {
        match self {
            Tone::Good => "good",
            Tone::Neutral => "neutral",
            Tone::Warn => "warn",
            Tone::Bad => "bad",
        }
    }

    fn of_handshake(verdict: HandshakeVerdict) -> Tone {
        match verdict {
            HandshakeVerdict::Complete => Tone::Good,
            HandshakeVerdict::Simultaneous | HandshakeVerdict::Midstream => Tone::Neutral,
            HandshakeVerdict::Incomplete => Tone::Warn,
            HandshakeVerdict::Refused | HandshakeVerdict::Unanswered => Tone::Bad,
        }
    }

    fn of_teardown(verdict: TeardownVerdict) -> Tone {
        match verdict {
            TeardownVerdict::FourWay | TeardownVerdict::ThreeWay => Tone::Good,
            TeardownVerdict::Simultaneous | TeardownVerdict::None => Tone::Neutral,
            TeardownVerdict::HalfClosed | TeardownVerdict::OneWay => Tone::Warn,
            TeardownVerdict::Reset => Tone::Bad,
        }
    }
}

/// A verdict as a coloured word; a dash when the plugin gave none.
fn verdict_chip(word: Option<(&str, Tone)>) -> String {
    match word {
        Some((word, tone)) => format!(
            "<span class=\"verdict {}\">{}</span>",
            tone.class(),
            escape(word)
        ),
        None => "<span class=\"absent\">—</span>".to_owned(),
    }
}

fn anomaly_chips(anomalies: &[Anomaly]) -> String {
    anomalies
        .iter()
        .map(|kind| format!("<span class=\"chip\">{}</span>", escape(kind.as_str())))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The id of a connection's table row, and of its diagram: capture index and stream.
fn row_id(capture: usize, stream: u64) -> String {
    format!("row-{capture}-{stream}")
}

fn diagram_id(capture: usize, stream: u64) -> String {
    format!("ladder-{capture}-{stream}")
}

fn plural(count: u64, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

#[derive(Debug)]
enum CaptureState {
    /// Not read to its end (the run was interrupted).
    Unread,
    Read,
    Failed(String),
}

#[derive(Debug)]
struct Capture {
    name: String,
    connections: u64,
    state: CaptureState,
}

/// Where one connection's table row and diagram are in the spool.
#[derive(Debug)]
struct Spooled {
    capture: usize,
    stream: u64,
    row: Range<u64>,
    diagram: Range<u64>,
}

/// The page being gathered; [`Page::finish`] writes it.
pub struct Page<W: Write> {
    out: W,
    captures: Vec<Capture>,
    capture_index: HashMap<String, usize>,
    /// With more than one capture, the table gets a capture column.
    several_captures: bool,
    spool: BufWriter<File>,
    spool_length: u64,
    spooled: Vec<Spooled>,
    tally: Tally,
    with_anomalies: u64,
}

impl<W: Write> Page<W> {
    pub fn new(out: W, captures: &[PathBuf]) -> io::Result<Self> {
        let mut page = Page {
            out,
            captures: Vec::new(),
            capture_index: HashMap::new(),
            several_captures: captures.len() > 1,
            spool: BufWriter::new(tempfile::tempfile()?),
            spool_length: 0,
            spooled: Vec::new(),
            tally: Tally::default(),
            with_anomalies: 0,
        };
        for path in captures {
            page.capture(&path.display().to_string());
        }
        Ok(page)
    }

    /// The index of the capture named `name`, added if it is new.
    fn capture(&mut self, name: &str) -> usize {
        if let Some(index) = self.capture_index.get(name) {
            return *index;
        }
        self.captures.push(Capture {
            name: name.to_owned(),
            connections: 0,
            state: CaptureState::Unread,
        });
        self.capture_index
            .insert(name.to_owned(), self.captures.len() - 1);
        self.captures.len() - 1
    }

    fn spool(&mut self, html: &str) -> io::Result<Range<u64>> {
        self.spool.write_all(html.as_bytes())?;
        let start = self.spool_length;
        self.spool_length += html.len() as u64;
        Ok(start..self.spool_length)
    }

    pub fn connection(&mut self, finished: Finished) -> io::Result<()> {
        let Finished { row, ladder } = finished;
        let capture = self.capture(&row.file);
        let table_row = table::row(&row, capture, self.several_captures);
        let diagram = ladder::figure(&row, &ladder.unwrap_or_default(), capture);
        let spooled = Spooled {
            capture,
            stream: row.stream,
            row: self.spool(&table_row)?,
            diagram: self.spool(&diagram)?,
        };
        self.spooled.push(spooled);
        self.captures[capture].connections += 1;
        self.with_anomalies += u64::from(!row.anomalies.is_empty());
        self.tally.add(&row);
        Ok(())
    }

    pub fn capture_done(&mut self, name: &str, problem: Option<&str>) {
        let capture = self.capture(name);
        self.captures[capture].state = match problem {
            Some(problem) => CaptureState::Failed(problem.to_owned()),
            None => CaptureState::Read,
        };
    }

    /// Writes the whole page.
    pub fn finish(mut self) -> io::Result<()> {
        let spool = self
            .spool
            .into_inner()
            .map_err(|error| error.into_error())?;
        self.spooled
            .sort_by_key(|spooled| (spooled.capture, spooled.stream));
        let mut copy = SpoolReader {
            spool,
            buffer: Vec::new(),
        };
        let out = &mut self.out;
        out.write_all(head(&self.captures).as_bytes())?;
        let summary = summary(
            &mut self.tally,
            &self.captures,
            self.with_anomalies,
            self.several_captures,
        );
        out.write_all(summary.as_bytes())?;

        out.write_all(table::opening(self.several_captures).as_bytes())?;
        for spooled in &self.spooled {
            copy.range(&spooled.row, out)?;
        }
        out.write_all(table::CLOSING.as_bytes())?;

        out.write_all(ladder::SECTION_OPENING.as_bytes())?;
        let mut spooled = self.spooled.iter().peekable();
        for (index, capture) in self.captures.iter().enumerate() {
            if capture.connections == 0 {
                continue;
            }
            writeln!(
                out,
                "<section class=\"capture\" id=\"capture-{index}\"><h3>{}</h3>",
                escape(&capture.name)
            )?;
            while let Some(diagram) = spooled.next_if(|spooled| spooled.capture == index) {
                copy.range(&diagram.diagram, out)?;
            }
            out.write_all(b"</section>\n")?;
        }
        out.write_all(b"</section>\n")?;
        write!(out, "<script>\n{SORTING}</script>\n</body>\n</html>\n")?;
        out.flush()
    }
}

/// Reads pieces of the spool back.
struct SpoolReader {
    spool: File,
    buffer: Vec<u8>,
}

impl SpoolReader {
    fn range(&mut self, range: &Range<u64>, out: &mut impl Write) -> io::Result<()> {
        self.buffer.resize((range.end - range.start) as usize, 0);
        self.spool.read_exact_at(&mut self.buffer, range.start)?;
        out.write_all(&self.buffer)
    }
}

fn head(captures: &[Capture]) -> String {
    let title = match captures {
        [only] => format!("tcpwave report: {}", file_name(&only.name)),
        _ => format!("tcpwave report: {} captures", captures.len()),
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CONTENT_SECURITY_POLICY}\">\n\
         <meta name=\"generator\" content=\"tcpwave {version}\">\n\
         <title>{title}</title>\n<link rel=\"icon\" href=\"data:,\">\n\
         <style>\n{STYLE}</style>\n</head>\n<body>\n",
        version = env!("CARGO_PKG_VERSION"),
        title = escape(&title),
    )
}

/// The last part of a capture's path, for headings that the full path would crowd.
fn file_name(path: &str) -> &str {
    Path::new(path)
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or(path)
}

fn summary(
    tally: &mut Tally,
    captures: &[Capture],
    with_anomalies: u64,
    several_captures: bool,
) -> String {
    let report = tally.report(Anomaly::ALL.len());
    let connections = report.connections;
    let complete = report
        .handshake
        .get(HandshakeVerdict::Complete.as_str())
        .copied()
        .unwrap_or(0);
    let source = match captures {
        [only] => escape(file_name(&only.name)).into_owned(),
        _ => plural(captures.len() as u64, "capture", "captures"),
    };
    let mut html = format!(
        "<header><h1>tcpwave report</h1><p class=\"subtitle\">{} in {source} · every TCP \
         connection's handshake and teardown, as the tcpwave Wireshark plugin labels them</p>\
         </header>\n<section class=\"panel\" id=\"summary\"><h2>Summary</h2>\n\
         <div class=\"totals\">\n",
        plural(connections, "connection", "connections"),
    );
    let total = |value: String, what: String| {
        format!("<div class=\"total\"><div class=\"value\">{value}</div><div class=\"what\">{what}</div></div>\n")
    };
    html += &total(connections.to_string(), "connections".to_owned());
    html += &total(
        complete.to_string(),
        format!("complete handshakes (of {connections})"),
    );
    html += &match &report.handshake_rtt {
        Some(rtt) => total(
            readable_duration(rtt.p50),
            format!(
                "median handshake RTT · p90 {} · max {}",
                readable_duration(rtt.p90),
                readable_duration(rtt.max)
            ),
        ),
        None => total("—".to_owned(), "handshake RTT: none completed".to_owned()),
    };
    html += &total(
        with_anomalies.to_string(),
        "connections with anomalies".to_owned(),
    );
    html += "</div>\n<div class=\"charts\">\n";
    html += &charts::verdicts(&report);
    html += &charts::rtt_histogram(tally.handshake_rtts(), report.handshake_rtt.as_ref());
    html += "</div>\n";
    if several_captures
        || captures
            .iter()
            .any(|capture| !matches!(capture.state, CaptureState::Read))
    {
        html += &capture_list(captures);
    }
    html + "</section>\n"
}

fn capture_list(captures: &[Capture]) -> String {
    let mut html = "<h3>Captures</h3>\n<ul class=\"captures\">\n".to_owned();
    for (index, capture) in captures.iter().enumerate() {
        let name = escape(&capture.name);
        let name = if capture.connections > 0 {
            format!("<a href=\"#capture-{index}\">{name}</a>")
        } else {
            name.into_owned()
        };
        let count = plural(capture.connections, "connection", "connections");
        html += &match &capture.state {
            CaptureState::Read => format!("<li>{name}: {count}</li>\n"),
            CaptureState::Failed(problem) => format!(
                "<li class=\"problem\">{name}: {count}; <strong>not read to its end</strong>: {}</li>\n",
                escape(problem)
            ),
            CaptureState::Unread => {
                format!("<li class=\"problem\">{name}: {count}; <strong>interrupted</strong> before its end</li>\n")
            }
        };
    }
    html + "</ul>\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ladder::Ladder;
    use crate::output::tests::sample;
    use crate::seconds::Seconds;

    #[test]
    fn connections_come_grouped_by_capture_then_stream_and_escaped() {
        let (first, second) = ("first <b>.pcap", "dir/a,b.pcap");
        let mut out = Vec::new();
        let mut page = Page::new(&mut out, &[PathBuf::from(first), PathBuf::from(second)]).unwrap();
        for (file, stream) in [(second, 7), (first, 2), (second, 3)] {
            let mut row = sample(stream);
            row.file = file.to_owned();
            let ladder = Some(Ladder::default());
            page.connection(Finished { row, ladder }).unwrap();
        }
        page.capture_done(first, None);
        page.capture_done(second, Some("cut short"));
        page.finish().unwrap();
        let html = String::from_utf8(out).unwrap();

        let places: Vec<usize> = [
            "row-0-2\"",
            "row-1-3\"",
            "row-1-7\"",
            "id=\"capture-0\"",
            "ladder-0-2\"><figcaption>",
            "id=\"capture-1\"",
            "ladder-1-3\"><figcaption>",
            "ladder-1-7\"><figcaption>",
        ]
        .iter()
        .map(|id| html.find(id).unwrap_or_else(|| panic!("no {id}")))
        .collect();
        assert!(
            places.windows(2).all(|pair| pair[0] < pair[1]),
            "{places:?}"
        );
        assert!(
            html.contains("href=\"#ladder-1-7\""),
            "rows link to diagrams"
        );
        assert!(html.contains("href=\"#row-1-7\""), "diagrams link back");
        assert!(!html.contains("<b>") && html.contains("first &lt;b&gt;.pcap"));
        assert!(html.contains("cut short"));
        assert!(html.contains(CONTENT_SECURITY_POLICY));
        assert_eq!(html.matches("<svg class=\"ladder\"").count(), 3);
        assert!(html.ends_with("</html>\n"));
    }

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
