//! Searching text eight bytes at a time, for the few bytes a scanner must stop at (the fast
//! reader's quotes and backslashes, the COPY text's escapes): whole words are tested with the
//! bit tricks for "has a zero byte" and "has a byte less than n", and the bytes after the last
//! whole word one by one.

/// A word of eight ones.
pub const ONES: u64 = u64::from_le_bytes([1; 8]);
/// The high bit of each byte of a word.
pub const HIGH: u64 = ONES * 0x80;

/// The high bit of each byte of `x` that equals `byte`, and perhaps of bytes above one that
/// does (a borrow); the lowest bit set is always a true one.
#[inline(always)]
pub fn equal(x: u64, byte: u8) -> u64 {
    let y = x ^ (ONES * u64::from(byte));
    y.wrapping_sub(ONES) & !y & HIGH
}

/// The high bit of each byte of `x` below `n` (at most 0x80), as [`equal`] with borrows.
#[inline(always)]
pub fn below(x: u64, n: u8) -> u64 {
    x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH
}

/// The offset of the first byte at or after `at` that `stops` says to stop at; `None` when
/// `bytes` ends first. `flags` gives, for a word read in little-endian order, the high bit of
/// each byte `stops` holds for (perhaps with false ones above a true one, never below).
#[inline(always)]
pub fn find(
    bytes: &[u8],
    mut at: usize,
    flags: impl Fn(u64) -> u64,
    stops: impl Fn(u8) -> bool,
) -> Option<usize> {
    while let Some(word) = bytes.get(at..at + 8) {
        let mut eight = [0; 8];
        eight.copy_from_slice(word);
        let flagged = flags(u64::from_le_bytes(eight));
        if flagged != 0 {
            return Some(at + (flagged.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let rest = bytes.get(at..)?;
    rest.iter().position(|&b| stops(b)).map(|p| at + p)
}
