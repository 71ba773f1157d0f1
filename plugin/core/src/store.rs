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
        ChunkedVec { chunks: Vec::new(), len: 0 }
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
        self.chunks.last_mut().expect("a chunk with room").push(value);
        self.len += 1;
    }

    pub fn get(&self, index: usize) -> Option<&T> {
        self.chunks.get(index / CHUNK)?.get(index % CHUNK)
    }

    pub fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.chunks.get_mut(index / CHUNK)?.get_mut(index % CHUNK)
    }

    /// The index of the first element for which `is_before` is false, in an array ordered so that
    /// `is_before` holds for a prefix of it (as `slice::partition_point`).
    pub fn partition_point(&self, is_before: impl Fn(&T) -> bool) -> usize {
        let chunk = self.chunks.partition_point(|chunk| chunk.last().is_some_and(&is_before));
        match self.chunks.get(chunk) {
            Some(elements) => chunk * CHUNK + elements.partition_point(&is_before),
            None => self.len,
        }
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
        assert_eq!(numbers.partition_point(|&n| n < 2 * CHUNK + 3), CHUNK + 2);
        assert_eq!(numbers.partition_point(|_| true), 3 * CHUNK + 5);
        assert_eq!(numbers.partition_point(|_| false), 0);
        *numbers.get_mut(7).unwrap() = 1;
        assert_eq!(numbers.get(7), Some(&1));
    }
}
