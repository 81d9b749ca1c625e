//! Folding batch norm into the neighbouring dense layers (TECHNIQUES.md) gives the same function:
//! networks with BN after and before the activation, trained on real Fashion-MNIST so the moving
//! statistics and γ, β are far from their initial values, give the same test-set logits folded
//! and unfolded, up to float32 rounding.

use dfdx::prelude::*;
use trainbench::data::{self, DataOptions};
use trainbench::model::{Mlp, ModelSpec, Op};
use trainbench::seed::{stream, Purpose};
use trainbench::train::minibatch::{train_minibatches, ConstantRate, Plan, Target};
use trainbench::train::step::StepConfig;
use trainbench::train::{CLASSES, INPUTS};
use trainbench::zoo::optim::OptimizerConfig;

fn trained(spec: &str, data: &data::FashionMnist) -> Mlp<Cpu> {
    let dev = Cpu::default();
    let spec: ModelSpec = toml::from_str(spec).unwrap();
    let mut model = Mlp::new(&spec, INPUTS, CLASSES, &dev, &mut stream(1, Purpose::Init)).unwrap();
    let config = OptimizerConfig::default_for("sgd").unwrap();
    let mut step = StepConfig::plain(config).build(&model).unwrap();
    let plan = Plan {
        split: &data.train,
        images: 8_000,
        batch_size: 32,
        target: Target::Classes(CLASSES),
        epochs: 1,
    };
    train_minibatches(
        &dev,
        &mut model,
        &mut step,
        &plan,
        &mut stream(1, Purpose::DataOrder),
        &mut stream(1, Purpose::Noise),
        &mut ConstantRate(0.01),
    )
    .unwrap();
    model
}

#[test]
fn folded_networks_give_the_same_test_logits_on_real_data() {
    let options = DataOptions {
        fetch: true,
        ..DataOptions::default()
    };
    let data = data::load(&options).unwrap_or_else(|e| panic!("{e}"));
    let dev = Cpu::default();
    for placement in ["after_activation", "before_activation"] {
        let spec = format!(
            "hidden = [300, 100]\nactivation = \"relu\"\ninitializer = \"he_normal\"\n\
             batch_norm = {{ placement = \"{placement}\" }}"
        );
        let model = trained(&spec, &data);
        let folded = model.folded();
        assert!(folded.ops().iter().all(|op| !matches!(op, Op::Norm(_))));
        assert!(model.ops().iter().any(|op| matches!(op, Op::Norm(_))));
        let n = data.test.len();
        let x = dev.tensor_from_vec(data.test.images.clone(), (n, INPUTS));
        let a = model.forward(x.clone()).as_vec();
        let b = folded.forward(x).as_vec();
        let scale = a.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let worst = a
            .iter()
            .zip(&b)
            .fold(0.0f32, |m, (p, q)| m.max((p - q).abs()));
        eprintln!("{placement}: max |Δlogit| {worst:e} over {n} images, max |logit| {scale}");
        // Folding reorders float32 products over ≤ 784-term sums: seen 6.2e-6 (after) and
        // 4.4e-6 (before) with logits up to 8.5, i.e. < 1e-6 relative; a wrong fold (σ without
        // ε, a missed β or μ) is off by > 1e-2.
        assert!(
            worst <= 2e-6 * scale.max(1.0),
            "{placement}: folded logits off by {worst}"
        );
        let argmax = |v: &[f32]| -> Vec<usize> {
            v.chunks(CLASSES)
                .map(|r| (0..CLASSES).max_by(|&i, &j| r[i].total_cmp(&r[j])).unwrap())
                .collect()
        };
        let same = argmax(&a)
            .iter()
            .zip(argmax(&b))
            .filter(|(p, q)| **p == *q)
            .count();
        assert!(
            same >= n - 2,
            "{placement}: {} predictions changed",
            n - same
        );
    }
}
