//! One training step of the design card's network, and of the
//! convolutional network of `examples/fashion_cnn.rs`: forward, backward
//! and an Adam update on a batch of 128, the baselines for speed work. A
//! forward-only pass is measured beside each, in the same run.
//!
//! cargo bench --bench training

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ndarray::Array2;
use netinit::{fill, generator, network, Loss, NetworkSpec, Optimizer, Targets, Trainer};

const MNIST: NetworkSpec = network![
    dense(784 -> 256, relu),
    dense(256 -> 10, softmax),
];

/// The network of `examples/fashion_cnn.rs`.
const CNN: NetworkSpec = network![
    input(1, 28, 28),
    conv2d(1 -> 32, relu, kernel = 3, padding = 1),
    max_pool2d(2),
    conv2d(32 -> 64, relu, kernel = 3, padding = 1),
    max_pool2d(2),
    flatten,
    dense(3136 -> 128, relu),
    dense(128 -> 10, softmax),
];

fn training(c: &mut Criterion) {
    step(c, "card_network_batch_128", &MNIST);
    step(c, "cnn_batch_128", &CNN);
}

/// A training step and a forward pass of `spec` on a batch of 128 images
/// of uniform values in [0, 1), as Fashion-MNIST's are scaled.
fn step(c: &mut Criterion, name: &str, spec: &NetworkSpec) {
    let mut inputs = Array2::<f32>::zeros((128, 784));
    fill::uniform(&mut inputs, 1.0, &mut generator(0)).expect("a valid bound");
    inputs.mapv_inplace(f32::abs);
    let labels: Vec<usize> = (0..128).map(|i| i % 10).collect();
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(128));
    let mut trainer = Trainer::new(spec.init(0), Loss::CrossEntropy, Optimizer::adam(1e-3))
        .expect("Adam's defaults are valid");
    group.bench_function("train_step_adam", |b| {
        b.iter(|| {
            trainer
                .step(inputs.view(), Targets::Classes(&labels))
                .expect("a valid batch")
        })
    });
    let network = spec.init(0);
    group.bench_function("forward", |b| {
        b.iter(|| network.forward(inputs.view()).expect("a valid batch"))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(4));
    targets = training
}
criterion_main!(benches);
