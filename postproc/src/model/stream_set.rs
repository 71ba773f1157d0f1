//! Sets of `tcp.stream` numbers: the streams a capture has finished, and those a display filter
//! selected.

/// `tcp.stream` numbers, one bit each: tshark numbers a capture's streams 0, 1, 2, ... so a
/// stream takes an eighth of a byte (125 KiB for a million) rather than a hash set's 10 to 20
/// bytes, next to the half KiB an open connection takes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StreamSet {
    words: Vec<u64>,
}

impl StreamSet {
    pub fn insert(&mut self, stream: u64) {
        let (word, bit) = Self::place(stream);
        if word >= self.words.len() {
            self.words.resize(word + 1, 0);
        }
        self.words[word] |= bit;
    }

    pub fn contains(&self, stream: u64) -> bool {
        let (word, bit) = Self::place(stream);
        self.words.get(word).is_some_and(|bits| bits & bit != 0)
    }

    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|bits| *bits == 0)
    }

    /// The word that holds `stream`'s bit, and the bit.
    fn place(stream: u64) -> (usize, u64) {
        ((stream / 64) as usize, 1 << (stream % 64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_sets_hold_any_stream_numbers() {
        let mut set = StreamSet::default();
        for stream in [0, 63, 64, 1_000_003] {
            assert!(!set.contains(stream));
            set.insert(stream);
            assert!(set.contains(stream));
        }
        assert!(!set.contains(1) && !set.contains(65) && !set.contains(1_000_002));
        assert!(!set.contains(u64::from(u32::MAX)));
        assert_eq!(set.words.len(), 1_000_003 / 64 + 1);
    }

    #[test]
    fn stream_sets_hold_what_was_inserted() {
        let mut set = StreamSet::default();
        assert!(set.is_empty());
        assert!(!set.contains(0));
        for stream in [0, 63, 64, 1000] {
            set.insert(stream);
        }
        set.insert(64);
        assert!(!set.is_empty());
        for stream in [0, 63, 64, 1000] {
            assert!(set.contains(stream), "{stream}");
        }
        for stream in [1, 62, 65, 999, 1001, u64::from(u32::MAX)] {
            assert!(!set.contains(stream), "{stream}");
        }
    }
}
