//! What the commands print: rows as a table, CSV, JSON, a Zeek conn.log or Parquet, tallies as text, a ladder as text, and
//! the whole report as one HTML page.

pub mod colour;
pub mod html;
pub mod ladder_text;
pub mod output_file;
pub mod parquet;
pub mod rows;
pub mod summary_text;
pub mod zeek_log;
