//! The portable microkernel: plain Rust with `f32::mul_add` (correctly rounded everywhere, in
//! hardware or not), the same chains as the vector kernels, so the same bits.

use super::Tile;

/// Rows of a full tile.
pub const MR: usize = 4;
/// Columns of a full tile.
pub const NR: usize = 16;

/// Runs one tile.
pub(super) unsafe fn tile(t: Tile) {
    let mut acc = [[0.0f32; NR]; MR];
    for (r, row) in acc.iter_mut().enumerate().take(t.rows) {
        if t.from_c {
            let c = t.c.offset(r as isize * t.c_rs);
            for (j, x) in row.iter_mut().enumerate().take(t.cols) {
                *x = *c.add(j);
            }
        }
    }
    for kk in 0..t.kc {
        let b = t.b.offset(kk as isize * t.b_rs);
        for (r, row) in acc.iter_mut().enumerate().take(t.rows) {
            let a = *t.a.offset(r as isize * t.a_rs + kk as isize * t.a_cs);
            for (j, x) in row.iter_mut().enumerate().take(t.cols) {
                *x = a.mul_add(*b.add(j), *x);
            }
        }
    }
    for (r, row) in acc.iter().enumerate().take(t.rows) {
        let c = t.c.offset(r as isize * t.c_rs);
        for (j, &x) in row.iter().enumerate().take(t.cols) {
            *c.add(j) = if t.plus_zero { x + 0.0 } else { x };
        }
    }
}
