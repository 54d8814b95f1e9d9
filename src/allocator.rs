//! The allocator of sparkify's binaries: the `sparkify` command and the bare-parse benchmark
//! declare [`Allocator`] as their `#[global_allocator]` and call [`configure`] first thing in
//! `main`, so both run on the same allocator with the same settings (the benchmark's staging
//! ratio then compares work, not allocators).
//!
//! Staging allocates a short string per JSON member on the parser threads and frees it on
//! DuckDB's; mimalloc does that with less contention than glibc's arenas (BENCHMARKS.md,
//! "mimalloc"). Rust's allocations only: DuckDB's C++ keeps glibc.

/// The global allocator type the binaries declare.
pub type Allocator = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc 3's `mi_option_e`, which the bindings do not name.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// mimalloc 3 keeps freed pages for 1 s before giving them back; sparkify's memory bounds
/// (tests/generate.rs, tests/memory.rs) want them back as soon as mimalloc 2 gave them, after
/// 10 ms. Set only when the option at that index holds the purge delay's default (1000 ms), so a
/// renumbered enum in a later mimalloc leaves every option as it is. Call it before any other
/// thread starts.
pub fn configure() {
    // SAFETY: plain reads and writes of mimalloc's option table, which its docs say are not
    // thread safe: the caller runs this before starting any thread.
    unsafe {
        if libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) == 1000 {
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 10);
        }
    }
}
