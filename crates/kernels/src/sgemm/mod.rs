//! Version 2's single-precision matrix product: C ← A·B (or C ← C + A·B) for strided matrices.
//!
//! # One order of summation
//!
//! Every output element is one chain of fused multiply-adds over k in increasing order,
//! `acc = fma(A[i,k], B[k,j], acc)`, starting from +0 (or from C[i,j] when accumulating). Blocking
//! k only stores the partial chain in C and reloads it, which changes no bit, and an element is
//! never split between threads. So the result depends on nothing but the inputs: not on the
//! instruction-set path (16 lanes, 8 lanes or scalar `f32::mul_add` give the same bits), not on
//! the thread count, the blocking, the layout of the operands or the machine's cache sizes.
//! `tests/it/kernels_sgemm.rs` checks that against a plain loop, bit for bit.
//!
//! # How
//!
//! The product is normalised so that C's rows are contiguous (a column-major C is computed as
//! Cᵀ = Bᵀ·Aᵀ; another layout goes through a contiguous copy). As GotoBLAS: columns in blocks of
//! [`NC`], k in blocks of at most [`KC`] with B's block packed into panels of NR columns (a plain
//! copy when B's rows are contiguous, as in the forward pass and the kernel gradient; a transpose
//! in 8 × 8 blocks when its columns are, as the input gradient's Wᵀ; read in place, unpacked,
//! when its rows are contiguous and C has at most 64 rows, as the forward pass at batch 32, where
//! few tiles would reuse the packed copy), then a microkernel per
//! MR × NR tile of C, which keeps the tile in registers over the block and reads A in place when
//! its rows or its columns are contiguous (packing it otherwise): MR = 8, NR = 48 with AVX-512
//! (24 of 32 registers), MR = 6, NR = 16 with AVX2 (12 of 16), MR = 4 portably. C's last columns use masked loads
//! and stores. Large products split their columns (or rows) between threads.

mod avx2;
mod avx512;
mod portable;

use std::cell::RefCell;

use crate::path::{self, Path};

/// Where each element's chain of multiply-adds starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Init {
    /// At +0: C ← A·B (C is not read).
    Zero,
    /// At C's value: C ← C + A·B, summed into C.
    Dst,
    /// At +0, and +0 added to each finished chain: C ← A·B + 0 (C is not read), the bits of a
    /// product made apart and then added onto a zeroed buffer, as dfdx adds a fresh product to
    /// a zero gradient (a −0 sum, from a tiny negative product that rounded to zero, comes out
    /// +0). In the microkernel's store, so it costs no pass over C of its own.
    ZeroAdded,
}

/// A strided matrix operand: element (i, j) at `ptr + i·rs + j·cs`.
#[derive(Debug, Clone, Copy)]
pub struct Strided<P> {
    /// Element (0, 0).
    pub ptr: P,
    /// Row stride, in elements.
    pub rs: isize,
    /// Column stride, in elements.
    pub cs: isize,
}

/// k per block: a B panel of KC × 48 floats (24 KiB) and A's rows for a tile (4 KiB) fit L1.
const KC: usize = 128;
/// Columns per packed block of B (KC × NC floats, 512 KiB, in L2).
const NC: usize = 1024;
/// Rows of A per pass over a block's B panels (MC × KC floats, 128 KiB, stay in L2). A multiple
/// of every path's MR, so that tiles do not straddle two passes.
const MC: usize = 240;

/// Up to this many rows of C, a B with contiguous rows is read in place, not packed.
const B_IN_PLACE_MAX_ROWS: usize = 64;

/// C (m × n) ← A (m × k) · B (k × n), each element summed as the module header says, on up to
/// `threads` threads of the current rayon pool (each element by one thread: the split changes
/// no bit).
///
/// # Safety
/// The operands must describe valid m × k, k × n and m × n matrices; C must not overlap A or B,
/// and (unless it is a plain layout with one stride 1) no two of its elements may share memory.
#[allow(clippy::too_many_arguments)]
pub unsafe fn sgemm(
    m: usize,
    n: usize,
    k: usize,
    c: Strided<*mut f32>,
    init: Init,
    a: Strided<*const f32>,
    b: Strided<*const f32>,
    threads: usize,
) {
    if m == 0 || n == 0 {
        return;
    }
    if c.cs == 1 {
        return row_major(m, n, k, c, init, a, b, threads);
    }
    if c.rs == 1 {
        // Cᵀ (n × m, rows contiguous) = Bᵀ·Aᵀ: every element's chain has the same products in
        // the same order (fma is symmetric in its factors).
        let ct = Strided {
            ptr: c.ptr,
            rs: c.cs,
            cs: 1,
        };
        let (at, bt) = (transposed(b), transposed(a));
        return row_major(n, m, k, ct, init, at, bt, threads);
    }
    // Any other layout: through a contiguous copy.
    let mut copy = vec![0.0f32; m * n];
    if init == Init::Dst {
        for i in 0..m {
            for j in 0..n {
                copy[i * n + j] = *at(c, i, j);
            }
        }
    }
    let contiguous = Strided {
        ptr: copy.as_mut_ptr(),
        rs: n as isize,
        cs: 1,
    };
    row_major(m, n, k, contiguous, init, a, b, threads);
    for i in 0..m {
        for j in 0..n {
            *at(c, i, j) = copy[i * n + j];
        }
    }
}

/// The operand's transpose (no copy).
fn transposed(x: Strided<*const f32>) -> Strided<*const f32> {
    Strided {
        ptr: x.ptr,
        rs: x.cs,
        cs: x.rs,
    }
}

/// Element (i, j).
unsafe fn at<P: Copy + Offset>(x: Strided<P>, i: usize, j: usize) -> P {
    x.ptr.offset_by(i as isize * x.rs + j as isize * x.cs)
}

/// Pointer offsets for both pointer kinds.
trait Offset {
    unsafe fn offset_by(self, count: isize) -> Self;
}
impl Offset for *const f32 {
    unsafe fn offset_by(self, count: isize) -> Self {
        self.offset(count)
    }
}
impl Offset for *mut f32 {
    unsafe fn offset_by(self, count: isize) -> Self {
        self.offset(count)
    }
}

/// Raw operands that may cross into another thread (each thread writes its own part of C).
#[derive(Clone, Copy)]
struct Shared {
    c: Strided<*mut f32>,
    a: Strided<*const f32>,
    b: Strided<*const f32>,
}
// SAFETY: the threads of one product read A and B and write disjoint parts of C.
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}

/// [`sgemm`] with C's rows contiguous (`c.cs == 1`), split between threads.
#[allow(clippy::too_many_arguments)]
unsafe fn row_major(
    m: usize,
    n: usize,
    k: usize,
    c: Strided<*mut f32>,
    init: Init,
    a: Strided<*const f32>,
    b: Strided<*const f32>,
    threads: usize,
) {
    let path = path::current();
    let (mr, nr) = tile(path);
    let threads = threads.clamp(1, rayon::current_num_threads());
    let (n_tiles, m_tiles) = (n.div_ceil(nr), m.div_ceil(mr));
    let parts = threads.min(n_tiles.max(m_tiles));
    if parts <= 1 {
        return serial(path, m, n, k, c, init, a, b);
    }
    // Columns when there are enough column tiles, rows otherwise; whole tiles per part.
    let by_columns = n_tiles >= parts;
    let (tiles, width) = if by_columns {
        (n_tiles, nr)
    } else {
        (m_tiles, mr)
    };
    let shared = Shared { c, a, b };
    rayon::scope(|scope| {
        for part in 0..parts {
            let first = tiles * part / parts * width;
            let end = (tiles * (part + 1) / parts * width).min(if by_columns { n } else { m });
            let shared = &shared;
            scope.spawn(move |_| {
                let Shared { c, a, b } = *shared;
                // SAFETY: a block of C's columns (or rows) with the matching part of B (or A).
                unsafe {
                    if by_columns {
                        let c = Strided {
                            ptr: at(c, 0, first),
                            ..c
                        };
                        let b = Strided {
                            ptr: at(b, 0, first),
                            ..b
                        };
                        serial(path, m, end - first, k, c, init, a, b)
                    } else {
                        let c = Strided {
                            ptr: at(c, first, 0),
                            ..c
                        };
                        let a = Strided {
                            ptr: at(a, first, 0),
                            ..a
                        };
                        serial(path, end - first, n, k, c, init, a, b)
                    }
                }
            });
        }
    });
}

/// (MR, NR): the microkernel's tile on `path`.
fn tile(path: Path) -> (usize, usize) {
    match path {
        Path::Avx512 => (avx512::MR, avx512::NR),
        Path::Avx2 => (avx2::MR, avx2::NR),
        Path::Portable => (portable::MR, portable::NR),
    }
}

thread_local! {
    /// Packing space (A's panels, then B's when B is packed), reused by every product of the
    /// thread.
    static PACKS: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// One thread's product with C's rows contiguous, blocked as the module header says.
#[allow(clippy::too_many_arguments)]
unsafe fn serial(
    path: Path,
    m: usize,
    n: usize,
    k: usize,
    c: Strided<*mut f32>,
    init: Init,
    a: Strided<*const f32>,
    b: Strided<*const f32>,
) {
    debug_assert_eq!(c.cs, 1);
    if k == 0 {
        if init != Init::Dst {
            for i in 0..m {
                std::ptr::write_bytes(at(c, i, 0), 0, n);
            }
        }
        return;
    }
    let (mr, nr) = tile(path);
    let blocks = k.div_ceil(KC);
    let kc_max = k.div_ceil(blocks);
    let nc = NC.min(n);
    // B is read in place when its rows are contiguous and few rows of A reuse each panel (the
    // forward pass at a small batch): packing would copy all of B for a few tiles' use.
    let b_in_place = b.cs == 1 && m <= B_IN_PLACE_MAX_ROWS;
    let b_len = if b_in_place {
        0
    } else {
        nc.div_ceil(nr) * nr * kc_max
    };
    // A is read in place when its rows or its columns are contiguous; else packed per block.
    let a_in_place = a.cs == 1 || a.rs == 1;
    let a_len = if a_in_place {
        0
    } else {
        m.div_ceil(mr) * mr * kc_max
    };
    PACKS.with(|packs| {
        let mut packs = packs.borrow_mut();
        // 16 floats of slack, to start the panels on a 64-byte boundary: a vector load that
        // straddles two cache lines costs two.
        if packs.len() < a_len + b_len + 16 {
            packs.resize(a_len + b_len + 16, 0.0);
        }
        let skip = packs.as_ptr().align_offset(64);
        let (b_pack, a_pack) = packs[skip..].split_at_mut(b_len);
        for block in 0..blocks {
            let k0 = block * k / blocks;
            let kc = (block + 1) * k / blocks - k0;
            // The first block starts each chain where the caller asked; later ones go on from
            // the partial sums stored in C.
            let from_c = init == Init::Dst || block > 0;
            let plus_zero = init == Init::ZeroAdded && block + 1 == blocks;
            if !a_in_place {
                pack_a(at(a, 0, k0), a.rs, a.cs, m, kc, mr, a_pack);
            }
            for j0 in (0..n).step_by(nc) {
                let cols = nc.min(n - j0);
                if !b_in_place {
                    pack_b(path, at(b, k0, j0), b.rs, b.cs, cols, kc, nr, b_pack);
                }
                for i1 in (0..m).step_by(MC) {
                    let rows_end = (i1 + MC).min(m);
                    for jr in (0..cols).step_by(nr) {
                        let (b_panel, b_rs) = if b_in_place {
                            (at(b, k0, j0 + jr), b.rs)
                        } else {
                            (b_pack.as_ptr().add(jr * kc), nr as isize)
                        };
                        for i0 in (i1..rows_end).step_by(mr) {
                            let (a_ptr, a_rs, a_cs) = if a_in_place {
                                (at(a, i0, k0), a.rs, a.cs)
                            } else {
                                let rows = mr.min(m - i0) as isize;
                                (a_pack.as_ptr().add(i0 * kc), 1, rows)
                            };
                            let tile = Tile {
                                kc,
                                a: a_ptr,
                                a_rs,
                                a_cs,
                                b: b_panel,
                                b_rs,
                                c: at(c, i0, j0 + jr),
                                c_rs: c.rs,
                                rows: mr.min(rows_end - i0),
                                cols: nr.min(cols - jr),
                                from_c,
                                plus_zero,
                            };
                            match path {
                                Path::Avx512 => avx512::tile(tile),
                                Path::Avx2 => avx2::tile(tile),
                                Path::Portable => portable::tile(tile),
                            }
                        }
                    }
                }
            }
        }
    });
}

/// Packs A[..m, ..kc] (A at `a` with strides `rs`, `cs`, neither 1) into panels of `mr` rows:
/// the panel of rows i0.. starts at i0·kc and holds, for each k, its rows' values (the last
/// panel has only the rows that exist), i.e. row stride 1 and k stride `rows`.
#[allow(clippy::too_many_arguments)]
unsafe fn pack_a(
    a: *const f32,
    rs: isize,
    cs: isize,
    m: usize,
    kc: usize,
    mr: usize,
    out: &mut [f32],
) {
    for i0 in (0..m).step_by(mr) {
        let rows = mr.min(m - i0);
        let panel = out[i0 * kc..i0 * kc + rows * kc].as_mut_ptr();
        for r in 0..rows {
            let row = a.offset((i0 + r) as isize * rs);
            for kk in 0..kc {
                *panel.add(kk * rows + r) = *row.offset(kk as isize * cs);
            }
        }
    }
}

/// Packs B[..kc, ..n] (B at `b` with strides `rs`, `cs`) into panels of `nr` columns: the
/// panel of columns j0.. starts at j0·kc and holds, for each k, `nr` values (zeros past the
/// last column). A plain copy when B's rows are contiguous; a transpose in 8 × 8 blocks when
/// its columns are (vectorized where the path allows: packing moves values, it computes none).
#[allow(clippy::too_many_arguments)]
unsafe fn pack_b(
    path: Path,
    b: *const f32,
    rs: isize,
    cs: isize,
    n: usize,
    kc: usize,
    nr: usize,
    out: &mut [f32],
) {
    for j0 in (0..n).step_by(nr) {
        let cols = nr.min(n - j0);
        let panel = out[j0 * kc..j0 * kc + nr * kc].as_mut_ptr();
        let first = b.offset(j0 as isize * cs);
        if cs == 1 {
            for kk in 0..kc {
                let dst = panel.add(kk * nr);
                copy(first.offset(kk as isize * rs), dst, cols);
                for jj in cols..nr {
                    *dst.add(jj) = 0.0;
                }
            }
            continue;
        }
        let mut jj = 0;
        if rs == 1 && path != Path::Portable {
            // Columns contiguous: 8 columns × 8 k at a time through registers.
            while jj + 8 <= cols {
                let column = first.offset(jj as isize * cs);
                let mut kk = 0;
                while kk + 8 <= kc {
                    avx2::transpose8(column.add(kk), cs, panel.add(kk * nr + jj), nr);
                    kk += 8;
                }
                for kk in kk..kc {
                    for j in 0..8 {
                        *panel.add(kk * nr + jj + j) =
                            *column.offset(j as isize * cs + kk as isize);
                    }
                }
                jj += 8;
            }
        }
        for jj in jj..nr {
            let dst = panel.add(jj);
            if jj >= cols {
                for kk in 0..kc {
                    *dst.add(kk * nr) = 0.0;
                }
                continue;
            }
            let column = first.offset(jj as isize * cs);
            for kk in 0..kc {
                *dst.add(kk * nr) = *column.offset(kk as isize * rs);
            }
        }
    }
}

/// Copies `len` values (a short run: a loop the compiler vectorizes, no call).
#[inline(always)]
unsafe fn copy(src: *const f32, dst: *mut f32, len: usize) {
    for i in 0..len {
        *dst.add(i) = *src.add(i);
    }
}

/// One microkernel call: C[rows × cols] (rows ≤ MR, cols ≤ NR) over one block of k.
#[derive(Debug, Clone, Copy)]
struct Tile {
    /// The block's depth.
    kc: usize,
    /// A's element (first row of the tile, first k of the block), in place or packed.
    a: *const f32,
    /// A's row and k strides; one of them is 1 (see [`Tile::a_rows_contiguous`]).
    a_rs: isize,
    a_cs: isize,
    /// B's panel: its first value of the tile's columns, packed (NR values per k, zeros past
    /// the last column) or in place (B's own rows; nothing past `cols` may be read).
    b: *const f32,
    /// B's k stride: NR when packed, B's row stride in place.
    b_rs: isize,
    /// C's first element of the tile, rows `c_rs` apart.
    c: *mut f32,
    c_rs: isize,
    rows: usize,
    cols: usize,
    /// Start the chains from C's values (else from +0).
    from_c: bool,
    /// Add +0 to each chain before it is stored ([`Init::ZeroAdded`]'s last block).
    plus_zero: bool,
}

impl Tile {
    /// Whether A's rows are contiguous along k (`a_cs == 1`, the forward pass's batch), else
    /// each k's rows are (`a_rs == 1`: a transposed operand, or a packed panel).
    fn a_rows_contiguous(&self) -> bool {
        self.a_cs == 1
    }
}
