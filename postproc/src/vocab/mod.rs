//! Words and values every layer of the CLI shares.

pub mod calendar;
pub mod fatal;
pub mod releases;
pub mod seconds;
pub mod words;
