//! Output order is input order: captures in the order given (a directory's in sorted order),
//! connections in stream order within a capture, in every format and in `summary`, whatever
//! `--jobs` and the engine.

mod common;

use std::path::PathBuf;

use common::{captures_dir, csv_rows, plugin_tshark, tcpwave, workspace_root};

/// The sample first, then two kernel captures against name order, then the kernel directory,
/// whose captures come in sorted order (the two named before among them: a capture named twice
/// is read twice).
fn inputs() -> Vec<PathBuf> {
    let kernel = captures_dir().join("kernel");
    vec![
        workspace_root().join("tests/data/sample.pcap"),
        kernel.join("abort_with_rst.pcap"),
        kernel.join("synack_lost.pcap"),
        kernel,
    ]
}

/// The captures in the order the output must follow.
fn expected_files() -> Vec<String> {
    let inputs = inputs();
    let mut files: Vec<String> = inputs[..3]
        .iter()
        .map(|path| path.display().to_string())
        .collect();
    let mut directory: Vec<String> = std::fs::read_dir(&inputs[3])
        .unwrap()
        .map(|entry| entry.unwrap().path().display().to_string())
        .collect();
    directory.sort();
    files.extend(directory);
    files
}

fn run(args: &[&str]) -> Vec<u8> {
    let inputs = inputs();
    let mut all: Vec<&str> = args.to_vec();
    all.extend(inputs.iter().map(|path| path.to_str().unwrap()));
    let output = tcpwave(plugin_tshark(), &all);
    assert!(
        output.status.success(),
        "tcpwave {all:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

#[test]
fn rows_follow_the_input_order_whatever_the_jobs_and_engine() {
    let reference = run(&[
        "report", "--format", "csv", "--jobs", "1", "--engine", "native",
    ]);
    // The rows as blocks of one capture each, streams rising within a block.
    let mut blocks: Vec<(String, Vec<u64>)> = Vec::new();
    for row in csv_rows(&reference) {
        let stream: u64 = row["stream"].parse().unwrap();
        match blocks.last_mut() {
            Some((file, streams)) if *file == row["file"] => streams.push(stream),
            _ => blocks.push((row["file"].clone(), vec![stream])),
        }
    }
    let files: Vec<String> = blocks.iter().map(|(file, _)| file.clone()).collect();
    assert_eq!(files, expected_files());
    for (file, streams) in &blocks {
        assert!(
            streams.windows(2).all(|pair| pair[0] < pair[1]),
            "{file}: streams {streams:?}"
        );
    }
    assert_eq!(blocks[0].1.len(), 15, "the sample's 15 connections");

    for engine in ["native", "tshark"] {
        for jobs in ["1", "2", "4"] {
            let csv = run(&[
                "report", "--format", "csv", "--jobs", jobs, "--engine", engine,
            ]);
            assert!(
                csv == reference,
                "--engine {engine} --jobs {jobs}: rows differ from --jobs 1's"
            );
        }
    }
    for format in ["json", "jsonl", "table"] {
        let one = run(&["report", "--format", format, "--jobs", "1"]);
        let two = run(&["report", "--format", format, "--jobs", "2"]);
        assert!(
            one == two,
            "--format {format}: --jobs 2 differs from --jobs 1"
        );
    }
    let one = run(&["summary", "--format", "json", "--jobs", "1"]);
    let two = run(&["summary", "--format", "json", "--jobs", "2"]);
    assert!(one == two, "summary: --jobs 2 differs from --jobs 1");
    let summary: serde_json::Value = serde_json::from_slice(&one).unwrap();
    let summarized: Vec<&str> = summary["captures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|capture| capture["file"].as_str().unwrap())
        .collect();
    assert_eq!(summarized, expected_files());
}
