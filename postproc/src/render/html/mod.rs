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
mod ladder_svg;
mod markup;
mod table;

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::model::finished::Finished;
use crate::model::tally::Tally;
use crate::vocab::words::plural;
use markup::{escape, readable_duration};
use tcpwave_core::{Anomaly, HandshakeVerdict};

const STYLE: &str = include_str!("page.css");
const SORTING: &str = include_str!("sort.js");

/// Only inline styles and scripts, and the inline favicon: nothing is fetched.
const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

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
        let diagram = ladder_svg::figure(&row, &ladder.unwrap_or_default(), capture);
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

        out.write_all(ladder_svg::section_opening().as_bytes())?;
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
    use crate::model::ladder::Ladder;
    use crate::model::row::tests::sample;

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
}
