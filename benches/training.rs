//! One training step of the design card's network: forward, backward and
//! an Adam update on a batch of 128, the baseline for speed work. A
//! forward-only pass is measured beside it, in the same run.
//!
//! cargo bench --bench training

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ndarray::Array2;
use netinit::{fill, generator, network, Loss, NetworkSpec, Optimizer, Targets, Trainer};

const MNIST: NetworkSpec = network![
    dense(784 -> 256, relu),
    dense(256 -> 10, softmax),
];

fn training(c: &mut Criterion) {
    let mut inputs = Array2::<f32>::zeros((128, 784));
    fill::uniform(&mut inputs, 1.0, &mut generator(0)).expect("a valid bound");
    inputs.mapv_inplace(f32::abs);
    let labels: Vec<usize> = (0..128).map(|i| i % 10).collect();
    let mut group = c.benchmark_group("card_network_batch_128");
    group.throughput(Throughput::Elements(128));
    let mut trainer = Trainer::new(MNIST.init(0), Loss::CrossEntropy, Optimizer::adam(1e-3))
        .expect("Adam's defaults are valid");
    group.bench_function("train_step_adam", |b| {
        b.iter(|| {
            trainer
                .step(inputs.view(), Targets::Classes(&labels))
                .expect("a valid batch")
        })
    });
    let network = MNIST.init(0);
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
