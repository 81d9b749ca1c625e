//! The AVX2 microkernel: a tile of up to 6 rows × 16 columns of C in 12 registers, one fused
//! multiply-add per element and k, in the same order as the AVX-512 one (see `sgemm`'s header);
//! and the 8 × 8 transpose that packs a B whose columns are contiguous (both vector paths).

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

use super::Tile;

/// Rows of a full tile.
pub const MR: usize = 6;
/// Columns of a full tile (two vectors of 8).
pub const NR: usize = 16;

/// Runs one tile (the CPU must have AVX2 and FMA: `path::Path::Avx2`).
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
                    _ => kernel::<6, $nv, $ak, $mb>(t),
                }
            };
        }
        // B read in place has nothing readable past the tile's last column: mask that vector.
        let mask_b = t.b_rs != NR as isize && !t.cols.is_multiple_of(8);
        match (t.cols > 8, t.a_rows_contiguous(), mask_b) {
            (true, true, false) => rows!(2, true, false),
            (false, true, false) => rows!(1, true, false),
            (true, false, false) => rows!(2, false, false),
            (false, false, false) => rows!(1, false, false),
            (true, true, true) => rows!(2, true, true),
            (false, true, true) => rows!(1, true, true),
            (true, false, true) => rows!(2, false, true),
            (false, false, true) => rows!(1, false, true),
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    unreachable!("the AVX2 path on another architecture ({t:?})")
}

/// C's tile of `R` rows and `V` vectors (C's last vector masked to `t.cols`; a packed B panel
/// is padded with zeros to whole vectors). `AK`: A's rows are contiguous along k. `MB`: B's
/// last vector is loaded masked (B read in place; see the AVX-512 kernel).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn kernel<const R: usize, const V: usize, const AK: bool, const MB: bool>(t: Tile) {
    let tail = (t.cols - (V - 1) * 8) as i32;
    // Lane l is loaded and stored when its mask element's sign bit is set (l < tail).
    let last = _mm256_cmpgt_epi32(
        _mm256_set1_epi32(tail),
        _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
    );
    let mut acc = [[_mm256_setzero_ps(); V]; R];
    if t.from_c {
        for (r, row) in acc.iter_mut().enumerate() {
            let c = t.c.offset(r as isize * t.c_rs);
            for (v, x) in row.iter_mut().enumerate() {
                *x = if v == V - 1 {
                    _mm256_maskload_ps(c.add(v * 8), last)
                } else {
                    _mm256_loadu_ps(c.add(v * 8))
                };
            }
        }
    }
    let rows: [*const f32; R] = std::array::from_fn(|r| t.a.offset(r as isize * t.a_rs));
    let mut a = t.a;
    let mut b = t.b;
    for kk in 0..t.kc {
        let mut bv = [_mm256_setzero_ps(); V];
        for (v, x) in bv.iter_mut().enumerate() {
            *x = if MB && v == V - 1 {
                _mm256_maskload_ps(b.add(v * 8), last)
            } else {
                _mm256_loadu_ps(b.add(v * 8))
            };
        }
        for (r, row) in acc.iter_mut().enumerate() {
            let value = if AK { *rows[r].add(kk) } else { *a.add(r) };
            let av = _mm256_set1_ps(value);
            for (x, &y) in row.iter_mut().zip(&bv) {
                *x = _mm256_fmadd_ps(av, y, *x);
            }
        }
        a = a.offset(t.a_cs);
        b = b.offset(t.b_rs);
    }
    for (r, row) in acc.iter().enumerate() {
        let c = t.c.offset(r as isize * t.c_rs);
        for (v, &x) in row.iter().enumerate() {
            let x = if t.plus_zero {
                _mm256_add_ps(x, _mm256_setzero_ps())
            } else {
                x
            };
            if v == V - 1 {
                _mm256_maskstore_ps(c.add(v * 8), last, x);
            } else {
                _mm256_storeu_ps(c.add(v * 8), x);
            }
        }
    }
}

/// Writes the transpose of the 8 × 8 block whose row j starts at `src + j·src_stride` (8
/// contiguous values) to rows `dst + i·dst_stride` (the CPU must have AVX2).
pub(super) unsafe fn transpose8(
    src: *const f32,
    src_stride: isize,
    dst: *mut f32,
    dst_stride: usize,
) {
    #[cfg(target_arch = "x86_64")]
    transpose8_avx(src, src_stride, dst, dst_stride);
    #[cfg(not(target_arch = "x86_64"))]
    unreachable!(
        "the AVX2 transpose on another architecture ({src:?}, {dst:?}, {src_stride}, {dst_stride})"
    )
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn transpose8_avx(src: *const f32, src_stride: isize, dst: *mut f32, dst_stride: usize) {
    let r: [__m256; 8] =
        std::array::from_fn(|j| _mm256_loadu_ps(src.offset(j as isize * src_stride)));
    let t0 = _mm256_unpacklo_ps(r[0], r[1]);
    let t1 = _mm256_unpackhi_ps(r[0], r[1]);
    let t2 = _mm256_unpacklo_ps(r[2], r[3]);
    let t3 = _mm256_unpackhi_ps(r[2], r[3]);
    let t4 = _mm256_unpacklo_ps(r[4], r[5]);
    let t5 = _mm256_unpackhi_ps(r[4], r[5]);
    let t6 = _mm256_unpacklo_ps(r[6], r[7]);
    let t7 = _mm256_unpackhi_ps(r[6], r[7]);
    let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
    let u1 = _mm256_shuffle_ps::<0xee>(t0, t2);
    let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
    let u3 = _mm256_shuffle_ps::<0xee>(t1, t3);
    let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
    let u5 = _mm256_shuffle_ps::<0xee>(t4, t6);
    let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
    let u7 = _mm256_shuffle_ps::<0xee>(t5, t7);
    let out = [
        _mm256_permute2f128_ps::<0x20>(u0, u4),
        _mm256_permute2f128_ps::<0x20>(u1, u5),
        _mm256_permute2f128_ps::<0x20>(u2, u6),
        _mm256_permute2f128_ps::<0x20>(u3, u7),
        _mm256_permute2f128_ps::<0x31>(u0, u4),
        _mm256_permute2f128_ps::<0x31>(u1, u5),
        _mm256_permute2f128_ps::<0x31>(u2, u6),
        _mm256_permute2f128_ps::<0x31>(u3, u7),
    ];
    for (i, &row) in out.iter().enumerate() {
        _mm256_storeu_ps(dst.add(i * dst_stride), row);
    }
}
