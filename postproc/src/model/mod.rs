//! The row model: the labelled packets an engine yields, folded into one row per connection
//! with Zeek's conn_state and history, and the tallies and ladders built from rows and packets.

pub mod clock;
pub mod finished;
pub mod fold;
pub mod in_order;
pub mod ladder;
pub mod packet;
pub mod row;
pub mod stream_set;
pub mod tally;
pub mod zeek;
