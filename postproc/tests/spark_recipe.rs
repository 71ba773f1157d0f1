//! The Spark recipe (postproc/contrib/spark/tcpwave_spark.py) run by PySpark in local mode,
//! `local[2]`, over the kernel captures: its Parquet dataset, counted by handshake verdict with
//! Spark SQL, matches the single-machine CSV report, and Spark reads its columns typed; a capture
//! tcpwave cannot read fails the job with its name. PySpark comes from pip and Java from Debian's
//! openjdk-17-jre-headless (installed when missing), so this runs only with
//! `TCPWAVE_SYSTEM_TESTS=1`.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::process::Command;

use common::{captures_dir, csv_rows, succeeded, which, workspace_root};
use tcpwave_tests::{python::python_with, system_tests_enabled};

const PYSPARK: &str = "pyspark==3.5.7";

/// Runs the recipe twice in one Spark session (one JVM start): over the captures, then over a
/// file that is no capture; prints the exit codes and Spark SQL's counts as JSON.
const RUN_RECIPE: &str = r#"
import json, os, sys
recipe, tcpwave, paths_file, out, bad_capture, bad_out = sys.argv[1:]
sys.path.insert(0, os.path.dirname(recipe))
import tcpwave_spark
from pyspark.sql import SparkSession
spark = (SparkSession.builder.master("local[2]")
         # Seconds, not minutes: two shuffle partitions rather than 200, no UI, no progress bar.
         .config("spark.sql.shuffle.partitions", "2")
         .config("spark.ui.enabled", "false")
         .config("spark.ui.showConsoleProgress", "false")
         .getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
code = tcpwave_spark.main(["--tcpwave", tcpwave, "--paths-file", paths_file, out])
dataset = spark.read.parquet(out)
dataset.createOrReplaceTempView("connections")
counts = spark.sql("SELECT handshake, count(*) FROM connections GROUP BY handshake").collect()
bad_code = tcpwave_spark.main(["--tcpwave", tcpwave, bad_out, bad_capture])
print(json.dumps({
    "code": code,
    "types": dict(dataset.dtypes),
    "by_handshake": {"" if key is None else key: n for key, n in counts},
    "bad_code": bad_code,
}))
"#;

#[test]
fn spark_recipe_reports_the_kernel_captures() {
    if !system_tests_enabled("spark_recipe_reports_the_kernel_captures") {
        return;
    }
    if which("java").is_none() {
        // The repository's setup script installs what is missing (apt-get update included).
        let status = Command::new("bash")
            .arg(workspace_root().join("scripts/setup.sh"))
            .arg("openjdk-17-jre-headless")
            .status()
            .expect("run scripts/setup.sh");
        assert!(
            status.success(),
            "scripts/setup.sh openjdk-17-jre-headless failed"
        );
        assert!(
            which("java").is_some(),
            "java is on PATH after installing it"
        );
    }
    let python = python_with(&[PYSPARK]);
    let tcpwave = env!("CARGO_BIN_EXE_tcpwave");

    let kernel = captures_dir().join("kernel");
    let mut captures: Vec<_> = fs::read_dir(&kernel)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "pcap"))
        .collect();
    captures.sort();
    assert!(
        captures.len() > 1,
        "kernel captures in {}",
        kernel.display()
    );

    // The single-machine report.
    let csv = succeeded(
        Command::new(tcpwave)
            .args(["report", "--format", "csv"])
            .args(&captures),
    );
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for row in csv_rows(&csv.stdout) {
        *expected.entry(row["handshake"].clone()).or_default() += 1;
    }

    let dir = tempfile::tempdir().unwrap();
    let paths_file = dir.path().join("captures.txt");
    let listed: Vec<String> = captures.iter().map(|p| p.display().to_string()).collect();
    fs::write(&paths_file, listed.join("\n") + "\n").unwrap();
    let out = dir.path().join("dataset");
    let bad_capture = dir.path().join("not-a-capture.pcap");
    fs::write(&bad_capture, "no capture here").unwrap();
    let recipe = workspace_root().join("postproc/contrib/spark/tcpwave_spark.py");
    let output = Command::new(&python)
        .arg("-c")
        .arg(RUN_RECIPE)
        .arg(&recipe)
        .arg(tcpwave)
        .arg(&paths_file)
        .arg(&out)
        .arg(&bad_capture)
        .arg(dir.path().join("bad-dataset"))
        // The Python of Spark's workers: the one with PySpark.
        .env("PYSPARK_PYTHON", &python)
        .output()
        .expect("run python");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    // The recipe prints a line of its own before.
    let stdout = String::from_utf8_lossy(&output.stdout);
    let seen: serde_json::Value = stdout
        .lines()
        .last()
        .and_then(|line| serde_json::from_str(line).ok())
        .unwrap_or_else(|| panic!("no JSON line last: {stdout}"));

    assert_eq!(seen["code"], 0, "{stderr}");
    let by_handshake: BTreeMap<String, u64> =
        serde_json::from_value(seen["by_handshake"].clone()).unwrap();
    assert_eq!(by_handshake, expected, "Spark SQL's counts, the CSV's");
    // Integers as integers (not decimals), the start as a timestamp, lists as arrays.
    for (column, kind) in [
        ("start", "timestamp"),
        ("stream", "bigint"),
        ("orig_p", "int"),
        ("packets", "bigint"),
        ("handshake_rtt", "double"),
        ("handshake_steps", "array<int>"),
        ("anomalies", "array<string>"),
    ] {
        assert_eq!(seen["types"][column], kind, "Spark's type of {column}");
    }
    let mut files: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut wanted: Vec<String> = (0..captures.len())
        .map(|index| format!("{index:05}.parquet"))
        .collect();
    wanted.push("_SUCCESS".to_owned());
    assert_eq!(files, wanted, "one Parquet file per capture, then _SUCCESS");

    assert_eq!(seen["bad_code"], 1, "{stderr}");
    let named = format!(
        "tcpwave_spark: tcpwave report failed on {}",
        bad_capture.display()
    );
    assert!(
        stderr.contains(&named),
        "the failure names its capture: {stderr}"
    );
    assert!(
        !dir.path().join("bad-dataset/_SUCCESS").exists(),
        "a failed job writes no _SUCCESS"
    );
}
