//! Sampling speed: netinit's `init` against the obvious peer a Rust user
//! would write, rand_distr's ziggurat `Normal` drawn from the same ChaCha8
//! generator into an ndarray, measured in the same run.
//!
//! cargo bench --bench sampling

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ndarray::Array2;
use netinit::{Activation, LayerSpec, NetworkSpec};
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};

fn peer(rows: usize, cols: usize, std: f64) -> Array2<f32> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let normal = Normal::new(0.0, std).expect("a positive std");
    Array2::from_shape_simple_fn((rows, cols), || normal.sample(&mut rng) as f32)
}

fn sampling(c: &mut Criterion) {
    let mut group = c.benchmark_group("he_normal");
    for (inputs, outputs) in [(784, 256), (4096, 4096)] {
        let spec = NetworkSpec::new(vec![LayerSpec::dense(inputs, outputs, Activation::Relu)])
            .expect("a valid layer");
        let std = spec.layers()[0].weight_std();
        let size = format!("{outputs}x{inputs}");
        group.throughput(Throughput::Elements((inputs * outputs) as u64));
        group.bench_with_input(BenchmarkId::new("netinit", &size), &spec, |b, spec| {
            b.iter(|| spec.init(1))
        });
        group.bench_with_input(BenchmarkId::new("rand_distr_ziggurat", &size), &std, |b, &std| {
            b.iter(|| peer(outputs, inputs, std))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(4));
    targets = sampling
}
criterion_main!(benches);
