//! Rows as a Parquet file: one typed column per report column, one row group per capture.
//!
//! A capture's rows are gathered column by column (rows of captures read in parallel interleave)
//! and written as one row group when the capture ends; a capture of more than
//! [`ROW_GROUP_ROWS`] connections is written as several row groups of at most that many rows,
//! so memory stays bounded.

use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::Arc;

use arrow_array::builder::{
    Float64Builder, Int32Builder, Int64Builder, ListBuilder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::model::row::{Cell, Row, COLUMNS};

/// The most rows a row group holds (parquet's own default): a capture with more connections is
/// split into several row groups rather than held in memory whole.
pub const ROW_GROUP_ROWS: usize = 1024 * 1024;

/// How a report column is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// UTF-8 text; addresses too (`10.0.0.1`, `::1`).
    Text,
    /// A 32-bit signed integer: Spark has no unsigned types.
    Port,
    /// A 64-bit signed integer: Spark reads an unsigned one as a decimal.
    Count,
    /// Microseconds since the epoch, UTC: what Spark, DuckDB and pandas read as a timestamp.
    Timestamp,
    /// Seconds as a double, the unit of the CSV and JSON: Parquet has no duration type (arrow's
    /// is stored as a bare integer whose unit other readers do not see), and every reader
    /// computes with a double at once. Nanosecond precision holds up to 104 days.
    Seconds,
    /// Handshake or teardown step numbers, in order.
    Steps,
    /// Anomaly kinds.
    Words,
}

/// Every report column's Parquet type, by name: the one place a new column gets its type (a
/// test fails while a column of [`COLUMNS`] has none).
const KINDS: &[(&str, Kind)] = &[
    ("file", Kind::Text),
    ("stream", Kind::Count),
    ("orig_h", Kind::Text),
    ("orig_p", Kind::Port),
    ("resp_h", Kind::Text),
    ("resp_p", Kind::Port),
    ("start", Kind::Timestamp),
    ("duration", Kind::Seconds),
    ("handshake", Kind::Text),
    ("handshake_steps", Kind::Steps),
    ("handshake_rtt", Kind::Seconds),
    ("syn_to_synack", Kind::Seconds),
    ("synack_to_ack", Kind::Seconds),
    ("teardown", Kind::Text),
    ("teardown_steps", Kind::Steps),
    ("active_closer", Kind::Text),
    ("teardown_duration", Kind::Seconds),
    ("packets", Kind::Count),
    ("orig_bytes", Kind::Count),
    ("resp_bytes", Kind::Count),
    ("repeats", Kind::Count),
    ("anomalies", Kind::Words),
    ("conn_state", Kind::Text),
    ("history", Kind::Text),
];

fn kind_of(column: &str) -> Option<Kind> {
    KINDS
        .iter()
        .find(|(name, _)| *name == column)
        .map(|(_, kind)| *kind)
}

/// The list's element, named as the Parquet spec names it.
fn element(data_type: DataType) -> Arc<Field> {
    Arc::new(Field::new("element", data_type, false))
}

impl Kind {
    fn data_type(self) -> DataType {
        match self {
            Kind::Text => DataType::Utf8,
            Kind::Port => DataType::Int32,
            Kind::Count => DataType::Int64,
            Kind::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            Kind::Seconds => DataType::Float64,
            Kind::Steps => DataType::List(element(DataType::Int32)),
            Kind::Words => DataType::List(element(DataType::Utf8)),
        }
    }

    fn builder(self) -> Builder {
        match self {
            Kind::Text => Builder::Text(StringBuilder::new()),
            Kind::Port => Builder::Int32(Int32Builder::new()),
            Kind::Count => Builder::Int64(Int64Builder::new()),
            Kind::Timestamp => {
                Builder::Timestamp(TimestampMicrosecondBuilder::new().with_timezone("UTC"))
            }
            Kind::Seconds => Builder::Float64(Float64Builder::new()),
            Kind::Steps => Builder::Steps(
                ListBuilder::new(Int32Builder::new()).with_field(element(DataType::Int32)),
            ),
            Kind::Words => Builder::Words(
                ListBuilder::new(StringBuilder::new()).with_field(element(DataType::Utf8)),
            ),
        }
    }
}

/// The file's schema: [`COLUMNS`] in order, each typed by [`KINDS`], every one nullable (an
/// absent value is a null). An error names a column without a type.
fn schema() -> io::Result<SchemaRef> {
    let fields = COLUMNS
        .iter()
        .map(|column| {
            let kind = kind_of(column).ok_or_else(|| {
                io::Error::other(format!(
                    "internal error: column {column} has no Parquet type"
                ))
            })?;
            Ok(Field::new(*column, kind.data_type(), true))
        })
        .collect::<io::Result<Vec<_>>>()?;
    Ok(Arc::new(Schema::new(fields)))
}

/// One column's values so far.
enum Builder {
    Text(StringBuilder),
    Int32(Int32Builder),
    Int64(Int64Builder),
    Timestamp(TimestampMicrosecondBuilder),
    Float64(Float64Builder),
    Steps(ListBuilder<Int32Builder>),
    Words(ListBuilder<StringBuilder>),
}

impl Builder {
    /// Appends `cell`; an error if the cell does not fit the column's type.
    fn append(&mut self, cell: Cell<'_>) -> Result<(), String> {
        match (self, cell) {
            (Builder::Text(values), Cell::Text(text)) => values.append_value(text),
            (Builder::Text(values), Cell::Address(addr)) => values.append_value(addr.to_string()),
            (Builder::Int32(values), Cell::Count(count)) => values
                .append_value(i32::try_from(count).map_err(|_| format!("{count} is too large"))?),
            (Builder::Int64(values), Cell::Count(count)) => values
                .append_value(i64::try_from(count).map_err(|_| format!("{count} is too large"))?),
            (Builder::Timestamp(values), Cell::Time(time)) => values.append_value(time.as_micros()),
            (Builder::Float64(values), Cell::Time(time)) => values.append_value(time.as_f64()),
            (Builder::Steps(lists), Cell::Steps(steps)) => {
                for step in steps {
                    lists.values().append_value(i32::from(*step));
                }
                lists.append(true);
            }
            (Builder::Words(lists), Cell::Anomalies(kinds)) => {
                for kind in kinds {
                    lists.values().append_value(kind.as_str());
                }
                lists.append(true);
            }
            (Builder::Text(values), Cell::Absent) => values.append_null(),
            (Builder::Int32(values), Cell::Absent) => values.append_null(),
            (Builder::Int64(values), Cell::Absent) => values.append_null(),
            (Builder::Timestamp(values), Cell::Absent) => values.append_null(),
            (Builder::Float64(values), Cell::Absent) => values.append_null(),
            (Builder::Steps(lists), Cell::Absent) => lists.append_null(),
            (Builder::Words(lists), Cell::Absent) => lists.append_null(),
            (_, cell) => return Err(format!("{cell:?} does not fit its Parquet type")),
        }
        Ok(())
    }

    /// The values appended so far as one array; the builder starts afresh.
    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Text(values) => Arc::new(values.finish()),
            Builder::Int32(values) => Arc::new(values.finish()),
            Builder::Int64(values) => Arc::new(values.finish()),
            Builder::Timestamp(values) => Arc::new(values.finish()),
            Builder::Float64(values) => Arc::new(values.finish()),
            Builder::Steps(lists) => Arc::new(lists.finish()),
            Builder::Words(lists) => Arc::new(lists.finish()),
        }
    }
}

/// One capture's rows not yet written, column by column.
struct Pending {
    columns: Vec<Builder>,
    rows: usize,
}

/// Writes rows as Parquet to `W`, one row group per capture (see the module's documentation).
/// Nothing is valid Parquet until [`ParquetRows::finish`] writes the footer.
pub struct ParquetRows<W: Write + Send> {
    writer: ArrowWriter<W>,
    schema: SchemaRef,
    kinds: Vec<Kind>,
    pending: HashMap<String, Pending>,
}

fn parquet_error(error: parquet::errors::ParquetError) -> io::Error {
    io::Error::other(format!("writing Parquet: {error}"))
}

impl<W: Write + Send> ParquetRows<W> {
    pub fn new(out: W) -> io::Result<Self> {
        let schema = schema()?;
        let kinds = COLUMNS
            .iter()
            .filter_map(|column| kind_of(column))
            .collect();
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            // Exact minimum and maximum of `file` (paths are often longer than the default 64
            // bytes), so a reader skips the row groups of other captures.
            .set_statistics_truncate_length(None)
            .set_created_by(format!("tcpwave {}", env!("CARGO_PKG_VERSION")))
            .build();
        let writer = ArrowWriter::try_new(out, Arc::clone(&schema), Some(properties))
            .map_err(parquet_error)?;
        Ok(ParquetRows {
            writer,
            schema,
            kinds,
            pending: HashMap::new(),
        })
    }

    /// Adds a row to its capture's pending rows (a full row group is written at once).
    pub fn connection(&mut self, row: &Row) -> io::Result<()> {
        let kinds = &self.kinds;
        let pending = self
            .pending
            .entry(row.file.clone())
            .or_insert_with(|| Pending {
                columns: kinds.iter().map(|kind| kind.builder()).collect(),
                rows: 0,
            });
        for ((column, builder), cell) in COLUMNS.iter().zip(&mut pending.columns).zip(row.cells()) {
            builder.append(cell).map_err(|problem| {
                io::Error::other(format!("internal error: column {column}: {problem}"))
            })?;
        }
        pending.rows += 1;
        if pending.rows == ROW_GROUP_ROWS {
            self.write_row_group(&row.file.clone())?;
        }
        Ok(())
    }

    /// Writes the rows of `file` still pending as its (last) row group.
    pub fn capture_done(&mut self, file: &str) -> io::Result<()> {
        self.write_row_group(file)
    }

    fn write_row_group(&mut self, file: &str) -> io::Result<()> {
        let Some(mut pending) = self.pending.remove(file) else {
            return Ok(());
        };
        let arrays = pending.columns.iter_mut().map(Builder::finish).collect();
        let batch = RecordBatch::try_new(Arc::clone(&self.schema), arrays)
            .map_err(|error| io::Error::other(format!("internal error: {error}")))?;
        self.writer.write(&batch).map_err(parquet_error)?;
        // Closes the row group, so that it holds this capture's rows alone.
        self.writer.flush().map_err(parquet_error)
    }

    /// Writes what is pending and the footer, and passes everything on to `W`.
    pub fn finish(mut self) -> io::Result<W> {
        let files: Vec<String> = self.pending.keys().cloned().collect();
        for file in files {
            self.write_row_group(&file)?;
        }
        // Writes the footer.
        let mut out = self.writer.into_inner().map_err(parquet_error)?;
        out.flush()?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::row::tests::sample;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::file::reader::{FileReader, SerializedFileReader};

    #[test]
    fn every_column_has_exactly_one_parquet_type() {
        for column in COLUMNS {
            let types = KINDS.iter().filter(|(name, _)| *name == column).count();
            assert_eq!(
                types, 1,
                "column {column} has {types} Parquet types in KINDS"
            );
        }
        for (name, _) in KINDS {
            assert!(COLUMNS.contains(name), "KINDS types {name}, not a column");
        }
    }

    #[test]
    fn schema_types_every_column() {
        let schema = schema().unwrap();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, COLUMNS);
        let type_of = |name: &str| schema.field_with_name(name).unwrap().data_type().clone();
        assert_eq!(
            type_of("start"),
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
        );
        assert_eq!(type_of("orig_p"), DataType::Int32);
        assert_eq!(type_of("resp_p"), DataType::Int32);
        assert_eq!(type_of("packets"), DataType::Int64);
        assert_eq!(type_of("handshake_rtt"), DataType::Float64);
        assert_eq!(type_of("orig_h"), DataType::Utf8);
        assert!(
            matches!(type_of("teardown_steps"), DataType::List(item) if *item.data_type() == DataType::Int32)
        );
        assert!(
            matches!(type_of("anomalies"), DataType::List(item) if *item.data_type() == DataType::Utf8)
        );
    }

    /// Rows of two captures, interleaved as parallel jobs deliver them, written and read back.
    #[test]
    fn one_row_group_per_capture_with_typed_values() {
        let mut other = sample(7);
        other.file = "other.pcap".to_owned();
        other.teardown = None;
        let file = tempfile::tempfile().unwrap();
        let mut rows = ParquetRows::new(file).unwrap();
        rows.connection(&sample(0)).unwrap();
        rows.connection(&other).unwrap();
        rows.connection(&sample(1)).unwrap();
        rows.capture_done("other.pcap").unwrap();
        rows.capture_done("dir/a,b.pcap").unwrap();
        let file = rows.finish().unwrap();

        let reader = SerializedFileReader::new(file.try_clone().unwrap()).unwrap();
        let groups: Vec<i64> = reader
            .metadata()
            .row_groups()
            .iter()
            .map(|group| group.num_rows())
            .collect();
        assert_eq!(groups, [1, 2], "other.pcap ended first");

        let batches: Vec<RecordBatch> = ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let [batch] = &batches[..] else {
            panic!("{} batches, expected one", batches.len())
        };
        let column = |name: &str| batch.column_by_name(name).unwrap();
        use arrow_array::cast::AsArray;
        use arrow_array::types::{Int32Type, Int64Type, TimestampMicrosecondType};
        let file_names: Vec<&str> = column("file").as_string::<i32>().iter().flatten().collect();
        assert_eq!(file_names, ["other.pcap", "dir/a,b.pcap", "dir/a,b.pcap"]);
        let streams = column("stream");
        assert_eq!(streams.as_primitive::<Int64Type>().values(), &[7, 0, 1]);
        let start = column("start");
        assert_eq!(
            start.as_primitive::<TimestampMicrosecondType>().value(0),
            1_700_000_000_000_001
        );
        assert_eq!(column("orig_p").as_primitive::<Int32Type>().value(0), 40000);
        assert_eq!(column("resp_h").as_string::<i32>().value(0), "::1");
        assert!(column("teardown").is_null(0) && !column("teardown").is_null(1));
        assert!(column("teardown_duration").is_null(1));
        let steps = column("handshake_steps");
        let steps = steps.as_list::<i32>().value(1);
        assert_eq!(steps.as_primitive::<Int32Type>().values(), &[1, 1, 2, 3]);
        let anomalies = column("anomalies");
        let anomalies = anomalies.as_list::<i32>().value(2);
        let words: Vec<&str> = anomalies.as_string::<i32>().iter().flatten().collect();
        assert_eq!(words, ["retransmission", "half_close"]);
    }
}
