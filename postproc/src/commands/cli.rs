//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::commands::outcome::exit_status_help;
use crate::render::rows::Format;
use crate::vocab::releases;
use tcpwave_core::Anomaly;

const ABOUT: &str =
    "Per-connection TCP handshake and teardown reports, from tshark and the tcpwave plugin";

const LONG_ABOUT: &str = "\
tcpwave reports, for every TCP connection of packet captures, how it opened and how it closed:
the handshake and teardown steps seen, their timing, retransmitted steps, acknowledgments that do
not fit, and the connection's state and history in Zeek's conn.log terms (S0, SF, REJ, ... and
ShADadFf). The labels are those of the tcpwave Wireshark plugin.

Two engines read the captures, with the same rows: a native one, which reads pcap and pcapng
files itself with the plugin's own state machine, many times faster, and tshark with the plugin
loaded. By default (--engine auto) the native engine reads every capture it can read exactly as
Wireshark does, and tshark the others (tunnels with TCP inside, IP fragments carrying TCP, other
link types) and every capture when -Y, -d or --preference is given; which engine read a capture
is said on stderr when it is not the native one. tshark (Wireshark RELEASES), with the plugin in its plugin folder, is needed only
then: `tcpwave install` puts the plugin there, `tcpwave doctor` says what is missing.";

const REPORT_LONG_ABOUT: &str = "\
One row per TCP connection (per Wireshark tcp.stream) of every capture given.

Columns (CSV and JSON carry them all; the table shows the main ones):
  file, stream                 the capture and Wireshark's tcp.stream number
  orig_h, orig_p, resp_h, resp_p
                               originator and responder: the plugin's client (a SYN's
                               sender, or a SYN/ACK's receiver; midstream, Zeek's guess by
                               port, with `^` in history when that flips the first sender)
  start, duration              first packet (epoch seconds) and first-to-last-packet time
  handshake, teardown          the plugin's verdicts (complete, refused, unanswered, ...;
                               four-way, three-way, reset, half-closed, ...)
  handshake_steps, teardown_steps
                               steps seen, in order, repeats included: `1 1 2 3`
  handshake_rtt, syn_to_synack, synack_to_ack, teardown_duration
                               seconds, with microseconds
  active_closer                orig or resp: who sent the first FIN
  packets, orig_bytes, resp_bytes
                               packets; payload bytes counted in sequence space as Zeek does
                               (retransmitted bytes are not counted twice)
  orig_pkts, resp_pkts, orig_ip_bytes, resp_ip_bytes
                               each side's packets and IP bytes (headers included), as in
                               Zeek's conn.log
  repeats                      packets that repeat a step
  anomalies                    the plugin's expert kinds (tcpwave.expert.*) on the
                               connection's packets, space separated: ANOMALIES
  conn_state, history          as in Zeek's conn.log (S0 S1 SF REJ S2 S3 RSTO RSTR RSTOS0
                               RSTRH SH SHR OTH; history letters ShADadFfRrTtWwIiQq)

Output order is input order, in every format and whatever --jobs: the captures in the order
given (a directory's in sorted order), a capture's connections by stream number. A row is ready
once its connection has ended (5 s of capture time after its close, as in Zeek) and every lower
stream's row is out; the rows that wait wait on disk past the first 1024, not in memory.

--format html writes one self-contained page (inline CSS, JavaScript and SVG; it fetches
nothing): the totals, verdict bar charts and a handshake RTT histogram, a table of every
connection that sorts by any column, and a ladder diagram per connection. Its summary comes
first, so the page is written only when every capture is read; until then each connection's
row and diagram wait in a temporary file, not in memory. Connections are grouped by capture
(in the order given) and ordered by stream. A diagram per connection suits captures of up to
a few thousand connections; narrow bigger ones with -Y.";

/// `report`'s long description, with the anomaly kinds from their one list.
fn report_long_about() -> String {
    const INDENT: usize = 31;
    const WIDTH: usize = 96;
    let mut list = String::new();
    let mut column = INDENT + "connection's packets, space separated: ".len();
    for anomaly in Anomaly::ALL {
        let word = anomaly.as_str();
        if column + word.len() + 1 > WIDTH {
            list += &format!("\n{:INDENT$}", "");
            column = INDENT;
        } else if !list.is_empty() {
            list.push(' ');
            column += 1;
        }
        list += word;
        column += word.len();
    }
    REPORT_LONG_ABOUT.replace("ANOMALIES", &list)
}

/// The long description, with the supported releases from their one list.
fn long_about() -> String {
    LONG_ABOUT.replace("RELEASES", &releases::listed("or"))
}

const EXAMPLES: &str = "\
Examples:
  One row per connection of every capture under a directory, as CSV:
    tcpwave report captures/ --format csv -o connections.csv

  Only connections to port 443, read four captures at a time:
    tcpwave report -Y 'tcp.port == 443' --jobs 4 day1.pcapng day2.pcap.gz

  Totals: verdicts, handshake round-trip percentiles, anomalies, the slowest handshakes:
    tcpwave summary captures/

  The handshake and teardown of connection (tcp.stream) 3 as a ladder diagram:
    tcpwave ladder trace.pcap --stream 3

  Set up and check the plugin:
    tcpwave install && tcpwave doctor

Environment:
  TCPWAVE_TSHARK   the tshark program to run (default: tshark on PATH)
  NO_COLOR         when set and not empty, the table never colours verdicts";

/// The examples and environment, then the exit statuses from their one table.
fn after_help() -> String {
    with_exit_statuses(EXAMPLES)
}

/// `text`, then the exit statuses from their one table.
fn with_exit_statuses(text: &str) -> String {
    format!("{text}\n\n{}", exit_status_help())
}

#[derive(Debug, Parser)]
#[command(name = "tcpwave", version, about = ABOUT, long_about = long_about(), after_help = after_help())]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// One row per TCP connection: handshake, teardown, timing, Zeek conn_state and history
    #[command(
        long_about = report_long_about(),
        after_help = with_exit_statuses("\
Examples:
  tcpwave report trace.pcap
  tcpwave report captures/ --format html -o report.html
  tcpwave report captures/ --format jsonl -o rows.jsonl
  tcpwave report captures/ --format parquet -o reports/today.parquet
  tcpwave report -Y 'ip.addr == 10.0.0.5' --format csv day*.pcapng > rows.csv
  tcpdump -w - -c 100 port 443 | tcpwave report -")
    )]
    Report(ReportArgs),

    /// Totals per capture and overall: verdicts, handshake RTT percentiles, anomalies
    #[command(after_help = with_exit_statuses("\
Examples:
  tcpwave summary trace.pcap
  tcpwave summary captures/ --top 20
  tcpwave summary captures/ --format json -o summary.json"))]
    Summary(SummaryArgs),

    /// A ladder (sequence) diagram of one connection's handshake and teardown
    #[command(
        long_about = "\
Draws one connection the way TCP textbooks do: the client on the left, the server on the right,
one arrow per handshake or teardown packet (and every SYN, FIN or RST) with its frame number,
step, flags and sequence and acknowledgment numbers relative to each side's initial sequence
number; each side's state after the packet is written beside it. Data packets in between are
folded into one line with their count and bytes.",
        after_help = "\
Examples:
  tcpwave ladder trace.pcap --stream 0
  tcpwave report trace.pcap | grep REJ      # find a stream, then draw it"
    )]
    Ladder(LadderArgs),

    /// Copy the built plugin into tshark's plugin folder and check that it loads
    #[command(
        long_about = "\
Copies the tcpwave plugin (libtcpwave.so built next to this program, or --plugin FILE) into the
personal plugin folder of the tshark found, <Personal Plugins>/epan/tcpwave.so (usually
~/.local/lib/wireshark/plugins/4.0/epan/), then checks that tshark loads it.

tshark run as root ignores the personal plugin folder and WIRESHARK_PLUGIN_DIR: as root, the
plugin goes to the global plugin folder instead (tshark -G folders, \"Global Plugins\").

With --profile, also writes the tcpwave configuration profile (built into this program) into
<Personal configuration>/profiles/tcpwave/ (usually ~/.config/wireshark/profiles/tcpwave/).
Other profiles are left alone. Installing again replaces the profile's files, keeping a changed
one as NAME.bak, but not its `recent` (Wireshark's record of your layout). Wireshark run as root reads profiles from root's folder (only plugin folders are
ignored for root). Open Wireshark with the profile: wireshark -C tcpwave.",
        after_help = "\
Examples:
  cargo build --release && target/release/tcpwave install
  tcpwave install --profile && wireshark -C tcpwave trace.pcap
  tcpwave install --plugin /tmp/libtcpwave.so"
    )]
    Install(InstallArgs),

    /// Which tshark, which version, where plugins go, whether tcpwave loads, and what to do
    Doctor,

    /// Writes the man pages or a shell's completions (for packagers)
    #[command(hide = true)]
    Generate {
        #[arg(value_enum)]
        what: Generated,
        /// The folder to write into
        #[arg(value_name = "DIR")]
        folder: PathBuf,
    },
}

/// What `tcpwave generate` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Generated {
    /// tcpwave.1 and a page per command (tcpwave-report.1, ...)
    Man,
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
pub struct CaptureArgs {
    /// Captures (pcap, pcapng, optionally gzipped) and directories to search; `-` (once) reads
    /// a capture from standard input, shown as `-` in the file column
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Write to FILE instead of standard output
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Report every connection with at least one packet matching this Wireshark display filter,
    /// whole
    #[arg(
        short = 'Y',
        long = "display-filter",
        value_name = "FILTER",
        long_help = "Report every connection with at least one packet matching this Wireshark \
                     display filter, whole: all its packets count, so its row is the one it has \
                     without -Y (and summary totals those connections). The filter sees the \
                     fields of a two-pass tshark run, tcpwave.conn.* included. A filter tshark \
                     rejects is a usage error (exit status 2) with tshark's own message; one \
                     that matches nothing gives no rows and a note on stderr."
    )]
    pub display_filter: Option<String>,

    /// Decode traffic as another protocol, as tshark's -d does (repeatable; tshark only)
    #[arg(
        short = 'd',
        long = "decode-as",
        value_name = "LAYER==VALUE,PROTOCOL",
        long_help = "Decode traffic as another protocol, as tshark's -d does (repeatable): \
                     `-d udp.port==9999,vxlan` opens a tunnel on a port Wireshark does not \
                     know, so the TCP inside it is reported. Given to every tshark run; it \
                     makes --engine auto read every capture with tshark, and --engine native a \
                     usage error. One tshark rejects is a usage error (exit status 2) with \
                     tshark's own message."
    )]
    pub decode_as: Vec<String>,

    /// Set a Wireshark preference, as tshark's -o does (repeatable; tshark only)
    #[arg(
        long = "preference",
        value_name = "NAME:VALUE",
        long_help = "Set a Wireshark preference, as tshark's -o does (repeatable; -o is \
                     tcpwave's --output): `--preference tcp.try_heuristic_first:TRUE`. Given to \
                     every tshark run; as for -d, it makes --engine auto read every capture with \
                     tshark and --engine native a usage error, and one tshark rejects is a usage \
                     error."
    )]
    pub preferences: Vec<String>,

    /// Which engine reads the captures
    #[arg(
        long,
        value_enum,
        default_value = "auto",
        long_help = "Which engine reads the captures. `native` reads pcap and pcapng files (and \
                     their .gz) itself and labels them with the plugin's own state machine, many \
                     times faster than tshark, with the same rows: Ethernet (with VLAN tags), \
                     Linux cooked v1 and v2, raw IP and BSD loopback links, IPv4 and IPv6; \
                     802.11 (bare or with radiotap), PPP and Cisco HDLC links when they carry \
                     no TCP. \
                     `tshark` runs tshark with the plugin for every capture. `auto` (the default) \
                     reads natively, and with tshark the captures that need Wireshark's dissectors \
                     (tunnels with TCP inside, IP fragments carrying TCP, other link types), saying so on stderr, \
                     and every capture when -Y, -d or --preference is given; without tshark it still reports the \
                     plain captures and names the ones that need it."
    )]
    pub engine: EngineChoice,

    /// Captures read at once; with fewer captures than N, each is read and folded on two
    /// threads [default: the number of cores]
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
}

/// The engines `--engine` chooses from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EngineChoice {
    /// Native, and tshark where Wireshark's dissection or -Y is needed
    Auto,
    /// The native reader only
    Native,
    /// tshark with the plugin
    Tshark,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub capture: CaptureArgs,

    /// Output format [default: table on a terminal, csv otherwise]
    #[arg(short, long, value_enum)]
    pub format: Option<Format>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    /// Readable text
    Text,
    /// One JSON document
    Json,
}

#[derive(Debug, Args)]
pub struct SummaryArgs {
    #[command(flatten)]
    pub capture: CaptureArgs,

    /// Output format
    #[arg(short, long, value_enum, default_value = "text")]
    pub format: SummaryFormat,

    /// How many anomalies and slowest handshakes to list
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub top: usize,
}

#[derive(Debug, Args)]
pub struct LadderArgs {
    /// The capture (one file: the stream numbers are a capture's own); `-` reads it from
    /// standard input
    #[arg(required = true, value_name = "CAPTURE")]
    pub captures: Vec<PathBuf>,

    /// The connection: Wireshark's tcp.stream number (the `stream` column of `tcpwave report`)
    #[arg(short, long, value_name = "N")]
    pub stream: u64,

    /// Write to FILE instead of standard output
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Which engine reads the capture (as for `report`)
    #[arg(long, value_enum, default_value = "auto")]
    pub engine: EngineChoice,
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// The plugin to install [default: libtcpwave.so next to this program]
    #[arg(long, value_name = "FILE")]
    pub plugin: Option<PathBuf>,

    /// Install into the global plugin folder (the default when run as root)
    #[arg(long)]
    pub global: bool,

    /// Also install the tcpwave configuration profile for Wireshark: columns for each packet's
    /// step, phase and both sides' states; coloring rules for handshake, teardown, reset and
    /// anomalies
    #[arg(long)]
    pub profile: bool,
}
