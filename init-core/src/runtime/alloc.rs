//! Buffers from the allocator: zeroed memory that a refusal turns into a
//! typed error instead of an abort, with the kernel asked for huge pages
//! where a buffer is large.

use crate::runtime::error::Error;

/// A float whose all-zero bits are `0.0`.
pub(crate) trait ZeroBits: Copy {}
impl ZeroBits for f32 {}
impl ZeroBits for f64 {}

/// A buffer of `len` zeros, or the error for an allocation the system
/// refuses (where `vec!` would abort the process). The memory comes from the
/// allocator's zeroed path, so a large buffer is fresh pages that the first
/// write faults in, on whichever threads write it, instead of a pass here.
pub(crate) fn zeroed<T: ZeroBits>(len: usize, what: &'static str) -> Result<Vec<T>, Error> {
    let refused = || Error::Allocation {
        what,
        bytes: len as u128 * core::mem::size_of::<T>() as u128,
    };
    let layout = std::alloc::Layout::array::<T>(len).map_err(|_| refused())?;
    if layout.size() == 0 {
        return Ok(Vec::new());
    }
    // SAFETY: the layout's size is not zero.
    let pointer = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<T>();
    if pointer.is_null() {
        return Err(refused());
    }
    huge_pages(pointer.cast(), layout.size());
    // SAFETY: the global allocator gave `pointer` for `Layout::array::<T>(len)`,
    // the layout a Vec of capacity `len` has, and every one of the `len`
    // values is initialised: all-zero bits are 0.0 for the floats `ZeroBits` admits.
    Ok(unsafe { Vec::from_raw_parts(pointer, len, len) })
}

/// Ask Linux to back the 2 MiB-aligned part of a large fresh buffer with
/// transparent huge pages (where they are enabled for `madvise`, the
/// default of most distributions): the first write then faults in one page
/// per 2 MiB, not per 4 KiB, which halves the time to sample a large tensor
/// into fresh memory. Only advice: a kernel that declines changes nothing.
fn huge_pages(start: *mut u8, bytes: usize) {
    const HUGE: usize = 2 << 20;
    #[cfg(target_os = "linux")]
    if bytes >= 4 * HUGE {
        let offset = start.align_offset(HUGE);
        let length = (bytes - offset) / HUGE * HUGE;
        // SAFETY: `[start + offset, start + offset + length)` lies inside the
        // allocation just made, and MADV_HUGEPAGE only changes how the kernel
        // backs it, never its contents.
        unsafe {
            libc::madvise(start.add(offset).cast(), length, libc::MADV_HUGEPAGE);
        }
    }
    let _ = (start, bytes, HUGE);
}
