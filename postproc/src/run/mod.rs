//! Running captures: finding them, reading each through an engine (tshark with the plugin), and
//! handing the finished connections on, in order, from several threads.

pub mod inputs;
pub mod jobs;
pub mod tshark;
