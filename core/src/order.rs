//! Sorting index lists: one instantiation of the standard library's stable sort for
//! every index ordering in the engine.
//!
//! Each `sort_by` call with its own closure compiles its own copy of the sort (several
//! kilobytes each); routing the index sorts through one comparator type keeps the
//! WebAssembly package small. None of these sorts is on a hot path.

use std::cmp::Ordering;

/// Sorts `order` stably by `compare` (the same result as `order.sort_by(|&a, &b|
/// compare(a, b))`).
pub(crate) fn sort_indices(order: &mut [usize], compare: &dyn Fn(usize, usize) -> Ordering) {
    order.sort_by(|&a, &b| compare(a, b));
}

/// Sorts `values` by [`f64::total_cmp`] (the same result as
/// `values.sort_by(f64::total_cmp)`: values that compare equal are the same bits)
/// through [`sort_indices`].
pub(crate) fn sort_floats(values: &mut [f64]) {
    let mut order: Vec<usize> = (0..values.len()).collect();
    sort_indices(&mut order, &|a, b| values[a].total_cmp(&values[b]));
    let sorted: Vec<f64> = order.iter().map(|&i| values[i]).collect();
    values.copy_from_slice(&sorted);
}
