//! Sampling speed, each figure beside a peer measured in the same run:
//!
//! * `fill`: He normal into a preallocated f32 tensor with
//!   `fill::he_normal` (the counter format, on 1 and 2 threads, and the
//!   0.1 format), against rand_distr's ziggurat `Normal` from a ChaCha8
//!   writing the same tensor, the obvious code a Rust user would write;
//! * `init`: `spec.init(seed)` into fresh memory against the same peer
//!   allocating its array;
//! * `uniform`: a uniform fill of 4096 × 4096 against writing a constant to
//!   the same 64 MiB, the memory's own speed;
//! * `orthogonal`: `fill::orthogonal` (a Householder QR, one thread) against
//!   the 0.1 format's Gram–Schmidt, at sizes the latter finishes.
//!
//! cargo bench --bench sampling

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ndarray::Array2;
use netinit::{fill, generator, Activation, Init, LayerSpec, NetworkSpec, Origin, SamplerFormat};
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};

const SIZES: [(usize, usize); 2] = [(256, 784), (4096, 4096)];

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool")
}

fn ziggurat_into(tensor: &mut Array2<f32>, std: f64) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let normal = Normal::new(0.0, std).expect("a positive std");
    tensor
        .iter_mut()
        .for_each(|w| *w = normal.sample(&mut rng) as f32);
}

fn fill_preallocated(c: &mut Criterion) {
    let mut group = c.benchmark_group("fill_he_normal");
    let (one, two) = (pool(1), pool(2));
    for (rows, cols) in SIZES {
        let size = format!("{rows}x{cols}");
        let mut tensor = Array2::<f32>::zeros((rows, cols));
        let std = (2.0 / cols as f64).sqrt();
        group.throughput(Throughput::Elements((rows * cols) as u64));
        for (threads, pool) in [(1, &one), (2, &two)] {
            group.bench_function(
                BenchmarkId::new(format!("netinit_{threads}_threads"), &size),
                |b| {
                    b.iter(|| {
                        pool.install(|| fill::he_normal(&mut tensor, Activation::Relu, &mut generator(1)))
                    })
                },
            );
        }
        group.bench_function(BenchmarkId::new("netinit_0.1_format", &size), |b| {
            b.iter(|| {
                fill::fill_in_format(
                    &mut tensor,
                    &Init::he_normal(),
                    Activation::Relu,
                    &mut generator(1),
                    SamplerFormat::ChaChaRows,
                )
            })
        });
        group.bench_function(BenchmarkId::new("rand_distr_ziggurat", &size), |b| {
            b.iter(|| ziggurat_into(&mut tensor, std))
        });
    }
    group.finish();
}

fn init_fresh(c: &mut Criterion) {
    let mut group = c.benchmark_group("init_he_normal");
    for (rows, cols) in SIZES {
        let spec =
            NetworkSpec::new(vec![LayerSpec::dense(cols, rows, Activation::Relu)]).expect("a valid layer");
        let std = spec.layers()[0].weight_std();
        let size = format!("{rows}x{cols}");
        group.throughput(Throughput::Elements((rows * cols) as u64));
        group.bench_function(BenchmarkId::new("netinit", &size), |b| b.iter(|| spec.init(1)));
        group.bench_function(BenchmarkId::new("netinit_0.1_format", &size), |b| {
            b.iter(|| spec.init(Origin::new(1, SamplerFormat::ChaChaRows)))
        });
        group.bench_function(BenchmarkId::new("rand_distr_ziggurat", &size), |b| {
            b.iter(|| {
                let mut tensor = Array2::<f32>::zeros((rows, cols));
                ziggurat_into(&mut tensor, std);
                tensor
            })
        });
    }
    group.finish();
}

fn uniform_against_memory(c: &mut Criterion) {
    let mut group = c.benchmark_group("uniform_4096x4096");
    let mut tensor = Array2::<f32>::zeros((4096, 4096));
    group.throughput(Throughput::Bytes((4 * tensor.len()) as u64));
    group.bench_function("netinit", |b| {
        b.iter(|| fill::uniform(&mut tensor, 0.05, &mut generator(1)))
    });
    group.bench_function("write_constant", |b| b.iter(|| tensor.fill(0.05)));
    group.finish();
}

fn orthogonal(c: &mut Criterion) {
    let mut group = c.benchmark_group("orthogonal");
    group.sample_size(10);
    for n in [512, 1024, 2048] {
        let mut tensor = Array2::<f32>::zeros((n, n));
        group.bench_function(BenchmarkId::new("netinit", n), |b| {
            b.iter(|| fill::orthogonal(&mut tensor, 1.0, &mut generator(1)))
        });
        if n <= 1024 {
            group.bench_function(BenchmarkId::new("netinit_0.1_gram_schmidt", n), |b| {
                b.iter(|| {
                    fill::fill_in_format(
                        &mut tensor,
                        &Init::Orthogonal { gain: Some(1.0) },
                        Activation::Identity,
                        &mut generator(1),
                        SamplerFormat::ChaChaRows,
                    )
                })
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(4));
    targets = fill_preallocated, init_fresh, uniform_against_memory, orthogonal
}
criterion_main!(benches);
