//! How an activation builds its tensor ops without knowing the tensor's type: [`TensorOps`] is an
//! object-safe set of dfdx's element-wise ops on [`Node`]s, and [`run`] carries them out on a
//! real tensor of any shape, device and tape, in the order the activation calls them. The order
//! is the float order: a built-in calls the same ops in the same order as its former dfdx
//! composition, so its values and gradients are the same bits.
//!
//! A node is used up by the op it is given to (the types see to it); [`TensorOps::share`] gives
//! a second use of a node: the same tensor on an empty tape, whose ops join the first's when the
//! two meet in a binary op, so the gradient flows through both (dfdx's `with_empty_tape`).
//! [`TensorOps::elementwise`] is the generic op from a scalar f and f′ computed on the host,
//! which any activation can use on any device.

use dfdx::prelude::*;

/// A value in an activation's computation, made and used up by [`TensorOps`].
#[derive(Debug)]
pub struct Node(usize);

/// dfdx's element-wise ops, on [`Node`]s. Every op records its backward pass on the tape of the
/// input, as dfdx's own do.
pub trait TensorOps {
    /// Elements of the input.
    fn len(&self) -> usize;
    /// True for an input without elements.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// A second use of `x` (dfdx's `with_empty_tape`).
    fn share(&mut self, x: &Node) -> Node;
    /// max(x, 0).
    fn relu(&mut self, x: Node) -> Node;
    /// −x.
    fn negate(&mut self, x: Node) -> Node;
    /// eˣ.
    fn exp(&mut self, x: Node) -> Node;
    /// ln x.
    fn ln(&mut self, x: Node) -> Node;
    /// |x|.
    fn abs(&mut self, x: Node) -> Node;
    /// 1 / (1 + e⁻ˣ).
    fn sigmoid(&mut self, x: Node) -> Node;
    /// tanh x.
    fn tanh(&mut self, x: Node) -> Node;
    /// dfdx's tanh approximation of GELU.
    fn fast_gelu(&mut self, x: Node) -> Node;
    /// max(αx, x) (dfdx's scalar prelu).
    fn prelu(&mut self, x: Node, alpha: f32) -> Node;
    /// x + c.
    fn add_scalar(&mut self, x: Node, c: f32) -> Node;
    /// x − c.
    fn sub_scalar(&mut self, x: Node, c: f32) -> Node;
    /// x·c.
    fn mul_scalar(&mut self, x: Node, c: f32) -> Node;
    /// x + y.
    fn add(&mut self, x: Node, y: Node) -> Node;
    /// x − y.
    fn sub(&mut self, x: Node, y: Node) -> Node;
    /// x ⊙ y.
    fn mul(&mut self, x: Node, y: Node) -> Node;
    /// x ⊙ v with `v` given on the host (row-major, as many values as the input): no gradient
    /// flows into v.
    fn mul_host(&mut self, x: Node, v: Vec<f32>) -> Node;
    /// x ⊙ α with the learned activation's per-unit parameter α broadcast over the rows (its
    /// gradient flows into α). Only inside `compose_learned`; elsewhere it returns `x` unchanged.
    fn mul_param(&mut self, x: Node) -> Node;
    /// f(x) element-wise from `f`, which gives f(x) and f′(x) for one value in f64: the values
    /// are computed on the host and joined to the tape as `y + (x − x̄)·y′`, x̄ a tape-free copy
    /// of x, whose second term is exactly zero and carries the gradient.
    fn elementwise(&mut self, x: Node, f: &dyn Fn(f64) -> (f64, f64)) -> Node;
}

/// Runs `compose` on `z` (and, for a learned activation, its per-unit parameter already
/// broadcast to z's shape) and returns its result.
pub fn run<S: Shape, D: Device<f32>, T: Tape<f32, D> + Merge<T> + Default>(
    z: Tensor<S, f32, D, T>,
    param: Option<Tensor<S, f32, D>>,
    compose: impl FnOnce(&mut dyn TensorOps, Node) -> Node,
) -> Tensor<S, f32, D, T> {
    let mut graph = Graph {
        shape: *z.shape(),
        device: z.device().clone(),
        nodes: vec![Some(z)],
        param,
    };
    let out = compose(&mut graph, Node(0));
    graph.take(out)
}

/// The tensors of one computation, by node number; a used-up node's slot is empty.
struct Graph<S: Shape, D: Device<f32>, T> {
    shape: S,
    device: D,
    nodes: Vec<Option<Tensor<S, f32, D, T>>>,
    param: Option<Tensor<S, f32, D>>,
}

impl<S: Shape, D: Device<f32>, T: Tape<f32, D> + Merge<T> + Default> Graph<S, D, T> {
    fn take(&mut self, node: Node) -> Tensor<S, f32, D, T> {
        self.nodes
            .get_mut(node.0)
            .and_then(Option::take)
            .expect("a node of another activation's computation")
    }

    fn put(&mut self, tensor: Tensor<S, f32, D, T>) -> Node {
        self.nodes.push(Some(tensor));
        Node(self.nodes.len() - 1)
    }

    fn unary(
        &mut self,
        x: Node,
        op: impl FnOnce(Tensor<S, f32, D, T>) -> Tensor<S, f32, D, T>,
    ) -> Node {
        let x = self.take(x);
        self.put(op(x))
    }

    fn binary(
        &mut self,
        x: Node,
        y: Node,
        op: impl FnOnce(Tensor<S, f32, D, T>, Tensor<S, f32, D, T>) -> Tensor<S, f32, D, T>,
    ) -> Node {
        let (x, y) = (self.take(x), self.take(y));
        self.put(op(x, y))
    }

    fn host(&self, values: Vec<f32>) -> Tensor<S, f32, D> {
        self.device.tensor_from_vec(values, self.shape)
    }
}

impl<S: Shape, D: Device<f32>, T: Tape<f32, D> + Merge<T> + Default> TensorOps for Graph<S, D, T> {
    fn len(&self) -> usize {
        self.shape.num_elements()
    }

    fn share(&mut self, x: &Node) -> Node {
        let shared = self.nodes[x.0]
            .as_ref()
            .expect("a node of another activation's computation")
            .with_empty_tape();
        self.put(shared)
    }

    fn relu(&mut self, x: Node) -> Node {
        self.unary(x, |x| x.relu())
    }

    fn negate(&mut self, x: Node) -> Node {
        self.unary(x, |x| x.negate())
    }

    fn exp(&mut self, x: Node) -> Node {
        self.unary(x, |x| x.exp())
    }

    fn ln(&mut self, x: Node) -> Node {
        self.unary(x, |x| x.ln())
    }

    fn abs(&mut self, x: Node) -> Node {
        self.unary(x, |x| x.abs())
    }

    fn sigmoid(&mut self, x: Node) -> Node {
        self.unary(x, |x| x.sigmoid())
    }

    fn tanh(&mut self, x: Node) -> Node {
        self.unary(x, |x| x.tanh())
    }

    fn fast_gelu(&mut self, x: Node) -> Node {
        self.unary(x, |x| x.fast_gelu())
    }

    fn prelu(&mut self, x: Node, alpha: f32) -> Node {
        self.unary(x, |x| x.prelu(alpha))
    }

    fn add_scalar(&mut self, x: Node, c: f32) -> Node {
        self.unary(x, |x| x + c)
    }

    fn sub_scalar(&mut self, x: Node, c: f32) -> Node {
        self.unary(x, |x| x - c)
    }

    fn mul_scalar(&mut self, x: Node, c: f32) -> Node {
        self.unary(x, |x| x * c)
    }

    fn add(&mut self, x: Node, y: Node) -> Node {
        self.binary(x, y, |x, y| x + y)
    }

    fn sub(&mut self, x: Node, y: Node) -> Node {
        self.binary(x, y, |x, y| x - y)
    }

    fn mul(&mut self, x: Node, y: Node) -> Node {
        self.binary(x, y, |x, y| x * y)
    }

    fn mul_host(&mut self, x: Node, v: Vec<f32>) -> Node {
        let v = self.host(v);
        self.unary(x, |x| x * v)
    }

    fn mul_param(&mut self, x: Node) -> Node {
        match self.param.clone() {
            Some(param) => self.unary(x, |x| x * param),
            None => x,
        }
    }

    fn elementwise(&mut self, x: Node, f: &dyn Fn(f64) -> (f64, f64)) -> Node {
        let z = self.take(x);
        let values = z.retaped::<NoneTape>().as_vec();
        let (mut y, mut dy) = (
            Vec::with_capacity(values.len()),
            Vec::with_capacity(values.len()),
        );
        for &v in &values {
            let (fv, dfv) = f(f64::from(v));
            y.push(fv as f32);
            dy.push(dfv as f32);
        }
        let detached = self.host(values);
        let out = (z - detached) * self.host(dy) + self.host(y);
        self.put(out)
    }
}
