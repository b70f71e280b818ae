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
