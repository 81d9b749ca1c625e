//! The AVX-512 microkernel: a tile of up to 8 rows × 48 columns of C in 24 registers, one fused
//! multiply-add per element and k (see the module header of `sgemm` for the order). Per k it
//! loads three vectors of B's packed panel and broadcasts eight values of A: 11 loads for 24
//! multiply-adds. Eight rows divide the batch sizes and widths training uses (32, 256, 784).

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

use super::Tile;

/// Rows of a full tile.
pub const MR: usize = 8;
/// Columns of a full tile (four vectors of 16).
pub const NR: usize = 48;

/// Runs one tile (the CPU must have AVX-512F: `path::Path::Avx512`).
pub(super) unsafe fn tile(t: Tile) {
    #[cfg(target_arch = "x86_64")]
    {
        macro_rules! rows {
            ($nv:literal, $ak:literal, $mb:literal) => {
                match t.rows {
                    1 => kernel::<1, $nv, $ak, $mb>(t),
                    2 => kernel::<2, $nv, $ak, $mb>(t),
                    3 => kernel::<3, $nv, $ak, $mb>(t),
                    4 => kernel::<4, $nv, $ak, $mb>(t),
                    5 => kernel::<5, $nv, $ak, $mb>(t),
                    6 => kernel::<6, $nv, $ak, $mb>(t),
                    7 => kernel::<7, $nv, $ak, $mb>(t),
                    _ => kernel::<8, $nv, $ak, $mb>(t),
                }
            };
        }
        macro_rules! vectors {
            ($ak:literal, $mb:literal) => {
                match t.cols.div_ceil(16) {
                    1 => rows!(1, $ak, $mb),
                    2 => rows!(2, $ak, $mb),
                    _ => rows!(3, $ak, $mb),
                }
            };
        }
        // B read in place has nothing readable past the tile's last column: mask that vector.
        let mask_b = t.b_rs != NR as isize && !t.cols.is_multiple_of(16);
        match (t.a_rows_contiguous(), mask_b) {
            (true, false) => vectors!(true, false),
            (true, true) => vectors!(true, true),
            (false, false) => vectors!(false, false),
            (false, true) => vectors!(false, true),
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    unreachable!("the AVX-512 path on another architecture ({t:?})")
}

/// C's tile of `R` rows and `V` vectors (C's last vector masked to `t.cols`; a packed B panel
/// is padded with zeros to whole vectors, so its loads need no mask). `AK`: A's rows are
/// contiguous along k (else each k's rows are). `MB`: B's last vector is loaded masked (B read
/// in place, its tile not a whole number of vectors wide); the masked lanes feed only
/// accumulators that are never stored.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn kernel<const R: usize, const V: usize, const AK: bool, const MB: bool>(t: Tile) {
    let tail = t.cols - (V - 1) * 16;
    let last: __mmask16 = if tail >= 16 {
        0xffff
    } else {
        (1u16 << tail) - 1
    };
    let mut acc = [[_mm512_setzero_ps(); V]; R];
    if t.from_c {
        for (r, row) in acc.iter_mut().enumerate() {
            let c = t.c.offset(r as isize * t.c_rs);
            for (v, x) in row.iter_mut().enumerate() {
                *x = if v == V - 1 {
                    _mm512_maskz_loadu_ps(last, c.add(v * 16))
                } else {
                    _mm512_loadu_ps(c.add(v * 16))
                };
            }
        }
    }
    // A's element (r, kk) is at rows[r] + kk (AK) or at a + kk·a_cs + r.
    let mut rows: [*const f32; R] = std::array::from_fn(|r| t.a.offset(r as isize * t.a_rs));
    let mut a = t.a;
    let mut b = t.b;
    // One k: the FMAs of every element of the tile, in k order whatever the unrolling.
    macro_rules! step {
        ($u:expr) => {
            let mut bv = [_mm512_setzero_ps(); V];
            for (v, x) in bv.iter_mut().enumerate() {
                let at = b.offset($u * t.b_rs + v as isize * 16);
                *x = if MB && v == V - 1 {
                    _mm512_maskz_loadu_ps(last, at)
                } else {
                    _mm512_loadu_ps(at)
                };
            }
            for (r, row) in acc.iter_mut().enumerate() {
                let value = if AK {
                    *rows[r].add($u)
                } else {
                    *a.offset($u * t.a_cs + r as isize)
                };
                let av = _mm512_set1_ps(value);
                for (x, &y) in row.iter_mut().zip(&bv) {
                    *x = _mm512_fmadd_ps(av, y, *x);
                }
            }
        };
    }
    // Four k per iteration: the addresses advance once per four.
    for _ in 0..t.kc / 4 {
        step!(0);
        step!(1);
        step!(2);
        step!(3);
        for p in rows.iter_mut() {
            *p = p.add(4);
        }
        a = a.offset(4 * t.a_cs);
        b = b.offset(4 * t.b_rs);
    }
    for _ in 0..t.kc % 4 {
        step!(0);
        for p in rows.iter_mut() {
            *p = p.add(1);
        }
        a = a.offset(t.a_cs);
        b = b.offset(t.b_rs);
    }
    for (r, row) in acc.iter().enumerate() {
        let c = t.c.offset(r as isize * t.c_rs);
        for (v, &x) in row.iter().enumerate() {
            let x = if t.plus_zero {
                _mm512_add_ps(x, _mm512_setzero_ps())
            } else {
                x
            };
            if v == V - 1 {
                _mm512_mask_storeu_ps(c.add(v * 16), last, x);
            } else {
                _mm512_storeu_ps(c.add(v * 16), x);
            }
        }
    }
}
