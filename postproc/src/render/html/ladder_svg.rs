//! A connection's ladder ([`crate::model::ladder::Ladder`]) drawn as SVG, the way TCP textbooks draw
//! it: the client's and the server's lines going down, one arrow per handshake or teardown
//! packet (and every other SYN, FIN or RST) sloping down as time passes, labelled with frame,
//! step, flags and relative seq/ack; each side's state beside its line where the packet leaves
//! or arrives; the packets in between as one band with their count.
//!
//! Colours and dashes come from classes the page's style sheet defines (and the legend shows):
//! the arrow's kind (handshake, teardown, reset, other), `repeat`, and `bad` for an ack that does
//! not fit its step.

use std::fmt::Write as _;

use super::markup::{
    anomaly_chips, diagram_id, escape, readable_duration, row_id, verdict_chip, Tone,
};
use crate::model::ladder::{Arrow, Ladder, Line, MAX_ARROWS};
use crate::model::row::Row;
use tcpwave_core::Step;

const WIDTH: f64 = 800.0;
const TIME_RIGHT: f64 = 70.0;
const CLIENT_X: f64 = 220.0;
const SERVER_X: f64 = 660.0;
const MIDDLE_X: f64 = (CLIENT_X + SERVER_X) / 2.0;
/// Between a side's line and its state.
const STATE_GAP: f64 = 8.0;
const HEADING: f64 = 56.0;
const ARROW_ROW: f64 = 46.0;
/// How far an arrow falls while it crosses: time passes on the way.
const ARROW_FALL: f64 = 14.0;
const BAND_ROW: f64 = 36.0;
const FOOT: f64 = 14.0;
const HEAD_LENGTH: f64 = 10.0;
const HEAD_HALF_WIDTH: f64 = 4.5;
/// Labels longer than this are squeezed to fit between the two lines.
const LABEL_CHARACTERS: usize = 64;

const SECTION_OPENING: &str = "<section class=\"panel\" id=\"ladders\"><h2>Ladder diagrams</h2>\n\
<div class=\"legend\">\
<span><svg class=\"key\" width=\"44\" height=\"12\"><g class=\"arrow handshake\"><line x1=\"2\" y1=\"6\" x2=\"34\" y2=\"6\"/><polygon points=\"42,6 32,1.5 32,10.5\"/></g></svg>handshake step</span>\
<span><svg class=\"key\" width=\"44\" height=\"12\"><g class=\"arrow teardown\"><line x1=\"2\" y1=\"6\" x2=\"34\" y2=\"6\"/><polygon points=\"42,6 32,1.5 32,10.5\"/></g></svg>teardown step</span>\
<span><svg class=\"key\" width=\"44\" height=\"12\"><g class=\"arrow reset\"><line x1=\"2\" y1=\"6\" x2=\"34\" y2=\"6\"/><polygon points=\"42,6 32,1.5 32,10.5\"/></g></svg>RST</span>\
<span><svg class=\"key\" width=\"44\" height=\"12\"><g class=\"arrow control\"><line x1=\"2\" y1=\"6\" x2=\"34\" y2=\"6\"/><polygon points=\"42,6 32,1.5 32,10.5\"/></g></svg>SYN or FIN that is no step</span>\
<span><svg class=\"key\" width=\"44\" height=\"12\"><g class=\"arrow handshake repeat\"><line x1=\"2\" y1=\"6\" x2=\"34\" y2=\"6\"/><polygon points=\"42,6 32,1.5 32,10.5\"/></g></svg>repeated step (retransmission)</span>\
<span><svg class=\"key\" width=\"44\" height=\"12\"><g class=\"arrow bad\"><line x1=\"2\" y1=\"6\" x2=\"34\" y2=\"6\"/><polygon points=\"42,6 32,1.5 32,10.5\"/></g></svg>ack that does not fit its step</span>\
<span><svg class=\"key\" width=\"44\" height=\"12\"><rect class=\"band\" x=\"2\" y=\"1\" width=\"40\" height=\"10\" rx=\"5\"/></svg>other packets, folded</span>\
</div>\n\
<p class=\"hint\">STEPS. \
seq and ack are relative to each side's initial sequence number; beside each line stands that \
side's state after the packet. Times are since the connection's first packet.</p>\n";

/// The section's opening, with the steps named as tcpwave-core names them.
pub fn section_opening() -> String {
    let named = |kind: fn(u8) -> Step| {
        Step::ALL
            .into_iter()
            .filter(|step| *step == kind(step.number()))
            .map(|step| format!("{} {}", step.short_name(), step.packet_name()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    SECTION_OPENING.replace(
        "STEPS",
        &format!("{}; {}", named(Step::Handshake), named(Step::Teardown)),
    )
}

/// The arrow's kind, which gives its colour.
fn kind(arrow: &Arrow) -> &'static str {
    if arrow.flags.rst() {
        "reset"
    } else if !arrow.ack_ok {
        "bad"
    } else if !arrow.teardown_steps.is_empty() {
        "teardown"
    } else if !arrow.handshake_steps.is_empty() {
        "handshake"
    } else {
        "control"
    }
}

fn text(svg: &mut String, class: &str, anchor: &str, x: f64, y: f64, content: &str) {
    let _ = write!(
        svg,
        "<text class=\"{class}\" text-anchor=\"{anchor}\" x=\"{x:.1}\" y=\"{y:.1}\">{}</text>",
        escape(content)
    );
}

fn draw_arrow(svg: &mut String, arrow: &Arrow, top: f64) {
    let (from_x, to_x) = if arrow.from_client {
        (CLIENT_X, SERVER_X)
    } else {
        (SERVER_X, CLIENT_X)
    };
    let (leave_y, arrive_y) = (top + 24.0, top + 24.0 + ARROW_FALL);
    let repeat = if arrow.repeat { " repeat" } else { "" };
    let _ = write!(svg, "<g class=\"arrow {}{repeat}\">", kind(arrow));

    // The head's tip touches the receiver's line; the shaft stops where the head begins.
    let (dx, dy) = (to_x - from_x, arrive_y - leave_y);
    let length = dx.hypot(dy);
    let (ux, uy) = (dx / length, dy / length);
    let (base_x, base_y) = (to_x - ux * HEAD_LENGTH, arrive_y - uy * HEAD_LENGTH);
    let (nx, ny) = (-uy * HEAD_HALF_WIDTH, ux * HEAD_HALF_WIDTH);
    let _ = write!(
        svg,
        "<line x1=\"{from_x:.1}\" y1=\"{leave_y:.1}\" x2=\"{base_x:.1}\" y2=\"{base_y:.1}\"/>\
         <polygon points=\"{to_x:.1},{arrive_y:.1} {:.1},{:.1} {:.1},{:.1}\"/>",
        base_x + nx,
        base_y + ny,
        base_x - nx,
        base_y - ny
    );

    let squeeze = if arrow.label().chars().count() > LABEL_CHARACTERS {
        format!(
            " textLength=\"{:.0}\" lengthAdjust=\"spacingAndGlyphs\"",
            SERVER_X - CLIENT_X - 20.0
        )
    } else {
        String::new()
    };
    let steps = arrow.steps();
    let _ = write!(
        svg,
        "<text class=\"label\" text-anchor=\"middle\" x=\"{MIDDLE_X}\" y=\"{:.1}\"{squeeze}>\
         <tspan class=\"frame\">#{}</tspan> ",
        top + 16.0,
        arrow.frame
    );
    if !steps.is_empty() {
        let _ = write!(svg, "<tspan class=\"step\">{steps}</tspan> ");
    }
    if arrow.repeat {
        svg.push_str("<tspan class=\"repeat-word\">repeat</tspan> ");
    }
    let _ = write!(
        svg,
        "<tspan class=\"flags\">{}</tspan> <tspan class=\"numbers\">{}</tspan></text>",
        escape(&arrow.flags.names()),
        escape(&arrow.numbers())
    );
    svg.push_str("</g>");

    let (client_y, server_y) = if arrow.from_client {
        (leave_y, arrive_y)
    } else {
        (arrive_y, leave_y)
    };
    // Baselines a third of the font below the point, so the words sit level with it.
    if let Some(state) = arrow.client_state {
        text(
            svg,
            "state",
            "end",
            CLIENT_X - STATE_GAP,
            client_y + 4.0,
            state.as_str(),
        );
    }
    if let Some(state) = arrow.server_state {
        text(
            svg,
            "state",
            "start",
            SERVER_X + STATE_GAP,
            server_y + 4.0,
            state.as_str(),
        );
    }
    text(
        svg,
        "time",
        "end",
        TIME_RIGHT,
        leave_y + 4.0,
        &readable_duration(arrow.time.as_f64()),
    );
}

fn draw_band(svg: &mut String, words: &str, top: f64) {
    let _ = write!(
        svg,
        "<rect class=\"band\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"22\" rx=\"11\"/>",
        x = CLIENT_X + 14.0,
        y = top + 7.0,
        w = SERVER_X - CLIENT_X - 28.0
    );
    text(svg, "band-words", "middle", MIDDLE_X, top + 22.0, words);
}

/// The SVG drawing alone.
fn drawing(row: &Row, ladder: &Ladder) -> String {
    let bands = usize::from(ladder.undrawn() > 0);
    let height = HEADING
        + ladder
            .lines()
            .iter()
            .map(|line| match line {
                Line::Arrow(_) => ARROW_ROW,
                Line::Folded(_) => BAND_ROW,
            })
            .sum::<f64>()
        + BAND_ROW * bands as f64
        + FOOT;
    let mut svg = format!(
        "<svg class=\"ladder\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" \
         role=\"img\" aria-label=\"Ladder diagram of stream {stream}, {client} to {server}\">\n",
        stream = row.stream,
        client = escape(&row.orig.to_string()),
        server = escape(&row.resp.to_string()),
    );
    for (x, role, endpoint) in [
        (CLIENT_X, "client", &row.orig),
        (SERVER_X, "server", &row.resp),
    ] {
        text(&mut svg, "role", "middle", x, 18.0, role);
        text(
            &mut svg,
            "endpoint",
            "middle",
            x,
            36.0,
            &endpoint.to_string(),
        );
        let _ = write!(
            svg,
            "<line class=\"rail\" x1=\"{x}\" y1=\"{top}\" x2=\"{x}\" y2=\"{bottom:.1}\"/>",
            top = HEADING - 10.0,
            bottom = height - FOOT + 6.0
        );
    }
    svg.push('\n');
    let mut top = HEADING;
    for line in ladder.lines() {
        match line {
            Line::Arrow(arrow) => {
                draw_arrow(&mut svg, arrow, top);
                top += ARROW_ROW;
            }
            Line::Folded(folded) => {
                draw_band(&mut svg, &folded.summary(), top);
                top += BAND_ROW;
            }
        }
        svg.push('\n');
    }
    if ladder.undrawn() > 0 {
        let words = format!(
            "{} more packets not drawn (a diagram shows {MAX_ARROWS} arrows)",
            ladder.undrawn()
        );
        draw_band(&mut svg, &words, top);
    }
    svg + "</svg>\n"
}

/// A connection's figure: a caption with its verdicts (linking back to its table row) above its
/// ladder diagram.
pub fn figure(row: &Row, ladder: &Ladder, capture: usize) -> String {
    let handshake = verdict_chip(row.handshake.map(|v| (v.as_str(), Tone::of_handshake(v))));
    let teardown = verdict_chip(row.teardown.map(|v| (v.as_str(), Tone::of_teardown(v))));
    format!(
        "<figure class=\"diagram\" id=\"{id}\"><figcaption><a class=\"to-row\" href=\"#{row_id}\" \
         title=\"back to the table\">stream {stream}</a> \
         <span class=\"endpoints\">{client} → {server}</span> \
         <span class=\"pair\">handshake {handshake}</span> <span class=\"pair\">teardown {teardown}</span> \
         <span class=\"pair\">Zeek <code>{state}</code> <code>{history}</code></span> {anomalies}\
         </figcaption>\n{drawing}</figure>\n",
        id = diagram_id(capture, row.stream),
        row_id = row_id(capture, row.stream),
        stream = row.stream,
        client = escape(&row.orig.to_string()),
        server = escape(&row.resp.to_string()),
        state = escape(row.conn_state),
        history = escape(&row.history),
        anomalies = anomaly_chips(&row.anomalies),
        drawing = drawing(row, ladder),
    )
}
