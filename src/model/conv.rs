//! The convolutional network's two ops on dfdx tensors, generic over the device: 2-D convolution
//! as im2col onto the matrix product (`patches` then `matmul`, so the product goes through the
//! project's gemm like every dense layer) and 2-D max pooling. Images travel as matrices, one row
//! per image holding height × width × channels values channels-last (Keras's `channels_last`),
//! so a convolution's kernel is Keras's `[kh, kw, c_in, c_out]` kernel flattened to
//! `[kh·kw·c_in, c_out]`: the same bytes, and a dense layer's layout.
//!
//! On dfdx's `Cpu`, [`patches`] and [`max_pool`] are single ops with their own backward (a
//! scatter-add of the patch gradients; the gradient of a window's maximum goes to its first
//! maximal element, as JAX's `reduce_window` gradient does); other devices take dfdx's `gather`
//! (with a mask for the zero padding) and `max`, whose gradient is shared among tied maxima. The
//! `Cpu` ops read their input's buffer as it lies, which is row-major for every op's output and
//! batch (one copy into a reused scratch buffer, not dfdx's strided `as_vec`), build the patch
//! matrix row by row without zero-filling it first, and pool with branch-free comparisons, in
//! the order of the value-by-value loop (`visit`) that the tests hold them to. What
//! a layer of the network does with these (kernel, bias, activation, batch norm per channel) is
//! `network.rs`'s.

use std::any::Any;
use std::cell::RefCell;
use std::ops::Range;

use dfdx::prelude::*;
use serde::{Deserialize, Serialize};

use super::cpu::is_cpu;
use super::Matrix;

/// How a convolution treats the border (Keras's `padding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Padding {
    /// No padding: the output shrinks by kernel - 1 (Keras's default).
    #[default]
    Valid,
    /// Zero padding so that the output has ⌈input / stride⌉ positions, the extra zero row or
    /// column going to the bottom/right as in TensorFlow and Keras.
    Same,
}

/// The shape of a 2-D window op: input height, width and channels, window size, stride and
/// padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    /// Input rows.
    pub height: usize,
    /// Input columns.
    pub width: usize,
    /// Input channels.
    pub channels: usize,
    /// Window rows and columns.
    pub size: (usize, usize),
    /// Step between windows, in both directions.
    pub stride: usize,
    /// Border handling.
    pub padding: Padding,
}

impl Window {
    /// Output rows and columns.
    pub fn out(&self) -> (usize, usize) {
        let dim = |n: usize, k: usize| match self.padding {
            Padding::Valid => (n.saturating_sub(k)) / self.stride + 1,
            Padding::Same => n.div_ceil(self.stride),
        };
        (dim(self.height, self.size.0), dim(self.width, self.size.1))
    }

    /// Zero rows above and columns left of the input (TensorFlow puts the odd one below/right).
    fn pad_before(&self) -> (usize, usize) {
        let (oh, ow) = self.out();
        let pad = |n: usize, o: usize, k: usize| match self.padding {
            Padding::Valid => 0,
            Padding::Same => ((o - 1) * self.stride + k).saturating_sub(n) / 2,
        };
        (
            pad(self.height, oh, self.size.0),
            pad(self.width, ow, self.size.1),
        )
    }

    /// Values per input image.
    pub fn in_len(&self) -> usize {
        self.height * self.width * self.channels
    }

    /// Values per patch (one row of the patch matrix): kh·kw·channels.
    pub fn patch_len(&self) -> usize {
        self.size.0 * self.size.1 * self.channels
    }

    /// For each element of the patch matrix of a batch of `batch` images (row = image, output
    /// row, output column; column = window row, window column, channel), the flat index of the
    /// input value it copies, or None where it falls in the zero padding.
    fn sources(&self, batch: usize) -> Vec<Option<usize>> {
        let (oh, ow) = self.out();
        let (pt, pl) = self.pad_before();
        let (kh, kw) = self.size;
        let c = self.channels;
        let mut out = Vec::with_capacity(batch * oh * ow * self.patch_len());
        for n in 0..batch {
            for oy in 0..oh {
                for ox in 0..ow {
                    for i in 0..kh {
                        for j in 0..kw {
                            let y = (oy * self.stride + i).checked_sub(pt);
                            let x = (ox * self.stride + j).checked_sub(pl);
                            let inside = match (y, x) {
                                (Some(y), Some(x)) if y < self.height && x < self.width => {
                                    Some(n * self.in_len() + (y * self.width + x) * c)
                                }
                                _ => None,
                            };
                            out.extend((0..c).map(|ch| inside.map(|base| base + ch)));
                        }
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
impl Window {
    /// Calls `f(output position, window offset, input index)` for every value of every window
    /// of a batch of `batch` images that falls inside the input (not in the padding), in the
    /// order of [`Window::sources`]: output position = image, output row, output column; window
    /// offset = window row, window column, channel. The order the `Cpu` ops' arithmetic follows,
    /// one value at a time; [`Window::runs`] walks it a run at a time.
    fn visit(&self, batch: usize, mut f: impl FnMut(usize, usize, usize)) {
        let (oh, ow) = self.out();
        let (pt, pl) = self.pad_before();
        let (kh, kw) = self.size;
        let c = self.channels;
        let mut position = 0;
        for n in 0..batch {
            let image = n * self.in_len();
            for oy in 0..oh {
                for ox in 0..ow {
                    for i in 0..kh {
                        let Some(y) = (oy * self.stride + i).checked_sub(pt) else {
                            continue;
                        };
                        if y >= self.height {
                            continue;
                        }
                        for j in 0..kw {
                            let Some(x) = (ox * self.stride + j).checked_sub(pl) else {
                                continue;
                            };
                            if x >= self.width {
                                continue;
                            }
                            let base = image + (y * self.width + x) * c;
                            let offset = (i * kw + j) * c;
                            for ch in 0..c {
                                f(position, offset + ch, base + ch);
                            }
                        }
                    }
                    position += 1;
                }
            }
        }
    }
}

impl Window {
    /// Calls `f(output position, window offset, input index, length)` for every run of values
    /// of one window row that falls inside the input: `length` values contiguous both in the
    /// input (consecutive columns, every channel) and in the patch row. The runs come in the
    /// order of [`Window::visit`], so a loop over each run's values in turn touches the same
    /// values in the same order as `visit` (the `Cpu` patches' scatter-add backward; same bits).
    fn runs(&self, batch: usize, mut f: impl FnMut(usize, usize, usize, usize)) {
        let (oh, ow) = self.out();
        let (pt, pl) = self.pad_before();
        let (kh, kw) = self.size;
        let c = self.channels;
        let mut position = 0;
        for n in 0..batch {
            let image = n * self.in_len();
            for oy in 0..oh {
                for ox in 0..ow {
                    // The window's columns inside the input: j in first..last.
                    let left = ox * self.stride;
                    let first = pl.saturating_sub(left).min(kw);
                    let last = (self.width + pl).saturating_sub(left).min(kw);
                    if first < last {
                        let x = left + first - pl;
                        for i in 0..kh {
                            let Some(y) = (oy * self.stride + i).checked_sub(pt) else {
                                continue;
                            };
                            if y >= self.height {
                                continue;
                            }
                            let base = image + (y * self.width + x) * c;
                            f(position, (i * kw + first) * c, base, (last - first) * c);
                        }
                    }
                    position += 1;
                }
            }
        }
    }
}

impl Window {
    /// For each output row, the window rows (i) inside the input, not in the padding; for each
    /// output column, the window columns (j) inside it: the rows and columns `runs` and `visit`
    /// keep (empty where none is). Worked out once per op, not per position.
    fn inside(&self) -> (Vec<Range<usize>>, Vec<Range<usize>>) {
        let (oh, ow) = self.out();
        let (pt, pl) = self.pad_before();
        let (kh, kw) = self.size;
        let spans = |outs: usize, pad: usize, n: usize, k: usize| {
            (0..outs)
                .map(|o| {
                    let start = o * self.stride;
                    pad.saturating_sub(start).min(k)..(n + pad).saturating_sub(start).min(k)
                })
                .collect()
        };
        (
            spans(oh, pt, self.height, kh),
            spans(ow, pl, self.width, kw),
        )
    }

    /// The patch matrix of the `batch` images in `values` (row-major, batch × h·w·c), built row
    /// by row, every value written once (copied, or a zero in the padding): no zero-filled
    /// buffer first, and one slice copy per window row inside the input.
    fn im2col(&self, values: &[f32], batch: usize) -> Vec<f32> {
        let (oh, ow) = self.out();
        let (pt, pl) = self.pad_before();
        let (kh, kw) = self.size;
        let c = self.channels;
        let (rows_of, cols_of) = self.inside();
        let mut out = Vec::with_capacity(batch * oh * ow * self.patch_len());
        let zeros = |out: &mut Vec<f32>, n: usize| out.resize(out.len() + n, 0.0);
        for image in values.chunks_exact(self.in_len()).take(batch) {
            for (oy, rows) in rows_of.iter().enumerate() {
                for (ox, cols) in cols_of.iter().enumerate() {
                    let cols = cols.clone();
                    if cols.is_empty() {
                        zeros(&mut out, self.patch_len());
                        continue;
                    }
                    let x = ox * self.stride + cols.start - pl;
                    for i in 0..kh {
                        if !rows.contains(&i) {
                            zeros(&mut out, kw * c);
                            continue;
                        }
                        let y = oy * self.stride + i - pt;
                        zeros(&mut out, cols.start * c);
                        let run = &image[(y * self.width + x) * c..][..cols.len() * c];
                        out.extend_from_slice(run);
                        zeros(&mut out, (kw - cols.end) * c);
                    }
                }
            }
        }
        out
    }

    /// Max pooling of the `batch` images in `values` (row-major): each output's value and the
    /// flat input index it came from. Each (output, channel) takes its window's values in
    /// `visit`'s order (window row, then column), the first one as the start and each later
    /// one that is greater (`>`: a NaN never wins and, first, is never beaten) in its place:
    /// the comparisons the `runs` loop made, without its per-value "first?" test.
    fn pool(&self, values: &[f32], batch: usize) -> (Vec<f32>, Vec<usize>) {
        let (oh, ow) = self.out();
        let (pt, pl) = self.pad_before();
        let c = self.channels;
        let len = batch * oh * ow * c;
        let (rows_of, cols_of) = self.inside();
        let (mut out, mut argmax) = (Vec::with_capacity(len), Vec::with_capacity(len));
        for (n, image) in values.chunks_exact(self.in_len()).take(batch).enumerate() {
            for (oy, rows) in rows_of.iter().enumerate() {
                for (ox, cols) in cols_of.iter().enumerate() {
                    let start = out.len();
                    for i in rows.clone() {
                        let y = oy * self.stride + i - pt;
                        for j in cols.clone() {
                            let pixel = (y * self.width + ox * self.stride + j - pl) * c;
                            let base = n * self.in_len() + pixel;
                            let values = &image[pixel..][..c];
                            if out.len() == start {
                                // The window's first value starts every channel.
                                out.extend_from_slice(values);
                                argmax.extend(base..base + c);
                                continue;
                            }
                            let best = out[start..].iter_mut().zip(&mut argmax[start..]);
                            for (ch, ((top, slot), &v)) in best.zip(values).enumerate() {
                                (*top, *slot) = keep_greater((*top, *slot), (v, base + ch));
                            }
                        }
                    }
                    debug_assert_eq!(out.len(), start + c, "a window with no input value");
                }
            }
        }
        (out, argmax)
    }
}

/// `new` if its value is greater (`>`: false when either is NaN), else `best`, by bit masks
/// rather than a branch: on real data the comparison is a coin toss, and the compiler turns an
/// `if` here into a branch whose mispredictions took most of the pooling's time.
fn keep_greater(best: (f32, usize), new: (f32, usize)) -> (f32, usize) {
    let take = (new.0 > best.0) as u32;
    let (m32, m) = (take.wrapping_neg(), (take as usize).wrapping_neg());
    let value = (best.0.to_bits() & !m32) | (new.0.to_bits() & m32);
    (f32::from_bits(value), (best.1 & !m) | (new.1 & m))
}

/// Calls `f` with the values of `x` (a `Cpu` matrix laid out row-major, as every op's output
/// is), copied into this thread's scratch buffer: dfdx's `as_vec` walks a strided index value
/// by value into a new vector; this is one memcpy into memory reused from call to call.
fn with_values<T, R>(x: &Matrix<Cpu, T>, f: impl FnOnce(&[f32]) -> R) -> R {
    thread_local! {
        static SCRATCH: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    }
    let n = x.shape().0 * x.shape().1;
    SCRATCH.with(|scratch| {
        let mut scratch = scratch.borrow_mut();
        if scratch.len() < n {
            scratch.resize(n, 0.0);
        }
        x.copy_into(&mut scratch[..n]);
        f(&scratch[..n])
    })
}

/// `x` as `B`, which must be its type (a tensor of `D` as one of `Cpu` when `D` is `Cpu`).
fn cast<A: 'static, B: 'static>(x: A) -> B {
    *(Box::new(x) as Box<dyn Any>)
        .downcast()
        .unwrap_or_else(|_| unreachable!("cast between different types"))
}

/// The patch matrix (im2col) of a batch `x` (batch × h·w·c): one row per image and output
/// position, kh·kw·c values each, zeros where the window overhangs the padded border. A
/// convolution is then `patches(x) · kernel`, reshaped to batch × (oh·ow·c_out).
pub fn patches<D: Device<f32>, T: Tape<f32, D> + 'static>(
    x: Matrix<D, T>,
    window: &Window,
) -> Matrix<D, T> {
    let batch = x.shape().0;
    let (oh, ow) = window.out();
    let shape = (batch * oh * ow, window.patch_len());
    if is_cpu::<D>() {
        return cast(cpu_patches::<T>(cast(x), *window, shape));
    }
    let sources = window.sources(batch);
    let dev = x.device().clone();
    let flat = batch * window.in_len();
    let idx: Vec<usize> = sources.iter().map(|s| s.unwrap_or(0)).collect();
    let padded = sources.iter().any(Option::is_none);
    let mask: Vec<f32> = sources
        .iter()
        .map(|s| if s.is_some() { 1.0 } else { 0.0 })
        .collect();
    let n = idx.len();
    let gathered = x
        .reshape_like(&(flat,))
        .gather(dev.tensor_from_vec(idx, (n,)));
    let gathered = if padded {
        gathered * dev.tensor_from_vec(mask, (n,))
    } else {
        gathered
    };
    gathered.reshape_like(&shape)
}

/// The patch matrix on the `Cpu` (zeros in the padding), with the scatter-add backward.
fn cpu_patches<T: 'static>(
    x: Matrix<Cpu, T>,
    window: Window,
    shape: (usize, usize),
) -> Matrix<Cpu, T> {
    let (x, mut tape) = x.split_tape();
    let batch = x.shape().0;
    let cols = shape.1;
    let out = with_values(&x, |values| window.im2col(values, batch));
    let out = x.device().tensor_from_vec(out, shape);
    if let Some(tape) = (&mut tape as &mut dyn Any).downcast_mut::<OwnedTape<f32, Cpu>>() {
        let (out_ghost, x_ghost) = (out.ghost(), x.ghost());
        tape.add_backward_op(move |grads| {
            // ∂out, written by the op that consumed out; nothing reads it after this op.
            let gout = std::mem::take(&mut **grads.get_or_alloc_mut(&out_ghost)?);
            let gx: &mut Vec<f32> = grads.get_or_alloc_mut(&x_ghost)?;
            // Each input value gets its windows' gradients in output-position order, as
            // `visit` adds them.
            window.runs(batch, |p, k, i, len| {
                for (g, &d) in gx[i..i + len].iter_mut().zip(&gout[p * cols + k..][..len]) {
                    *g += d;
                }
            });
            Ok(())
        });
    }
    out.put_tape(tape)
}

/// Max pooling of a batch `x` (batch × h·w·c) over `window` (Keras's `MaxPooling2D`): batch ×
/// (oh·ow·c), each output the largest value of its window in its channel. With `Same` padding the
/// overhanging part of a window is ignored, as in Keras.
pub fn max_pool<D: Device<f32>, T: Tape<f32, D> + 'static>(
    x: Matrix<D, T>,
    window: &Window,
) -> Matrix<D, T> {
    let batch = x.shape().0;
    let (oh, ow) = window.out();
    let c = window.channels;
    let (kh, kw) = window.size;
    let shape = (batch, oh * ow * c);
    if is_cpu::<D>() {
        return cast(cpu_max_pool::<T>(cast(x), *window, shape));
    }
    // sources() orders each window as (i, j, channel); pooling wants, per output value (image,
    // position, channel), its window's kh·kw sources.
    let per_patch = window.sources(batch);
    let mut groups: Vec<Vec<usize>> = Vec::with_capacity(batch * oh * ow * c);
    for patch in per_patch.chunks_exact(window.patch_len()) {
        for ch in 0..c {
            groups.push((0..kh * kw).filter_map(|k| patch[k * c + ch]).collect());
        }
    }
    // dfdx: gather each window, filling a window cut by the padding up to kh·kw with its first
    // element pushed far below every value (so it is never a maximum and takes no gradient),
    // then max over the window.
    let dev = x.device().clone();
    let k = kh * kw;
    let idx: Vec<usize> = groups
        .iter()
        .flat_map(|g| (0..k).map(move |i| *g.get(i).unwrap_or(&g[0])))
        .collect();
    let n = idx.len();
    let rows = groups.len();
    let gathered = x
        .reshape_like(&(batch * window.in_len(),))
        .gather(dev.tensor_from_vec(idx, (n,)));
    let gathered = if groups.iter().any(|g| g.len() < k) {
        let below: Vec<f32> = groups
            .iter()
            .flat_map(|g| (0..k).map(move |i| if i < g.len() { 0.0 } else { -f32::MAX }))
            .collect();
        gathered + dev.tensor_from_vec(below, (n,))
    } else {
        gathered
    };
    gathered
        .reshape_like(&(rows, k))
        .max::<(usize,), Axis<1>>()
        .reshape_like(&shape)
}

/// Max pooling on the `Cpu`; the backward pass gives each output's gradient to the first
/// maximal element of its window (in window row, then column order).
fn cpu_max_pool<T: 'static>(
    x: Matrix<Cpu, T>,
    window: Window,
    shape: (usize, usize),
) -> Matrix<Cpu, T> {
    let (x, mut tape) = x.split_tape();
    let batch = x.shape().0;
    // out[p·c + ch]: output p's maximum in channel ch; argmax[p·c + ch]: its input index.
    let (out, argmax) = with_values(&x, |values| window.pool(values, batch));
    let out = x.device().tensor_from_vec(out, shape);
    if let Some(tape) = (&mut tape as &mut dyn Any).downcast_mut::<OwnedTape<f32, Cpu>>() {
        let (out_ghost, x_ghost) = (out.ghost(), x.ghost());
        tape.add_backward_op(move |grads| {
            let gout = std::mem::take(&mut **grads.get_or_alloc_mut(&out_ghost)?);
            let gx: &mut Vec<f32> = grads.get_or_alloc_mut(&x_ghost)?;
            for (&i, &g) in argmax.iter().zip(gout.iter()) {
                gx[i] += g;
            }
            Ok(())
        });
    }
    out.put_tape(tape)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(h: usize, w: usize, c: usize, k: usize, stride: usize, padding: Padding) -> Window {
        Window {
            height: h,
            width: w,
            channels: c,
            size: (k, k),
            stride,
            padding,
        }
    }

    #[test]
    fn output_sizes_follow_keras() {
        assert_eq!(window(28, 28, 1, 5, 1, Padding::Valid).out(), (24, 24));
        assert_eq!(window(28, 28, 1, 5, 1, Padding::Same).out(), (28, 28));
        assert_eq!(window(24, 24, 6, 2, 2, Padding::Valid).out(), (12, 12));
        assert_eq!(window(5, 5, 1, 2, 2, Padding::Valid).out(), (2, 2));
        assert_eq!(window(5, 5, 1, 2, 2, Padding::Same).out(), (3, 3));
        // TensorFlow: total padding 1 for a 2-window at stride 2 on 5: 0 before, 1 after.
        assert_eq!(window(5, 5, 1, 2, 2, Padding::Same).pad_before(), (0, 0));
        assert_eq!(window(5, 5, 1, 3, 1, Padding::Same).pad_before(), (1, 1));
    }

    /// `runs`, expanded value by value, is `visit`: the same values in the same order (so the
    /// `Cpu` ops' sums and comparisons, which follow it, keep their bits).
    #[test]
    fn runs_walk_the_values_visit_does_in_its_order() {
        for w in [
            window(28, 28, 1, 5, 1, Padding::Same),
            window(14, 14, 6, 5, 1, Padding::Valid),
            window(28, 28, 6, 2, 2, Padding::Valid),
            window(5, 6, 2, 3, 1, Padding::Same),
            window(5, 6, 2, 3, 2, Padding::Valid),
            window(5, 5, 1, 2, 2, Padding::Same),
            window(7, 5, 3, 4, 3, Padding::Same),
            window(3, 3, 2, 5, 1, Padding::Same),
        ] {
            let mut visited = Vec::new();
            w.visit(2, |p, k, i| visited.push((p, k, i)));
            let mut walked = Vec::new();
            w.runs(2, |p, k, i, len| {
                walked.extend((0..len).map(|t| (p, k + t, i + t)))
            });
            assert_eq!(walked, visited, "{w:?}");
        }
    }

    /// `im2col` and `pool` against `visit` value by value (the loop the `Cpu` ops ran before):
    /// the same patch matrix, and the same maxima and argmaxima with ties (the first maximum
    /// wins) and NaNs (a first NaN is kept, a later one never wins).
    #[test]
    fn im2col_and_pool_give_what_visit_gives() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for w in [
            window(28, 28, 1, 5, 1, Padding::Same),
            window(14, 14, 6, 5, 1, Padding::Valid),
            window(28, 28, 6, 2, 2, Padding::Valid),
            window(5, 6, 2, 3, 1, Padding::Same),
            window(5, 6, 2, 3, 2, Padding::Valid),
            window(5, 5, 1, 2, 2, Padding::Same),
            window(7, 5, 3, 4, 3, Padding::Same),
            window(3, 3, 2, 5, 1, Padding::Same),
        ] {
            let batch = 3;
            // Few distinct values (ties), some NaNs.
            let values: Vec<f32> = (0..batch * w.in_len())
                .map(|_| match rng.gen_range(0..10) {
                    0 => f32::NAN,
                    k => (k % 4) as f32 - 1.5,
                })
                .collect();
            let (oh, ow) = w.out();
            let positions = batch * oh * ow;
            let mut patches = vec![0.0; positions * w.patch_len()];
            let (c, mut top, mut slot) = (
                w.channels,
                vec![0.0f32; positions * w.channels],
                vec![usize::MAX; positions * w.channels],
            );
            w.visit(batch, |p, k, i| {
                patches[p * w.patch_len() + k] = values[i];
                let o = p * c + k % c;
                if slot[o] == usize::MAX || values[i] > top[o] {
                    (slot[o], top[o]) = (i, values[i]);
                }
            });
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&w.im2col(&values, batch)), bits(&patches), "{w:?}");
            let (out, argmax) = w.pool(&values, batch);
            assert_eq!(argmax, slot, "{w:?}");
            assert_eq!(bits(&out), bits(&top), "{w:?}");
        }
    }

    /// The `Cpu` ops against dfdx's gather/max path, values and gradients.
    #[test]
    fn cpu_ops_match_the_generic_path() {
        use rand::{Rng, SeedableRng};
        let dev = Cpu::default();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for w in [
            window(5, 6, 2, 3, 1, Padding::Same),
            window(5, 6, 2, 3, 2, Padding::Valid),
            window(6, 6, 3, 2, 2, Padding::Valid),
            window(5, 5, 1, 2, 2, Padding::Same),
            // LeNet-5's: its first convolution and pooling, and its second convolution.
            window(28, 28, 1, 5, 1, Padding::Same),
            window(28, 28, 6, 2, 2, Padding::Valid),
            window(14, 14, 6, 5, 1, Padding::Valid),
        ] {
            let batch = 2;
            let xs: Vec<f32> = (0..batch * w.in_len())
                .map(|_| rng.gen_range(-1.0..1.0))
                .collect();
            let run = |generic: bool, pool: bool| {
                let x = dev.tensor_from_vec(xs.clone(), (batch, w.in_len()));
                let traced = x.clone().leaky_traced();
                let y = crate::model::with_dfdx_only(generic, || {
                    if pool {
                        max_pool(traced, &w)
                    } else {
                        patches(traced, &w)
                    }
                });
                let shape = *y.shape();
                let u: Vec<f32> = (0..shape.0 * shape.1)
                    .map(|i| (i % 7) as f32 - 3.0)
                    .collect();
                let values = y.retaped::<NoneTape>().as_vec();
                let grads = (y * dev.tensor_from_vec(u, shape)).sum().backward();
                (values, grads.get(&x).as_vec())
            };
            for pool in [false, true] {
                assert_eq!(run(true, pool), run(false, pool), "{w:?} pool {pool}");
            }
        }
    }
}
