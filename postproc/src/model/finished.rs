//! A connection handed out by the fold: its row, and its ladder when ladders were asked for.

use crate::model::ladder::Ladder;
use crate::model::row::Row;

#[derive(Debug)]
pub struct Finished {
    pub row: Row,
    pub ladder: Option<Ladder>,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::row::tests::sample;

    /// The sample row of `stream`, without a ladder.
    pub(crate) fn finished(stream: u64) -> Finished {
        Finished {
            row: sample(stream),
            ladder: None,
        }
    }
}
