//! Settings of the shipped binaries' allocator (mimalloc; the desktop app, the CLI and the
//! benches declare it as their global allocator, see the workspace `Cargo.toml`).
//!
//! mimalloc's default *purge* gives freed memory back to the operating system by decommitting it
//! (`MADV_DONTNEED` on Linux, `MEM_DECOMMIT` on Windows) one second after it fell free. An import
//! frees each package's parsed ops when the package is done and allocates the next package's a
//! moment later, so those pages were decommitted and faulted in again, zeroed by the kernel, for
//! every package: ~270,000 page faults and ~2.5 s of kernel time in the 30-commune import
//! (BENCHMARKS.md, session 10). With `purge_decommits = 0` a purge *resets* the memory instead
//! (`MADV_FREE` / `MEM_RESET`): the system still takes the pages back when it needs them, but
//! memory reused before that costs no fault.
//!
//! Each purge still had a price: an `madvise` call that interrupts the other core to flush its
//! TLB (the profiles show those interrupts), and more kernel time. A folder import frees and
//! reallocates the same amount of memory for every package, and with v3's one-second delay it
//! kept purging memory it reused moments later: ~0.3 s of a ~10 s 30-commune import
//! (BENCHMARKS.md, session 12; 5 s kept about half of that, 15 s and 60 s all of it, as did
//! never purging). The delay is therefore 15 s: memory free that long is reset as before, so
//! an idle desktop app still gives it back, and since a reset does not lower the resident size
//! until the system reclaims the pages, nothing a user sees changes.
//!
//! This module holds the workspace's only `unsafe` code (the lint is `deny` with this one
//! exception): calls into mimalloc's C API with integer arguments.

/// `mi_option_purge_decommits` in the `mi_option_e` enum of the mimalloc built by
/// `libmimalloc-sys` 0.1.49 (`c_src/mimalloc/v3/include/mimalloc.h`); the crate's own constant
/// list does not name it. [`tests`] checks the index against the option's documented default.
const PURGE_DECOMMITS: libmimalloc_sys::mi_option_t = 5;

/// `mi_option_purge_delay` in the same enum (default 1000 ms in v3).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long memory stays free before it is purged, in milliseconds (see the module comment).
const PURGE_DELAY_MS: std::os::raw::c_long = 15_000;

/// Applies the settings above. Call it first thing in `main`, before any other thread starts
/// (mimalloc's option setters are not thread-safe). `MIMALLOC_PURGE_DECOMMITS` and
/// `MIMALLOC_PURGE_DELAY` environment variables set by the user are overridden; the other
/// `MIMALLOC_*` variables still apply.
#[allow(unsafe_code)]
pub fn tune() {
    // SAFETY: `mi_option_set` takes an option index and a value, both plain integers, and
    // stores the value in mimalloc's static option table; the indices are valid options of
    // the linked mimalloc (checked by the test below), and no other thread runs yet.
    unsafe {
        libmimalloc_sys::mi_option_set(PURGE_DECOMMITS, 0);
        libmimalloc_sys::mi_option_set(PURGE_DELAY, PURGE_DELAY_MS);
    }
}

/// The value of a mimalloc option, for the test of the indices.
#[cfg(test)]
#[allow(unsafe_code)]
fn option(index: libmimalloc_sys::mi_option_t) -> std::os::raw::c_long {
    // SAFETY: `mi_option_get` reads one entry of mimalloc's static option table; both indices
    // used are below `_mi_option_last`.
    unsafe { libmimalloc_sys::mi_option_get(index) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_option_indices_name_the_options_of_the_linked_mimalloc() {
        // The documented defaults of v3: a 1000 ms purge delay (v2 had 10) and purges that
        // decommit (1). A changed enum would put another option at these indices.
        // Only this test calls `tune` in this process.
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(option(PURGE_DELAY), 1000, "purge_delay is not option 15");
        }
        if std::env::var_os("MIMALLOC_PURGE_DECOMMITS").is_none() {
            assert_eq!(
                option(PURGE_DECOMMITS),
                1,
                "purge_decommits is not option 5"
            );
        }
        tune();
        assert_eq!(option(PURGE_DECOMMITS), 0);
        assert_eq!(option(PURGE_DELAY), PURGE_DELAY_MS);
    }
}
