//! Rows as a Parquet file: one typed column per report column, one row group per capture.
//!
//! A capture's rows are gathered column by column, keyed by the capture,
//! and written as one row group when the capture ends; a capture of more than
//! [`ROW_GROUP_ROWS`] connections is written as several row groups of at most that many rows,
//! so memory stays bounded.
//!
//! Written with parquet's own column writers rather than through arrow: arrow's arrays would
//! only be a detour here, and its crates cost several times parquet's build time.

use std::io::{self, Write};
use std::sync::Arc;

use parquet::basic::{
    Compression, ConvertedType, LogicalType, Repetition, TimeUnit, Type as PhysicalType,
};
use parquet::column::writer::{ColumnWriter, ColumnWriterImpl};
use parquet::data_type::{ByteArray, DataType};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::{PrimitiveTypeBuilder, Type, TypePtr};

use crate::model::row::{Cell, Row, COLUMNS};

/// The most rows a row group holds (the row group size parquet-rs's arrow writer defaults to): a
/// capture with more connections is split into several row groups rather than held in memory
/// whole.
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
    /// Seconds as a double, the unit of the CSV and JSON: Parquet has no duration type, and
    /// every reader computes with a double at once. Nanosecond precision holds up to 104 days.
    Seconds,
    /// Handshake or teardown step numbers, in order: a list of 32-bit integers.
    Steps,
    /// Anomaly kinds: a list of text.
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
    ("orig_pkts", Kind::Count),
    ("resp_pkts", Kind::Count),
    ("orig_ip_bytes", Kind::Count),
    ("resp_ip_bytes", Kind::Count),
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

fn internal(problem: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("internal error: {problem}"))
}

fn parquet_error(error: ParquetError) -> io::Error {
    io::Error::other(format!("writing Parquet: {error}"))
}

/// An optional column (an absent value is a null), its logical type written with the converted
/// type older readers know.
fn primitive(
    name: &str,
    physical: PhysicalType,
    logical: Option<LogicalType>,
    converted: ConvertedType,
) -> PrimitiveTypeBuilder<'_> {
    Type::primitive_type_builder(name, physical)
        .with_repetition(Repetition::OPTIONAL)
        .with_logical_type(logical)
        .with_converted_type(converted)
}

fn text_type(name: &str) -> PrimitiveTypeBuilder<'_> {
    primitive(
        name,
        PhysicalType::BYTE_ARRAY,
        Some(LogicalType::String),
        ConvertedType::UTF8,
    )
}

impl Kind {
    /// The column's Parquet type.
    fn parquet_type(self, name: &str) -> Result<Type, ParquetError> {
        // The three-level list of the Parquet spec: `optional group NAME (LIST) { repeated
        // group list { required ELEMENT element; } }`.
        let list = |element: Type| -> Result<Type, ParquetError> {
            let repeated = Type::group_type_builder("list")
                .with_repetition(Repetition::REPEATED)
                .with_fields(vec![Arc::new(element)])
                .build()?;
            Type::group_type_builder(name)
                .with_repetition(Repetition::OPTIONAL)
                .with_logical_type(Some(LogicalType::List))
                .with_fields(vec![Arc::new(repeated)])
                .build()
        };
        let none = ConvertedType::NONE;
        match self {
            Kind::Text => text_type(name).build(),
            Kind::Port => primitive(name, PhysicalType::INT32, None, none).build(),
            Kind::Count => primitive(name, PhysicalType::INT64, None, none).build(),
            Kind::Timestamp => primitive(
                name,
                PhysicalType::INT64,
                Some(LogicalType::timestamp(true, TimeUnit::MICROS)),
                ConvertedType::TIMESTAMP_MICROS,
            )
            .build(),
            Kind::Seconds => primitive(name, PhysicalType::DOUBLE, None, none).build(),
            Kind::Steps => list(
                primitive("element", PhysicalType::INT32, None, none)
                    .with_repetition(Repetition::REQUIRED)
                    .build()?,
            ),
            Kind::Words => list(
                text_type("element")
                    .with_repetition(Repetition::REQUIRED)
                    .build()?,
            ),
        }
    }

    fn builder(self) -> Builder {
        match self {
            Kind::Text => Builder::Text(Levels::default()),
            Kind::Port => Builder::Int32(Levels::default()),
            Kind::Count => Builder::Int64(Levels::default()),
            Kind::Timestamp => Builder::Timestamp(Levels::default()),
            Kind::Seconds => Builder::Double(Levels::default()),
            Kind::Steps => Builder::Steps(Levels::default()),
            Kind::Words => Builder::Words(Levels::default()),
        }
    }
}

/// The file's schema: [`COLUMNS`] in order, each typed by [`KINDS`]. An error names a column
/// without a type.
fn schema() -> io::Result<TypePtr> {
    let fields = COLUMNS
        .iter()
        .map(|column| {
            let kind = kind_of(column)
                .ok_or_else(|| internal(format!("column {column} has no Parquet type")))?;
            kind.parquet_type(column).map(Arc::new).map_err(internal)
        })
        .collect::<io::Result<Vec<_>>>()?;
    Type::group_type_builder("tcpwave")
        .with_fields(fields)
        .build()
        .map(Arc::new)
        .map_err(internal)
}

/// One column's values as Parquet stores them: the values present, and per row (per item for a
/// list) a definition level, how much of it is defined (0 null; 1 a value, or an empty list; 2 a
/// list's item), and for a list a repetition level (0 a row's first item, 1 a further one).
struct Levels<T> {
    values: Vec<T>,
    definitions: Vec<i16>,
    repetitions: Vec<i16>,
}

impl<T> Default for Levels<T> {
    fn default() -> Self {
        Levels {
            values: Vec::new(),
            definitions: Vec::new(),
            repetitions: Vec::new(),
        }
    }
}

impl<T> Levels<T> {
    fn value(&mut self, value: T) {
        self.values.push(value);
        self.definitions.push(1);
    }

    fn null(&mut self) {
        self.definitions.push(0);
    }

    fn list(&mut self, items: impl IntoIterator<Item = T>) {
        let mut repetition = 0;
        for item in items {
            self.values.push(item);
            self.definitions.push(2);
            self.repetitions.push(repetition);
            repetition = 1;
        }
        if repetition == 0 {
            self.definitions.push(1);
            self.repetitions.push(0);
        }
    }

    fn null_list(&mut self) {
        self.definitions.push(0);
        self.repetitions.push(0);
    }

    /// Writes the values to the row group's column, and starts afresh.
    fn write<D: DataType<T = T>>(
        &mut self,
        column: &mut ColumnWriterImpl<'_, D>,
        list: bool,
    ) -> io::Result<()> {
        let repetitions = list.then_some(&self.repetitions[..]);
        column
            .write_batch(&self.values, Some(&self.definitions), repetitions)
            .map_err(parquet_error)?;
        *self = Levels::default();
        Ok(())
    }
}

/// One column's values so far.
enum Builder {
    Text(Levels<ByteArray>),
    Int32(Levels<i32>),
    Int64(Levels<i64>),
    /// Microseconds.
    Timestamp(Levels<i64>),
    Double(Levels<f64>),
    Steps(Levels<i32>),
    Words(Levels<ByteArray>),
}

fn text(text: &str) -> ByteArray {
    ByteArray::from(text.as_bytes().to_vec())
}

impl Builder {
    /// Appends `cell`; an error if the cell does not fit the column's type.
    fn append(&mut self, cell: Cell<'_>) -> Result<(), String> {
        match (self, cell) {
            (Builder::Text(levels), Cell::Text(value)) => levels.value(text(value)),
            (Builder::Text(levels), Cell::Address(addr)) => levels.value(text(&addr.to_string())),
            (Builder::Int32(levels), Cell::Count(count)) => {
                levels.value(i32::try_from(count).map_err(|_| format!("{count} is too large"))?)
            }
            (Builder::Int64(levels), Cell::Count(count)) => {
                levels.value(i64::try_from(count).map_err(|_| format!("{count} is too large"))?)
            }
            (Builder::Timestamp(levels), Cell::Time(time)) => levels.value(time.as_micros()),
            (Builder::Double(levels), Cell::Time(time)) => levels.value(time.as_f64()),
            (Builder::Steps(levels), Cell::Steps(steps)) => {
                levels.list(steps.iter().map(|&step| i32::from(step)))
            }
            (Builder::Words(levels), Cell::Anomalies(kinds)) => {
                levels.list(kinds.iter().map(|kind| text(kind.as_str())))
            }
            (Builder::Text(levels), Cell::Absent) => levels.null(),
            (Builder::Words(levels), Cell::Absent) => levels.null_list(),
            (Builder::Int32(levels), Cell::Absent) => levels.null(),
            (Builder::Int64(levels) | Builder::Timestamp(levels), Cell::Absent) => levels.null(),
            (Builder::Double(levels), Cell::Absent) => levels.null(),
            (Builder::Steps(levels), Cell::Absent) => levels.null_list(),
            (_, cell) => return Err(format!("{cell:?} does not fit its Parquet type")),
        }
        Ok(())
    }

    /// Writes the values so far to the row group's `column`, and starts afresh.
    fn write(&mut self, column: &mut ColumnWriter<'_>) -> io::Result<()> {
        match (self, column) {
            (Builder::Text(levels), ColumnWriter::ByteArrayColumnWriter(column)) => {
                levels.write(column, false)
            }
            (Builder::Words(levels), ColumnWriter::ByteArrayColumnWriter(column)) => {
                levels.write(column, true)
            }
            (Builder::Int32(levels), ColumnWriter::Int32ColumnWriter(column)) => {
                levels.write(column, false)
            }
            (Builder::Steps(levels), ColumnWriter::Int32ColumnWriter(column)) => {
                levels.write(column, true)
            }
            (
                Builder::Int64(levels) | Builder::Timestamp(levels),
                ColumnWriter::Int64ColumnWriter(column),
            ) => levels.write(column, false),
            (Builder::Double(levels), ColumnWriter::DoubleColumnWriter(column)) => {
                levels.write(column, false)
            }
            _ => Err(internal("a column's values do not fit its Parquet type")),
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
    writer: SerializedFileWriter<W>,
    kinds: Vec<Kind>,
    /// The capture whose rows are pending, and those rows: captures come one at a time.
    pending: Option<(String, Pending)>,
    /// [`ROW_GROUP_ROWS`]; tests make it small.
    row_group_rows: usize,
}

impl<W: Write + Send> ParquetRows<W> {
    pub fn new(out: W) -> io::Result<Self> {
        let kinds = COLUMNS
            .iter()
            .filter_map(|column| kind_of(column))
            .collect();
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            // Exact minimum and maximum of `file` (paths are often longer than the default 64
            // bytes), so a reader skips the row groups of other captures.
            .set_statistics_truncate_length(None)
            .set_created_by(format!("tcpwave {}", env!("CARGO_PKG_VERSION")))
            .build();
        let writer = SerializedFileWriter::new(out, schema()?, Arc::new(properties))
            .map_err(parquet_error)?;
        Ok(ParquetRows {
            writer,
            kinds,
            pending: None,
            row_group_rows: ROW_GROUP_ROWS,
        })
    }

    /// Adds a row to its capture's pending rows (a full row group is written at once).
    pub fn connection(&mut self, row: &Row) -> io::Result<()> {
        if self
            .pending
            .as_ref()
            .is_some_and(|(file, _)| *file != row.file)
        {
            // A capture whose end was not told: its rows are a row group all the same.
            self.write_row_group()?;
        }
        let kinds = &self.kinds;
        let (_, pending) = self.pending.get_or_insert_with(|| {
            let columns = kinds.iter().map(|kind| kind.builder()).collect();
            (row.file.clone(), Pending { columns, rows: 0 })
        });
        for ((column, builder), cell) in COLUMNS.iter().zip(&mut pending.columns).zip(row.cells()) {
            builder
                .append(cell)
                .map_err(|problem| internal(format!("column {column}: {problem}")))?;
        }
        pending.rows += 1;
        if pending.rows == self.row_group_rows {
            self.write_row_group()?;
        }
        Ok(())
    }

    /// Writes the capture's rows still pending as its (last) row group.
    pub fn capture_done(&mut self) -> io::Result<()> {
        self.write_row_group()
    }

    fn write_row_group(&mut self) -> io::Result<()> {
        let Some((_, mut pending)) = self.pending.take() else {
            return Ok(());
        };
        let mut group = self.writer.next_row_group().map_err(parquet_error)?;
        let mut builders = pending.columns.iter_mut();
        while let Some(mut column) = group.next_column().map_err(parquet_error)? {
            let builder = builders
                .next()
                .ok_or_else(|| internal("more Parquet columns than report columns"))?;
            builder.write(column.untyped())?;
            column.close().map_err(parquet_error)?;
        }
        group.close().map_err(parquet_error)?;
        Ok(())
    }

    /// Writes what is pending and the footer, and passes everything on to `W`.
    pub fn finish(mut self) -> io::Result<W> {
        self.write_row_group()?;
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
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::{Field, Row as Record};
    use parquet::schema::types::ColumnDescriptor;

    /// The rows of each row group of the file `reader` reads.
    fn row_group_sizes(reader: &SerializedFileReader<std::fs::File>) -> Vec<i64> {
        reader
            .metadata()
            .row_groups()
            .iter()
            .map(|group| group.num_rows())
            .collect()
    }

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
        let names: Vec<&str> = schema.get_fields().iter().map(|f| f.name()).collect();
        assert_eq!(names, COLUMNS);
        let descriptor = parquet::schema::types::SchemaDescriptor::new(schema);
        let leaf = |path: &str| -> &ColumnDescriptor {
            descriptor
                .columns()
                .iter()
                .find(|column| column.path().string() == path)
                .unwrap_or_else(|| panic!("no column {path}"))
        };
        let start = leaf("start");
        assert_eq!(start.physical_type(), PhysicalType::INT64);
        assert_eq!(
            start.logical_type_ref(),
            Some(&LogicalType::timestamp(true, TimeUnit::MICROS))
        );
        assert_eq!(leaf("orig_p").physical_type(), PhysicalType::INT32);
        assert_eq!(leaf("packets").physical_type(), PhysicalType::INT64);
        assert_eq!(leaf("handshake_rtt").physical_type(), PhysicalType::DOUBLE);
        assert_eq!(
            leaf("orig_h").logical_type_ref(),
            Some(&LogicalType::String)
        );
        let steps = leaf("teardown_steps.list.element");
        assert_eq!(steps.physical_type(), PhysicalType::INT32);
        assert_eq!((steps.max_def_level(), steps.max_rep_level()), (2, 1));
        let anomalies = leaf("anomalies.list.element");
        assert_eq!(anomalies.logical_type_ref(), Some(&LogicalType::String));
        assert_eq!(descriptor.num_columns(), COLUMNS.len());
    }

    fn field<'a>(record: &'a Record, name: &str) -> &'a Field {
        record
            .get_column_iter()
            .find(|(column, _)| *column == name)
            .map(|(_, field)| field)
            .unwrap()
    }

    fn list(record: &Record, name: &str) -> Vec<String> {
        match field(record, name) {
            Field::ListInternal(list) => list.elements().iter().map(Field::to_string).collect(),
            other => panic!("{name} is {other:?}, not a list"),
        }
    }

    /// Rows of two captures, one after the other, written and read back.
    #[test]
    fn one_row_group_per_capture_with_typed_values() {
        let mut other = sample(7);
        other.file = "other.pcap".to_owned();
        other.teardown = None;
        other.teardown_steps.clear();
        other.anomalies.clear();
        let file = tempfile::tempfile().unwrap();
        let mut rows = ParquetRows::new(file).unwrap();
        rows.connection(&other).unwrap();
        rows.capture_done().unwrap();
        rows.connection(&sample(0)).unwrap();
        rows.connection(&sample(1)).unwrap();
        rows.capture_done().unwrap();
        let file = rows.finish().unwrap();

        let reader = SerializedFileReader::new(file).unwrap();
        assert_eq!(row_group_sizes(&reader), [1, 2]);
        let records: Vec<Record> = reader
            .get_row_iter(None)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let files: Vec<String> = records
            .iter()
            .map(|r| field(r, "file").to_string())
            .collect();
        assert_eq!(
            files,
            ["\"other.pcap\"", "\"dir/a,b.pcap\"", "\"dir/a,b.pcap\""]
        );
        let streams: Vec<&Field> = records.iter().map(|r| field(r, "stream")).collect();
        assert_eq!(streams, [&Field::Long(7), &Field::Long(0), &Field::Long(1)]);
        assert_eq!(
            field(&records[1], "start"),
            &Field::TimestampMicros(1_700_000_000_000_001)
        );
        assert_eq!(field(&records[1], "orig_p"), &Field::Int(40000));
        assert_eq!(field(&records[1], "resp_h").to_string(), "\"::1\"");
        assert_eq!(field(&records[1], "handshake_rtt"), &Field::Double(45e-6));
        assert_eq!(field(&records[0], "teardown"), &Field::Null);
        assert_eq!(field(&records[1], "teardown_duration"), &Field::Null);
        assert_eq!(list(&records[1], "handshake_steps"), ["1", "1", "2", "3"]);
        assert_eq!(list(&records[0], "teardown_steps"), Vec::<String>::new());
        assert_eq!(list(&records[2], "teardown_steps"), ["1", "2"]);
        assert_eq!(
            list(&records[2], "anomalies"),
            ["\"retransmission\"", "\"half_close\""]
        );
        assert_eq!(list(&records[0], "anomalies"), Vec::<String>::new());
    }

    #[test]
    fn a_value_that_does_not_fit_is_an_error_not_a_panic() {
        let mut port = Kind::Port.builder();
        assert!(port.append(Cell::Count(65_535)).is_ok());
        assert!(port.append(Cell::Count(1 << 40)).is_err());
        assert!(port.append(Cell::Text("80")).is_err());
        assert!(Kind::Count.builder().append(Cell::Count(u64::MAX)).is_err());
        assert!(Kind::Seconds.builder().append(Cell::Count(1)).is_err());
    }

    #[test]
    fn a_big_capture_is_split_into_row_groups_of_the_cap() {
        let mut rows = ParquetRows::new(tempfile::tempfile().unwrap()).unwrap();
        rows.row_group_rows = 2;
        for stream in 0..5 {
            rows.connection(&sample(stream)).unwrap();
        }
        rows.capture_done().unwrap();
        let reader = SerializedFileReader::new(rows.finish().unwrap()).unwrap();
        assert_eq!(row_group_sizes(&reader), [2, 2, 1]);
        let streams: Vec<String> = reader
            .get_row_iter(None)
            .unwrap()
            .map(|record| field(&record.unwrap(), "stream").to_string())
            .collect();
        assert_eq!(streams, ["0", "1", "2", "3", "4"]);
    }
}
