//! Running captures: finding them, reading each through an engine (tshark with the plugin, or the
//! native reader), and
//! handing the finished connections on, in order, from several threads.

pub mod engine;
pub mod inputs;
pub mod jobs;
pub mod native;
pub mod tshark;
