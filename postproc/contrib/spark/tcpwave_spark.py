#!/usr/bin/env python3
"""Report many captures with tcpwave inside Spark tasks.

Each capture is one task that runs `tcpwave report --format parquet -o OUT/NNNNN.parquet CAPTURE`
(NNNNN: the capture's place in the list, so captures of the same name do not collide). The
output directory is then one Parquet dataset, a row group per capture, that Spark, DuckDB or
Polars read as one table; `_SUCCESS` is written there once every capture is reported.

A capture that tcpwave cannot report fails its task, and so the job, with the capture's name
(Spark retries a failed task spark.task.maxFailures times first; local mode does not); its
Parquet file is removed and no `_SUCCESS` is written. The files of captures already reported
stay: run again into a new directory.

    spark-submit tcpwave_spark.py [--tcpwave PATH] [--paths-file FILE] OUTPUT_DIR [CAPTURE ...]

The captures and OUTPUT_DIR must be at the same paths on every executor (a shared file system),
and `tcpwave` on each executor's PATH (or at --tcpwave PATH).
"""

import argparse
import os
import subprocess
import sys

from pyspark.sql import SparkSession

# Marks a task's failure, so the driver can find it in Spark's wrapped error.
FAILED = "tcpwave report failed on"


def report_one(tcpwave, out_dir, item):
    """Runs in a task: reports one capture into its own Parquet file."""
    index, capture = item
    out = os.path.join(out_dir, f"{index:05d}.parquet")
    result = subprocess.run(
        [tcpwave, "report", "--format", "parquet", "-o", out, capture],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        # tcpwave writes the rows of a capture it could read only in part; keep none of it.
        if os.path.exists(out):
            os.remove(out)
        problem = result.stderr.strip().replace("\n", "; ")
        raise RuntimeError(f"{FAILED} {capture} (exit {result.returncode}): {problem}")
    return out


def run(spark, captures, out_dir, tcpwave="tcpwave"):
    """Reports every capture into `out_dir` (empty or new); returns the files written."""
    out_dir = os.path.abspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    if os.listdir(out_dir):
        raise ValueError(f"{out_dir} is not empty: its files would join the dataset")
    # Absolute paths: tasks need not run in the driver's working directory.
    items = [(index, os.path.abspath(capture)) for index, capture in enumerate(captures)]
    # The tasks call report_one: ship this file to the executors, for when it was imported.
    spark.sparkContext.addPyFile(os.path.abspath(__file__))
    # One capture per task, so that a failure names its capture and tasks balance.
    written = (
        spark.sparkContext.parallelize(items, max(1, len(items)))
        .map(lambda item: report_one(tcpwave, out_dir, item))
        .collect()
    )
    with open(os.path.join(out_dir, "_SUCCESS"), "w"):
        pass
    return written


def main(argv):
    parser = argparse.ArgumentParser(
        description="Report captures with tcpwave in Spark tasks into one Parquet dataset."
    )
    parser.add_argument("output_dir", help="where the Parquet files go (empty or new)")
    parser.add_argument("captures", nargs="*", help="capture files")
    parser.add_argument("--paths-file", help="a file naming one capture per line")
    parser.add_argument("--tcpwave", default="tcpwave", help="the tcpwave command to run")
    args = parser.parse_args(argv)
    captures = list(args.captures)
    if args.paths_file:
        with open(args.paths_file) as paths:
            captures += [line.strip() for line in paths if line.strip()]
    if not captures:
        parser.error("no captures: name them, or a --paths-file")

    spark = SparkSession.builder.appName("tcpwave report").getOrCreate()
    try:
        written = run(spark, captures, args.output_dir, args.tcpwave)
    except ValueError as error:
        print(f"tcpwave_spark: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # Spark wraps a task's error in one of its own
        lines = [line[line.index(FAILED) :] for line in str(error).splitlines() if FAILED in line]
        print(f"tcpwave_spark: {lines[0] if lines else error}", file=sys.stderr)
        return 1
    print(f"tcpwave_spark: {len(written)} captures reported into {args.output_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
