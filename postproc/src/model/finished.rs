//! A connection handed out by the fold: its row, and its ladder when ladders were asked for.

use crate::model::ladder::Ladder;
use crate::model::row::Row;

#[derive(Debug)]
pub struct Finished {
    pub row: Row,
    pub ladder: Option<Ladder>,
}
