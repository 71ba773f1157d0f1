//! A growable array that allocates in fixed chunks, so that a capture of millions of frames never
//! holds the up-to-double spare capacity (nor pays the copies) of a `Vec` that grows by doubling.

const CHUNK: usize = 1 << 14;

#[derive(Debug)]
pub struct ChunkedVec<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for ChunkedVec<T> {
    fn default() -> Self {
        ChunkedVec {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> ChunkedVec<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn push(&mut self, value: T) {
        if self.len % CHUNK == 0 {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        self.chunks
            .last_mut()
            .expect("a chunk with room")
            .push(value);
        self.len += 1;
    }

    pub fn get(&self, index: usize) -> Option<&T> {
        self.chunks.get(index / CHUNK)?.get(index % CHUNK)
    }

    pub fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.chunks.get_mut(index / CHUNK)?.get_mut(index % CHUNK)
    }

    /// The index of the first element for which `is_before` is false, in an array ordered so that
    /// `is_before` holds for a prefix of it (as `slice::partition_point`). It searches from the
    /// end, widening its steps, so a point near the end costs a probe or two instead of a
    /// binary search through memory that is no longer in the cache.
    pub fn partition_point_from_end(&self, is_before: impl Fn(&T) -> bool) -> usize {
        let before = |index: usize| self.get(index).is_some_and(&is_before);
        let mut not_before = self.len;
        let mut step = 1;
        while not_before > 0 {
            let probe = not_before.saturating_sub(step);
            if before(probe) {
                let (mut low, mut high) = (probe + 1, not_before);
                while low < high {
                    let middle = low + (high - low) / 2;
                    if before(middle) {
                        low = middle + 1;
                    } else {
                        high = middle;
                    }
                }
                return low;
            }
            not_before = probe;
            step *= 2;
        }
        0
    }
}

impl<T: Clone> ChunkedVec<T> {
    /// Appends copies of `fill` until the array has `len` elements.
    pub fn extend_to(&mut self, len: usize, fill: T) {
        while self.len < len {
            self.push(fill.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_and_searches_across_chunks() {
        let mut numbers = ChunkedVec::default();
        for n in 0..(3 * CHUNK + 5) {
            numbers.push(n * 2);
        }
        assert_eq!(numbers.len(), 3 * CHUNK + 5);
        assert_eq!(numbers.get(CHUNK + 1), Some(&(2 * CHUNK + 2)));
        assert_eq!(numbers.get(3 * CHUNK + 5), None);
        for target in [
            0,
            1,
            2 * CHUNK + 3,
            6 * CHUNK + 8,
            6 * CHUNK + 9,
            6 * CHUNK + 11,
        ] {
            let expected = (0..numbers.len())
                .find(|&i| *numbers.get(i).unwrap() >= target)
                .unwrap_or(numbers.len());
            assert_eq!(
                numbers.partition_point_from_end(|&n| n < target),
                expected,
                "first >= {target}"
            );
        }
        assert_eq!(numbers.partition_point_from_end(|_| true), 3 * CHUNK + 5);
        assert_eq!(numbers.partition_point_from_end(|_| false), 0);
        *numbers.get_mut(7).unwrap() = 1;
        assert_eq!(numbers.get(7), Some(&1));
    }
}

/// Where each number is kept, for numbers given out mostly in order from 0 (as Wireshark numbers
/// its TCP streams): a table indexed by the number, with a map for numbers far beyond it.
#[derive(Debug, Default)]
pub struct DenseIndex {
    table: Vec<u32>,
    far: rustc_hash::FxHashMap<u32, u32>,
}

/// A number at most this far past the table's end extends it; one further goes to the map.
const TABLE_REACH: usize = 1 << 16;
const VACANT: u32 = u32::MAX;

impl DenseIndex {
    pub fn get(&self, number: u32) -> Option<u32> {
        match self.table.get(number as usize) {
            Some(&VACANT) | None => self.far.get(&number).copied(),
            Some(&position) => Some(position),
        }
    }

    pub fn insert(&mut self, number: u32, position: u32) {
        let slot = number as usize;
        if slot < self.table.len() + TABLE_REACH && position != VACANT {
            if slot >= self.table.len() {
                self.table.resize(slot + 1, VACANT);
            }
            self.table[slot] = position;
        } else {
            self.far.insert(number, position);
        }
    }
}

#[cfg(test)]
mod dense_index_tests {
    use super::*;

    #[test]
    fn near_numbers_go_in_the_table_far_ones_in_the_map() {
        let mut index = DenseIndex::default();
        index.insert(0, 7);
        index.insert(3, 8);
        index.insert(u32::MAX, 9);
        index.insert(4_000_000, 10);
        assert_eq!(
            (index.get(0), index.get(1), index.get(3)),
            (Some(7), None, Some(8))
        );
        assert_eq!(
            (index.get(u32::MAX), index.get(4_000_000), index.get(5)),
            (Some(9), Some(10), None)
        );
        assert_eq!(index.table.len(), 4);
    }
}
