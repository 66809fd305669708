//! Reproducible, layer-stable and shardable sampling, as DESIGN.md promises.

use ndarray::s;
use netinit::{network, Activation, Init, LayerSpec, NetworkSpec, Origin, SamplerFormat};
use proptest::prelude::*;

const CARD: NetworkSpec = network![dense(784 -> 256, relu), dense(256 -> 10, softmax)];

/// The first four weights of layer 1 and the first two of layer 2, as f32 bits.
fn first_bits(origin: Origin) -> (Vec<u32>, Vec<u32>) {
    let network = CARD.init(origin);
    let bits = |layer: usize, count: usize| -> Vec<u32> {
        network.layers()[layer]
            .weight()
            .iter()
            .take(count)
            .map(|w| w.to_bits())
            .collect()
    };
    (bits(0, 4), bits(1, 2))
}

#[test]
fn golden_first_weights() {
    // The first weights of the card's network under seed 42 (0.026544567,
    // 0.014545571, 0.008906237, -0.011790822 for layer 1), as f32 bits, in
    // each sampler format. They change only if the generator, the stream
    // layout or the sampler changes, which would change every user's
    // weights: such a change must be deliberate (and a new format).
    let (first, head) = first_bits(Origin::from(42));
    assert_eq!(
        first,
        GOLDEN_FIRST,
        "{:?}",
        first.iter().map(|b| f32::from_bits(*b)).collect::<Vec<_>>()
    );
    assert_eq!(head, GOLDEN_HEAD);
    // netinit 0.1's weights (0.09906735, -0.023719287, 0.012020173,
    // 0.052285783 for layer 1) are still made in the 0.1 format.
    let (first, head) = first_bits(Origin::new(42, SamplerFormat::ChaChaRows));
    assert_eq!(first, GOLDEN_FIRST_0_1);
    assert_eq!(head, GOLDEN_HEAD_0_1);
}

const GOLDEN_FIRST: [u32; 4] = [1_020_883_966, 1_013_862_540, 1_007_807_351, 3_158_388_299];
const GOLDEN_HEAD: [u32; 2] = [1_025_167_538, 1_040_187_409];
const GOLDEN_FIRST_0_1: [u32; 4] = [1_036_706_771, 3_166_850_803, 1_011_150_914, 1_029_056_926];
const GOLDEN_HEAD_0_1: [u32; 2] = [1_040_710_005, 1_017_765_779];

#[test]
fn the_same_seed_gives_the_same_weights_and_another_seed_others() {
    assert_eq!(CARD.init(7), CARD.init(7));
    assert_ne!(
        CARD.init(7).layers()[0].weight(),
        CARD.init(8).layers()[0].weight()
    );
}

#[test]
fn rows_alone_equal_those_rows_of_the_full_sample() {
    for format in SamplerFormat::ALL {
        let origin = Origin::new(11, format);
        let full = CARD.init(origin);
        for (layer, rows) in [(0, 0..256), (0, 100..132), (0, 255..256), (1, 3..7)] {
            let shard = CARD.sample_rows(origin, layer, "weight", rows.clone()).unwrap();
            assert_eq!(
                shard,
                full.layers()[layer].weight().slice(s![rows, ..]),
                "{format}"
            );
        }
    }
}

/// A layer of `inputs -> outputs` with one of the inits that are drawn
/// element by element, or orthogonal.
fn layer_with(inputs: usize, outputs: usize, init: usize) -> LayerSpec {
    let inits = [
        Init::he_normal(),
        Init::he_uniform(),
        Init::Scaled(
            netinit::VarianceScaling::new(netinit::Family::Xavier, netinit::Distribution::Normal)
                .with_distribution(netinit::Distribution::TruncatedNormal),
        ),
        Init::Orthogonal { gain: None },
    ];
    LayerSpec::dense(inputs, outputs, Activation::Relu).with_weight(inits[init])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any rectangle of any layer, sampled alone, is bit-identical to the
    /// same rectangle of the whole network, in both formats.
    #[test]
    fn any_block_alone_equals_that_block_of_the_full_sample(
        inputs in 1usize..200,
        outputs in 1usize..80,
        init in 0usize..4,
        corners in (0.0f64..1.0, 0.0f64..1.0, 0.0f64..1.0, 0.0f64..1.0),
        seed in any::<u64>(),
        old in any::<bool>(),
    ) {
        let spec = NetworkSpec::new(vec![
            LayerSpec::dense(3, inputs, Activation::Tanh),
            layer_with(inputs, outputs, init),
        ]).unwrap();
        let format = if old { SamplerFormat::ChaChaRows } else { SamplerFormat::Counter };
        let origin = Origin::new(seed, format);
        let span = |a: f64, b: f64, n: usize| {
            let (a, b) = ((a * n as f64) as usize, (b * n as f64) as usize);
            a.min(b)..a.max(b) + 1.min(n - a.max(b))
        };
        let rows = span(corners.0, corners.1, outputs);
        let columns = span(corners.2, corners.3, inputs);
        let block = spec.sample_block(origin, 1, "weight", rows.clone(), columns.clone()).unwrap();
        let full = spec.init(origin);
        let weight = full.layers()[1].weight().to_owned();
        prop_assert_eq!(block, weight.slice(s![rows, columns]));
    }
}

#[test]
fn changing_layer_two_leaves_layer_one_bit_identical() {
    let changed: NetworkSpec = network![
        dense(784 -> 256, relu),
        dense(256 -> 10, softmax, init = xavier_uniform, bias = normal(std = 0.1)),
    ];
    let (a, b) = (CARD.init(5), changed.init(5));
    assert_eq!(a.layers()[0], b.layers()[0]);
    assert_ne!(a.layers()[1].weight(), b.layers()[1].weight());

    let appended = NetworkSpec::new(vec![
        LayerSpec::dense(784, 256, Activation::Relu),
        LayerSpec::dense(256, 10, Activation::Softmax),
        LayerSpec::dense(10, 3, Activation::Softmax).with_weight(Init::he_normal()),
    ])
    .unwrap();
    let c = appended.init(5);
    assert_eq!(a.layers()[..], c.layers()[..2]);
}

#[test]
fn the_macro_and_the_run_time_builder_agree() {
    let built = NetworkSpec::new(vec![
        LayerSpec::dense(784, 256, Activation::Relu),
        LayerSpec::dense(256, 10, Activation::Softmax),
    ])
    .unwrap();
    assert_eq!(built, CARD);
    assert_eq!(built.init(3), CARD.init(3));
}

#[test]
fn the_thread_count_does_not_change_the_weights() {
    // Normal, truncated normal, uniform (weights and biases) and orthogonal,
    // each large enough to be split between threads.
    let spec: NetworkSpec = network![
        dense(300 -> 500, gelu, dist = truncated_normal),
        dense(500 -> 400, relu, init = he_normal, bias = uniform(bound = 0.1)),
        dense(400 -> 200, tanh, init = xavier_uniform),
        dense(200 -> 10, softmax, init = orthogonal),
    ];
    for format in SamplerFormat::ALL {
        let on = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| spec.init(Origin::new(9, format)))
        };
        let one = on(1);
        assert_eq!(one, on(2), "{format}");
        assert_eq!(one, on(5), "{format}");
    }
}

const CNN: NetworkSpec = network![
    input(1, 28, 28),
    conv2d(1 -> 32, relu, kernel = 3, padding = 1),
    max_pool2d(2),
    flatten,
    dense(6272 -> 10, softmax),
];

#[test]
fn a_convolution_samples_as_the_dense_layer_of_its_matrix() {
    // conv2d(1 -> 32, relu, kernel = 3) at path 0 has the (32, 9) matrix and
    // the std (fan_in 9) of dense(9 -> 32, relu) at path 0: the same bits.
    let cnn = CNN.init(42);
    let dense = NetworkSpec::new(vec![LayerSpec::dense(9, 32, Activation::Relu)])
        .unwrap()
        .init(42);
    assert_eq!(cnn.layers()[0].weight(), dense.layers()[0].weight());
    assert_eq!(cnn.layers()[0].weight_shape(), [32, 1, 3, 3]);
    let first: Vec<u32> = cnn.layers()[0]
        .weight()
        .iter()
        .take(4)
        .map(|w| w.to_bits())
        .collect();
    assert_eq!(
        first,
        GOLDEN_CONV,
        "{:?}",
        first.iter().map(|b| f32::from_bits(*b)).collect::<Vec<_>>()
    );
}

/// 0.2477493, 0.13575867, 0.083124876, -0.110047676: the card's first
/// layer's first normals under seed 42 (its golden weights over their std
/// √(2/784)), times this layer's std √(2/9).
const GOLDEN_CONV: [u32; 4] = [1_048_424_958, 1_040_909_394, 1_034_567_008, 3_185_664_173];

#[test]
fn layers_without_weights_redraw_nothing_and_channels_shard_as_rows() {
    // The pooling, `input` and `flatten` have no path: without the pooling
    // the convolution draws the same bits, and with another pooling in its
    // place the head (path 1) does too.
    let text = |pooling: &str| {
        format!(
            "input(1, 28, 28), conv2d(1 -> 32, relu, kernel = 3, padding = 1), {pooling} flatten, \
             dense({} -> 10, softmax)",
            if pooling.is_empty() { 25088 } else { 6272 }
        )
    };
    let network = |pooling: &str| NetworkSpec::from_dsl(&text(pooling)).unwrap().0.init(3);
    let pooled = CNN.init(3);
    assert_eq!(pooled, network("max_pool2d(2),"));
    assert_eq!(pooled.layers()[0], network("").layers()[0]);
    assert_eq!(pooled.layers(), network("avg_pool2d(2),").layers());
    for format in SamplerFormat::ALL {
        let origin = Origin::new(5, format);
        let full = CNN.init(origin);
        let shard = CNN.sample_rows(origin, 1, "weight", 8..16).unwrap();
        assert_eq!(shard, full.layers()[0].weight().slice(s![8..16, ..]), "{format}");
        let block = CNN.sample_block(origin, 1, "weight", 0..32, 3..7).unwrap();
        assert_eq!(block, full.layers()[0].weight().slice(s![.., 3..7]), "{format}");
    }
    // The pooling (spec layer 2) has no tensor to sample; past the last layer, no layer.
    let pooling = CNN.sample_rows(5, 2, "weight", 0..1).unwrap_err();
    assert!(matches!(pooling, netinit::Error::NoSuchTensor { layer: 2, ref names, .. } if names.is_empty()));
    assert_eq!(
        pooling.to_string(),
        "layer 2 has no tensor `weight`: it has no parameters"
    );
    let past = CNN.sample_rows(5, 9, "weight", 0..1).unwrap_err();
    assert_eq!(
        past.to_string(),
        "invalid network: there is no layer 9: the network has layers 0..5; give an index below 5"
    );
}

#[test]
fn any_block_of_any_tensor_alone_equals_that_block_of_the_full_sample() {
    // Every kind's tensors: weights, biases, γ and β, running statistics.
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/every_kind.net"
    ))
    .unwrap();
    let spec: NetworkSpec = text.parse().unwrap();
    let mut checked = 0;
    for format in SamplerFormat::ALL {
        let origin = Origin::new(13, format);
        let full = spec.init(origin);
        let paths = spec.layer_paths();
        let with_parameters = paths.iter().enumerate().filter(|(_, path)| path.is_some());
        for ((index, _), layer) in with_parameters.zip(full.layers()) {
            for tensor in layer.tensors() {
                let [rows, columns] = tensor.spec().matrix_shape();
                let blocks = [
                    (0..rows, 0..columns),
                    (rows - 1..rows, 0..columns),
                    (rows / 3..rows / 3 + 1, columns / 2..columns),
                    (rows / 4..rows.div_ceil(2), columns / 3..columns.div_ceil(3)),
                ];
                for (rows, columns) in blocks {
                    let name = tensor.name();
                    let alone = spec
                        .sample_block(origin, index, name, rows.clone(), columns.clone())
                        .unwrap();
                    let whole = tensor
                        .values()
                        .slice(s![rows.clone(), columns.clone()])
                        .to_owned();
                    assert_eq!(
                        alone, whole,
                        "{format}: layer {index} `{name}` [{rows:?}, {columns:?}]"
                    );
                    checked += 1;
                }
            }
        }
    }
    // The walk above skipped no tensor: 4 blocks of each of the fixture's 24
    // (7 convolution and dense weights, 5 biases, 2 batch norms' γ, β and
    // running statistics, 2 layer norms' γ and β), in both formats.
    let tensors: usize = spec.layers().iter().map(|layer| layer.parameters().len()).sum();
    assert_eq!(tensors, 24);
    assert_eq!(checked, 4 * tensors * SamplerFormat::ALL.len());
}
