//! Checking a capture's clock as its packets go by: a time before 1970 or earlier than the
//! frame before it is impossible for a capture written as packets arrive, and it would turn
//! into negative round-trip times and durations. One warning names such frames.

use crate::vocab::seconds::Seconds;

/// How many frames of each kind the warning names before it only counts.
const NAMED: usize = 3;

/// Frames of one kind of impossible time: the first few, and how many in all.
#[derive(Debug, Default)]
struct Frames {
    first: Vec<u64>,
    count: u64,
}

impl Frames {
    fn add(&mut self, frame: u64) {
        if self.first.len() < NAMED {
            self.first.push(frame);
        }
        self.count += 1;
    }

    /// `frame 4`, `frames 4, 9, 12` or `frames 4, 9, 12 and 5 more`.
    fn describe(&self) -> String {
        let numbers: Vec<String> = self.first.iter().map(u64::to_string).collect();
        let word = if self.count == 1 { "frame" } else { "frames" };
        let more = self.count - self.first.len() as u64;
        let tail = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        format!("{word} {}{tail}", numbers.join(", "))
    }
}

/// Fed every packet of a capture in frame order; says what was impossible at the end.
#[derive(Debug, Default)]
pub struct ClockCheck {
    packets: u64,
    /// The frame and time of the latest packet, to compare the next with.
    latest: Option<(u64, Seconds)>,
    before_1970: Frames,
    backwards: Frames,
}

impl ClockCheck {
    pub fn observe(&mut self, frame: u64, time: Seconds) {
        self.packets += 1;
        if time < Seconds::default() {
            self.before_1970.add(frame);
        }
        if let Some((latest_frame, latest_time)) = self.latest {
            // Several packets of one frame (tunnels) share its time: only a later frame counts.
            if frame != latest_frame && time < latest_time {
                self.backwards.add(frame);
            }
        }
        self.latest = Some((frame, time));
    }

    /// Packets observed.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// One warning about the impossible times seen, if any.
    pub fn warning(&self) -> Option<String> {
        let mut problems = Vec::new();
        if self.before_1970.count > 0 {
            problems.push(format!("{} timed before 1970", self.before_1970.describe()));
        }
        if self.backwards.count > 0 {
            problems.push(format!(
                "{} timed earlier than the frame before",
                self.backwards.describe()
            ));
        }
        (!problems.is_empty()).then(|| {
            format!(
                "impossible timestamps: {}; round-trip times and durations that span them \
                 are wrong",
                problems.join("; ")
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(times: &[(u64, i64)]) -> ClockCheck {
        let mut clock = ClockCheck::default();
        for &(frame, seconds) in times {
            clock.observe(frame, Seconds::from_secs(seconds));
        }
        clock
    }

    #[test]
    fn a_steady_clock_gives_no_warning() {
        let clock = check(&[(1, 0), (2, 0), (3, 5), (3, 5), (4, 7)]);
        assert_eq!(clock.packets(), 5);
        assert_eq!(clock.warning(), None);
    }

    #[test]
    fn backwards_frames_are_named_then_counted() {
        // Frames 2, 4, 5 and 7 go back; 6 is later than 5.
        let clock = check(&[(1, 10), (2, 9), (3, 20), (4, 1), (5, 0), (6, 3), (7, 2)]);
        assert_eq!(
            clock.warning().unwrap(),
            "impossible timestamps: frames 2, 4, 5 and 1 more timed earlier than the frame \
             before; round-trip times and durations that span them are wrong"
        );
    }

    #[test]
    fn times_before_1970_are_named() {
        let clock = check(&[(1, -5), (2, -4)]);
        assert_eq!(
            clock.warning().unwrap(),
            "impossible timestamps: frames 1, 2 timed before 1970; round-trip times and \
             durations that span them are wrong"
        );
        let once = check(&[(1, 1), (2, -1)]);
        assert_eq!(
            once.warning().unwrap(),
            "impossible timestamps: frame 2 timed before 1970; frame 2 timed earlier than the \
             frame before; round-trip times and durations that span them are wrong"
        );
    }
}
