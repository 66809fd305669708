//! Memory a thread reuses from one call to the next. A training step of a
//! convolutional network allocates some 80 MB of activations and gradients
//! and frees them at its end; glibc hands most of that back to the system,
//! and the next step takes a page fault on every 4 KiB of it again, each
//! flushing the other core's TLB (in a virtual machine, an exit). Run with
//! `MALLOC_TOP_PAD_` set so that glibc kept it, the step took 50 ms instead
//! of 90 (measured): the stages' arrays and the convolution's task buffers
//! are therefore taken from, and given back to, the spares each thread
//! keeps here: at most [`KEPT`] buffers and [`KEPT_BYTES`] in all, a
//! request served only by a spare at most twice its size.

use std::cell::RefCell;

use ndarray::{Array2, ArrayView2, ArrayViewMut2};

/// How many spare buffers a thread keeps: about a step's arrays.
const KEPT: usize = 32;

/// How much memory a thread's spares may hold in all: 256 MiB.
const KEPT_BYTES: usize = 256 << 20;

thread_local! {
    static SPARE: RefCell<Vec<Vec<f32>>> = const { RefCell::new(Vec::new()) };
    static SPARE_INDICES: RefCell<Vec<Vec<u32>>> = const { RefCell::new(Vec::new()) };
}

/// The smallest spare buffer of at least `length` values (or a new one),
/// holding `length` zeros; or with `zeroed` false, holding whatever it held
/// before (zeros where it had less), for a caller that writes every value.
fn take(length: usize, zeroed: bool) -> Vec<f32> {
    let mut values = SPARE.with(|spare| {
        let mut spare = spare.borrow_mut();
        // Not a spare far larger than the request: the array may be the
        // caller's to keep.
        let fits = spare
            .iter()
            .enumerate()
            .filter(|(_, buffer)| buffer.capacity() >= length && buffer.capacity() <= 2 * length + 1024)
            .min_by_key(|(_, buffer)| buffer.capacity())
            .map(|(index, _)| index);
        match fits {
            Some(index) => spare.swap_remove(index),
            None => Vec::new(),
        }
    });
    if zeroed {
        values.clear();
    }
    values.truncate(length);
    values.resize(length, 0.0);
    values
}

/// Keep `values` as a spare of this thread's.
fn give(values: Vec<f32>) {
    if values.capacity() == 0 {
        return;
    }
    // A thread that is ending has no spares to keep.
    let _ = SPARE.try_with(|spare| {
        let mut spare = spare.borrow_mut();
        spare.push(values);
        let bytes = |spare: &[Vec<f32>]| spare.iter().map(|b| b.capacity() * 4).sum::<usize>();
        while spare.len() > KEPT || bytes(&spare) > KEPT_BYTES {
            // Too many: the smallest goes; too much: the largest.
            let over_count = spare.len() > KEPT;
            let index = (0..spare.len())
                .min_by_key(|&index| {
                    let capacity = spare[index].capacity();
                    if over_count {
                        capacity
                    } else {
                        usize::MAX - capacity
                    }
                })
                .expect("the list is not empty");
            spare.swap_remove(index);
        }
    });
}

/// `length` zero indices (a max pooling's winners) in a spare buffer.
pub(crate) fn indices(length: usize) -> Vec<u32> {
    let mut values = SPARE_INDICES
        .with(|spare| {
            let mut spare = spare.borrow_mut();
            let fits = spare.iter().position(|buffer| buffer.capacity() >= length);
            fits.map(|index| spare.swap_remove(index))
        })
        .unwrap_or_default();
    values.clear();
    values.resize(length, 0);
    values
}

/// Give indices from [`indices`] back.
pub(crate) fn recycle_indices(values: Vec<u32>) {
    let _ = SPARE_INDICES.try_with(|spare| {
        let mut spare = spare.borrow_mut();
        if spare.len() < KEPT / 4 {
            spare.push(values);
        }
    });
}

/// A `rows × columns` array of zeros in one of this thread's spare buffers.
pub(crate) fn zeros(rows: usize, columns: usize) -> Array2<f32> {
    Array2::from_shape_vec((rows, columns), take(rows * columns, true))
        .expect("the buffer holds rows × columns")
}

/// A `rows × columns` array in one of this thread's spare buffers, its
/// values left from their last use: for a caller that overwrites them all
/// (clearing them first would cost a pass over memory for nothing).
pub(crate) fn overwritten(rows: usize, columns: usize) -> Array2<f32> {
    Array2::from_shape_vec((rows, columns), take(rows * columns, false))
        .expect("the buffer holds rows × columns")
}

/// A copy of `array` in one of this thread's spare buffers.
pub(crate) fn copy(array: ArrayView2<f32>) -> Array2<f32> {
    let mut copied = overwritten(array.nrows(), array.ncols());
    copied.assign(&array);
    copied
}

/// Give `array`'s memory back to this thread's spares.
pub(crate) fn recycle(array: Array2<f32>) {
    let (values, _) = array.into_raw_vec_and_offset();
    give(values);
}

/// A `rows × columns` matrix in one of this thread's spare buffers (zeros,
/// or left from earlier use with [`Scratch::overwritten`]), given back to
/// the thread that drops it.
pub(crate) struct Scratch {
    values: Vec<f32>,
    rows: usize,
    columns: usize,
}

impl Scratch {
    /// A matrix whose values the caller overwrites all (see [`overwritten`]).
    pub(crate) fn overwritten(rows: usize, columns: usize) -> Scratch {
        Scratch {
            values: take(rows * columns, false),
            rows,
            columns,
        }
    }

    /// The matrix.
    pub(crate) fn view(&self) -> ArrayView2<'_, f32> {
        ArrayView2::from_shape((self.rows, self.columns), &self.values)
            .expect("the buffer holds rows × columns")
    }

    /// The matrix, to write.
    pub(crate) fn view_mut(&mut self) -> ArrayViewMut2<'_, f32> {
        ArrayViewMut2::from_shape((self.rows, self.columns), &mut self.values)
            .expect("the buffer holds rows × columns")
    }

    /// The values, row by row.
    pub(crate) fn as_slice_mut(&mut self) -> &mut [f32] {
        &mut self.values
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        give(core::mem::take(&mut self.values));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_comes_back_zeroed_and_reused() {
        let mut first = Scratch::overwritten(3, 4);
        first.as_slice_mut().fill(7.0);
        let pointer = first.as_slice_mut().as_ptr();
        drop(first);
        let second = zeros(2, 5);
        assert_eq!(second.as_ptr(), pointer);
        assert!(second.iter().all(|&value| value == 0.0));
        assert_eq!(second.dim(), (2, 5));
    }
}
