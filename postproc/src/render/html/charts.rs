//! The summary's charts, as inline SVG: verdict counts as horizontal bars, and the handshake
//! round-trip times as a histogram with logarithmic bins (RTTs span microseconds on a loopback
//! to seconds behind a retransmitted SYN).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::markup::{escape, readable_duration, Tone};
use crate::model::tally::{Percentiles, TallyReport, UNKNOWN};
use crate::vocab::seconds::Seconds;
use crate::vocab::words::plural;
use tcpwave_core::{HandshakeVerdict, TeardownVerdict};

struct Bar {
    label: String,
    count: u64,
    tone: Tone,
}

const BAR_LENGTH: f64 = 220.0;
const BAR_ROW: f64 = 26.0;
/// Room after the longest bar for its count.
const BAR_COUNT_ROOM: f64 = 44.0;
/// A generous average width of a 13 px character, to size the label column.
const LABEL_CHARACTER_WIDTH: f64 = 7.6;

/// One chart: a bar per entry, its count after it.
fn bar_chart(title: &str, bars: &[Bar]) -> String {
    let height = BAR_ROW * bars.len() as f64 + 6.0;
    let longest = bars.iter().map(|bar| bar.count).max().unwrap_or(0).max(1) as f64;
    let longest_label = bars.iter().map(|bar| bar.label.chars().count()).max();
    let label_width = 12.0 + LABEL_CHARACTER_WIDTH * longest_label.unwrap_or(0) as f64;
    let width = label_width + BAR_LENGTH + BAR_COUNT_ROOM;
    let mut svg = format!(
        "<figure class=\"chart\"><figcaption>{title}</figcaption>\
         <svg class=\"bars\" viewBox=\"0 0 {width:.0} {height}\" width=\"{width:.0}\" \
         height=\"{height}\" role=\"img\" aria-label=\"{title}\">\n",
        title = escape(title)
    );
    for (index, bar) in bars.iter().enumerate() {
        let top = BAR_ROW * index as f64 + 3.0;
        let middle = top + BAR_ROW / 2.0;
        let length = BAR_LENGTH * bar.count as f64 / longest;
        let _ = write!(
            svg,
            "<text class=\"bar-label\" x=\"{x:.0}\" y=\"{middle:.1}\">{label}</text>",
            x = label_width - 10.0,
            label = escape(&bar.label)
        );
        if bar.count > 0 {
            let _ = write!(
                svg,
                "<rect class=\"bar {tone}\" x=\"{label_width:.1}\" y=\"{y:.1}\" width=\"{length:.1}\" \
                 height=\"{h:.1}\" rx=\"3\"><title>{label}: {count}</title></rect>",
                tone = bar.tone.class(),
                y = top + 4.0,
                h = BAR_ROW - 8.0,
                label = escape(&bar.label),
                count = bar.count
            );
        }
        let _ = writeln!(
            svg,
            "<text class=\"bar-count{zero}\" x=\"{x:.1}\" y=\"{middle:.1}\">{count}</text>",
            zero = if bar.count == 0 { " zero" } else { "" },
            x = label_width + length + 6.0,
            count = bar.count
        );
    }
    svg + "</svg></figure>\n"
}

/// Every verdict of a vocabulary, zero or not, so that charts of different reports compare;
/// `unknown` only when some connection had none.
fn verdict_bars<V: Copy>(
    all: &[V],
    word: impl Fn(V) -> &'static str,
    tone: impl Fn(V) -> Tone,
    counts: &BTreeMap<String, u64>,
) -> Vec<Bar> {
    let mut bars: Vec<Bar> = all
        .iter()
        .map(|verdict| Bar {
            label: word(*verdict).to_owned(),
            count: counts.get(word(*verdict)).copied().unwrap_or(0),
            tone: tone(*verdict),
        })
        .collect();
    if let Some(count) = counts.get(UNKNOWN) {
        bars.push(Bar {
            label: UNKNOWN.to_owned(),
            count: *count,
            tone: Tone::Neutral,
        });
    }
    bars
}

/// The handshake, teardown and anomaly charts.
pub fn verdicts(report: &TallyReport) -> String {
    let handshakes = verdict_bars(
        HandshakeVerdict::ALL,
        HandshakeVerdict::as_str,
        Tone::of_handshake,
        &report.handshake,
    );
    let teardowns = verdict_bars(
        TeardownVerdict::ALL,
        TeardownVerdict::as_str,
        Tone::of_teardown,
        &report.teardown,
    );
    let mut html = bar_chart("Handshake verdicts", &handshakes);
    html += &bar_chart("Teardown verdicts", &teardowns);
    // Only the anomalies seen, most frequent first: ten kinds of zero would hide them.
    let anomalies: Vec<Bar> = report
        .top_anomalies
        .iter()
        .map(|(kind, count)| Bar {
            label: kind.clone(),
            count: *count,
            tone: Tone::Warn,
        })
        .collect();
    if anomalies.is_empty() {
        html += "<figure class=\"chart\"><figcaption>Connections by anomaly</figcaption>\
                 <p class=\"none\">No anomalies.</p></figure>\n";
    } else {
        html += &bar_chart("Connections by anomaly", &anomalies);
    }
    html
}

const HISTOGRAM_WIDTH: f64 = 980.0;
const HISTOGRAM_HEIGHT: f64 = 250.0;
const PLOT_LEFT: f64 = 48.0;
const PLOT_RIGHT: f64 = HISTOGRAM_WIDTH - 20.0;
const PLOT_TOP: f64 = 44.0;
const PLOT_BOTTOM: f64 = HISTOGRAM_HEIGHT - 46.0;
const BINS_PER_DECADE: i32 = 4;
/// The fewest decades shown, so that a narrow spread still reads as one.
const MIN_DECADES: i32 = 3;

/// The decades (powers of ten of nanoseconds) the histogram spans: from the one holding the
/// fastest handshake to the one above the slowest.
fn decade_span(fastest_ns: f64, slowest_ns: f64) -> (i32, i32) {
    let mut low = fastest_ns.max(1.0).log10().floor() as i32;
    let mut high = slowest_ns.max(1.0).log10().floor() as i32 + 1;
    // Widened on both sides in turn; never below 1 ns, where tshark's resolution ends.
    while high - low < MIN_DECADES {
        if (high - low) % 2 == 0 && low > 0 {
            low -= 1;
        } else {
            high += 1;
        }
    }
    (low, high)
}

/// Counts per logarithmic bin between the decades `low` and `high`.
fn log_bins(rtts_ns: &[f64], (low, high): (i32, i32)) -> Vec<u64> {
    let bins = ((high - low) * BINS_PER_DECADE) as usize;
    let mut counts = vec![0; bins];
    for rtt in rtts_ns {
        let position = (rtt.max(1.0).log10() - f64::from(low)) * f64::from(BINS_PER_DECADE);
        counts[(position.floor().max(0.0) as usize).min(bins - 1)] += 1;
    }
    counts
}

/// Gridline steps of 1, 2 or 5 times a power of ten, about four of them up to `most`.
fn count_step(most: u64) -> u64 {
    let mut step = 1;
    loop {
        for factor in [1, 2, 5] {
            if most <= step * factor * 4 {
                return step * factor;
            }
        }
        step *= 10;
    }
}

pub fn rtt_histogram(rtts: &[Seconds], percentiles: Option<&Percentiles>) -> String {
    const CAPTION: &str = "Handshake round-trip time: first SYN to the ACK that completes the \
                           handshake (logarithmic bins)";
    let Some(percentiles) = percentiles else {
        return format!(
            "<figure class=\"chart wide\"><figcaption>{CAPTION}</figcaption>\
             <p class=\"none\">No handshake was completed.</p></figure>\n"
        );
    };
    let rtts_ns: Vec<f64> = rtts.iter().map(|rtt| rtt.as_f64() * 1e9).collect();
    let fastest = rtts_ns.iter().copied().fold(f64::INFINITY, f64::min);
    let slowest = rtts_ns.iter().copied().fold(0.0, f64::max);
    let span = decade_span(fastest, slowest);
    let counts = log_bins(&rtts_ns, span);
    let most = counts.iter().copied().max().unwrap_or(0).max(1);
    let step = count_step(most);
    let top = most.div_ceil(step) * step;
    let x_of_log = |log_ns: f64| {
        PLOT_LEFT
            + (log_ns - f64::from(span.0)) / f64::from(span.1 - span.0) * (PLOT_RIGHT - PLOT_LEFT)
    };
    let y_of = |count: u64| PLOT_BOTTOM - count as f64 / top as f64 * (PLOT_BOTTOM - PLOT_TOP);

    let mut svg = format!(
        "<figure class=\"chart wide\"><figcaption>{CAPTION}</figcaption>\
         <svg class=\"histogram\" viewBox=\"0 0 {HISTOGRAM_WIDTH} {HISTOGRAM_HEIGHT}\" \
         width=\"{HISTOGRAM_WIDTH}\" height=\"{HISTOGRAM_HEIGHT}\" role=\"img\" \
         aria-label=\"Histogram of {} handshake round-trip times\">\n",
        percentiles.count
    );
    for count in (0..=top).step_by(step as usize) {
        let y = y_of(count);
        let _ = writeln!(
            svg,
            "<line class=\"grid\" x1=\"{PLOT_LEFT}\" x2=\"{PLOT_RIGHT}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
             <text class=\"axis count\" x=\"{x}\" y=\"{y:.1}\">{count}</text>",
            x = PLOT_LEFT - 8.0
        );
    }
    let bin_width = (PLOT_RIGHT - PLOT_LEFT) / counts.len() as f64;
    for (bin, count) in counts.iter().enumerate().filter(|(_, count)| **count > 0) {
        let from = f64::from(span.0) + bin as f64 / f64::from(BINS_PER_DECADE);
        let to = from + 1.0 / f64::from(BINS_PER_DECADE);
        let x = PLOT_LEFT + bin as f64 * bin_width;
        let y = y_of(*count);
        let _ = writeln!(
            svg,
            "<rect class=\"bin\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" rx=\"2\">\
             <title>{low} to {high}: {handshakes}</title></rect>\
             <text class=\"bin-count\" x=\"{middle:.1}\" y=\"{above:.1}\">{count}</text>",
            w = bin_width - 2.0,
            h = PLOT_BOTTOM - y,
            low = readable_duration(10f64.powf(from) / 1e9),
            high = readable_duration(10f64.powf(to) / 1e9),
            handshakes = plural(*count, "handshake", "handshakes"),
            middle = x + bin_width / 2.0 - 1.0,
            above = y - 5.0
        );
    }
    let _ = writeln!(
        svg,
        "<line class=\"axis-line\" x1=\"{PLOT_LEFT}\" x2=\"{PLOT_RIGHT}\" y1=\"{PLOT_BOTTOM}\" y2=\"{PLOT_BOTTOM}\"/>"
    );
    for decade in span.0..=span.1 {
        let x = x_of_log(f64::from(decade));
        let _ = writeln!(
            svg,
            "<line class=\"tick\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{PLOT_BOTTOM}\" y2=\"{y:.1}\"/>\
             <text class=\"axis decade\" x=\"{x:.1}\" y=\"{label:.1}\">{time}</text>",
            y = PLOT_BOTTOM + 5.0,
            label = PLOT_BOTTOM + 20.0,
            time = readable_duration(10f64.powi(decade) / 1e9)
        );
    }
    let _ = writeln!(
        svg,
        "<text class=\"axis title\" x=\"{x:.1}\" y=\"{y:.1}\">handshake RTT</text>",
        x = (PLOT_LEFT + PLOT_RIGHT) / 2.0,
        y = HISTOGRAM_HEIGHT - 6.0
    );
    // The median and p90 as marked lines, their labels on two rows so that close ones do not
    // overlap.
    for (row, (name, value)) in [("median", percentiles.p50), ("p90", percentiles.p90)]
        .into_iter()
        .enumerate()
    {
        let x = x_of_log((value * 1e9).max(1.0).log10());
        let label_y = 14.0 + 15.0 * row as f64;
        let anchor = if x > PLOT_RIGHT - 120.0 {
            "end"
        } else {
            "start"
        };
        let _ = writeln!(
            svg,
            "<line class=\"marker\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{y1:.1}\" y2=\"{PLOT_BOTTOM}\"/>\
             <text class=\"marker-label\" text-anchor=\"{anchor}\" x=\"{lx:.1}\" y=\"{label_y:.1}\">\
             {name} {time}</text>",
            y1 = label_y + 3.0,
            lx = if anchor == "end" { x - 4.0 } else { x + 4.0 },
            time = readable_duration(value)
        );
    }
    svg + "</svg></figure>\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decades_cover_the_spread_and_at_least_three() {
        // 38 µs .. 57 µs: one decade of data, widened to three around it.
        assert_eq!(decade_span(38_000.0, 57_000.0), (3, 6));
        // 20 µs .. 3 s
        assert_eq!(decade_span(20_000.0, 3e9), (4, 10));
        // Exactly a power of ten lands in the decade it starts.
        assert_eq!(decade_span(1_000.0, 1_000_000.0), (3, 7));
        assert_eq!(decade_span(0.0, 2.0), (0, 3));
    }

    #[test]
    fn bins_are_a_quarter_decade() {
        // Bins start at 1, 1.78, 3.16 and 5.62 times a power of ten.
        let counts = log_bins(
            &[1_000.0, 1_700.0, 1_800.0, 3_200.0, 9_999.0, 10_000.0],
            (3, 5),
        );
        assert_eq!(counts, vec![2, 1, 1, 1, 1, 0, 0, 0]);
        assert_eq!(log_bins(&[0.0, 1e12], (3, 5)), vec![1, 0, 0, 0, 0, 0, 0, 1]);
    }

    #[test]
    fn count_steps_are_round() {
        assert_eq!(count_step(1), 1);
        assert_eq!(count_step(4), 1);
        assert_eq!(count_step(7), 2);
        assert_eq!(count_step(15), 5);
        assert_eq!(count_step(33), 10);
        assert_eq!(count_step(1234), 500);
    }
}
