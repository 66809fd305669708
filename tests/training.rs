//! Training on real data: the card's network learns Fashion-MNIST (the
//! subset bundled in the repository, so the test needs no install), and
//! constant weights keep every hidden neuron identical through training.

use ndarray::s;
use netinit::data::FashionMnist;
use netinit::{network, Init, Loss, NetworkSpec, Optimizer, Targets, Trainer};

const MNIST: NetworkSpec = network![
    dense(784 -> 256, relu),
    dense(256 -> 10, softmax),
];

fn bundled() -> FashionMnist {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/fashion-mnist-subset");
    FashionMnist::load(&dir).expect("the bundled subset is in the repository")
}

#[test]
fn the_card_network_learns_the_bundled_subset() {
    let data = bundled();
    assert_eq!((data.train.len(), data.test.len()), (5000, 1000));
    let mut trainer = Trainer::new(MNIST.init(0), Loss::CrossEntropy, Optimizer::adam(1e-3)).unwrap();
    let before = trainer
        .network()
        .evaluate(data.test.images.view(), &data.test.labels)
        .unwrap();
    let mut losses = Vec::new();
    for epoch in 0..3 {
        losses.push(
            trainer
                .epoch(data.train.images.view(), &data.train.labels, 128, epoch, |_| {})
                .unwrap(),
        );
    }
    let after = trainer
        .network()
        .evaluate(data.test.images.view(), &data.test.labels)
        .unwrap();
    // Chance is 0.10; this seed reaches 0.818 after 3 epochs on 5,000 images
    // (deterministic: seeded init and shuffles); 0.78 leaves room for a
    // deliberate change of sampler.
    assert!(before.accuracy < 0.2, "{before:?}");
    assert!(after.accuracy >= 0.78, "{after:?}");
    assert!(losses.windows(2).all(|pair| pair[1] < pair[0]), "{losses:?}");
}

#[test]
fn sgd_with_momentum_learns_too() {
    let data = bundled();
    let mut trainer = Trainer::new(
        MNIST.init(1),
        Loss::CrossEntropy,
        Optimizer::sgd_momentum(0.05, 0.9),
    )
    .unwrap();
    trainer
        .epoch(data.train.images.view(), &data.train.labels, 64, 0, |_| {})
        .unwrap();
    let after = trainer
        .network()
        .evaluate(data.test.images.view(), &data.test.labels)
        .unwrap();
    assert!(after.accuracy >= 0.7, "{after:?}");
}

#[test]
fn constant_weights_keep_every_hidden_neuron_identical() {
    let data = bundled();
    let inputs = data.train.images.slice(s![..512, ..]);
    let labels = &data.train.labels[..512];
    for (init, hidden_rows) in [
        (Some(Init::Constant { value: 0.01 }), 1),
        (Some(Init::zeros()), 1),
        (None, 256),
    ] {
        let spec = match init {
            Some(init) => MNIST.with_weight_init(init).unwrap(),
            None => MNIST,
        };
        let mut trainer = Trainer::new(spec.init(0), Loss::CrossEntropy, Optimizer::adam(1e-3)).unwrap();
        for step in 0..20 {
            let rows = (step * 20)..(step * 20 + 64);
            trainer
                .step(
                    inputs.slice(s![rows.clone(), ..]),
                    Targets::Classes(&labels[rows]),
                )
                .unwrap();
        }
        let layers = trainer.network().layers();
        assert_eq!(layers[0].distinct_rows(), hidden_rows, "{init:?}");
        assert_eq!(layers[1].distinct_columns(), hidden_rows, "{init:?}");
    }
}

#[test]
fn training_is_reproducible() {
    let data = bundled();
    let inputs = data.train.images.slice(s![..1000, ..]);
    let run = || {
        let mut trainer = Trainer::new(MNIST.init(4), Loss::CrossEntropy, Optimizer::adam(1e-3)).unwrap();
        trainer
            .epoch(inputs, &data.train.labels[..1000], 100, 9, |_| {})
            .unwrap();
        trainer.into_network()
    };
    assert_eq!(run(), run());
}

/// A small two-class problem: 64 rows of 4 features, and its labels.
fn small_problem() -> (netinit::ndarray::Array2<f32>, Vec<usize>) {
    let inputs =
        netinit::ndarray::Array2::from_shape_fn((64, 4), |(row, col)| ((row * 3 + col * 5) % 7) as f32 / 7.0);
    let labels = (0..64).map(|row| row % 2).collect();
    (inputs, labels)
}

const SMALL: NetworkSpec = network![dense(4 -> 8, relu), dense(8 -> 2, softmax)];

#[test]
fn optimizer_settings_out_of_range_are_refused_when_the_trainer_is_built() {
    for optimizer in [
        Optimizer::adam(f32::NAN),
        Optimizer::adam(f32::INFINITY),
        Optimizer::sgd(-1e30),
        Optimizer::sgd_momentum(0.1, f32::NAN),
        Optimizer::sgd_momentum(0.1, 1.0),
        Optimizer::Adam {
            learning_rate: 1e-3,
            beta1: 1.0,
            beta2: 0.999,
            epsilon: 1e-8,
        },
        Optimizer::Adam {
            learning_rate: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 0.0,
        },
        // Settings that train nothing: a rate no f32 weight notices, an
        // epsilon that swamps every gradient, a rate that overflows.
        Optimizer::adam(1e-45),
        Optimizer::sgd(1e-13),
        Optimizer::adam(1e38),
        Optimizer::Adam {
            learning_rate: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 3e38,
        },
    ] {
        let refused = Trainer::new(SMALL.init(0), Loss::CrossEntropy, optimizer);
        assert!(
            matches!(refused, Err(netinit::Error::InvalidOptimizer { .. })),
            "{optimizer:?}"
        );
    }
    let error = Trainer::new(SMALL.init(0), Loss::CrossEntropy, Optimizer::adam(1e-45))
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("the optimizer's learning rate is 1e-45; it must be from 1e-12 to 1e19"),
        "{error}"
    );
    // The ends of the range are taken, and ε = 1 (Keras's advice for Inception).
    for optimizer in [
        Optimizer::adam(1e-12),
        Optimizer::sgd(1e19),
        Optimizer::Adam {
            learning_rate: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1.0,
        },
    ] {
        assert!(
            Trainer::new(SMALL.init(0), Loss::CrossEntropy, optimizer).is_ok(),
            "{optimizer:?}"
        );
    }
}

#[test]
fn a_nan_pixel_is_refused_before_any_step_and_the_weights_stay() {
    let (mut inputs, labels) = small_problem();
    inputs[(60, 2)] = f32::NAN;
    let mut trainer = Trainer::new(SMALL.init(0), Loss::CrossEntropy, Optimizer::adam(0.01)).unwrap();
    let error = trainer.epoch(inputs.view(), &labels, 16, 0, |_| {}).unwrap_err();
    assert_eq!(error, netinit::Error::NonFiniteInput { row: 60, column: 2 });
    assert_eq!(trainer.network(), &SMALL.init(0));
    assert_eq!(trainer.steps(), 0);
}

#[test]
fn a_bad_label_anywhere_fails_the_epoch_before_its_first_step() {
    // Whichever batch the shuffle puts it in, the last included, no batch is
    // applied.
    let (inputs, labels) = small_problem();
    for bad in 0..labels.len() {
        let mut labels = labels.clone();
        labels[bad] = 7;
        let mut trainer = Trainer::new(SMALL.init(0), Loss::CrossEntropy, Optimizer::adam(0.01)).unwrap();
        let error = trainer.epoch(inputs.view(), &labels, 16, 0, |_| {}).unwrap_err();
        assert_eq!(error, netinit::Error::ClassOutOfRange { class: 7, classes: 2 });
        assert_eq!(
            trainer.network(),
            &SMALL.init(0),
            "row {bad}: no batch was applied"
        );
    }
}

#[test]
fn an_empty_set_is_an_error() {
    let inputs = netinit::ndarray::Array2::<f32>::zeros((0, 4));
    let mut trainer = Trainer::new(SMALL.init(0), Loss::CrossEntropy, Optimizer::adam(0.01)).unwrap();
    assert_eq!(
        trainer.epoch(inputs.view(), &[], 16, 0, |_| {}),
        Err(netinit::Error::EmptyBatch)
    );
}

#[test]
fn a_step_that_would_not_be_finite_leaves_the_weights_and_the_optimizer_as_they_were() {
    // Hidden weights at f32's largest value overflow the hidden units to
    // infinity, and the head's mixed signs make the logits NaN.
    let (inputs, labels) = small_problem();
    let mut huge = SMALL.init(0);
    huge.layers_mut()[0].weight_mut().fill(f32::MAX);
    let mut trainer = Trainer::new(huge.clone(), Loss::CrossEntropy, Optimizer::adam(0.01)).unwrap();
    let error = trainer
        .step(inputs.view(), netinit::Targets::Classes(&labels))
        .unwrap_err();
    assert!(matches!(error, netinit::Error::NonFinite { .. }), "{error:?}");
    assert_eq!(trainer.network(), &huge);
    assert_eq!(trainer.steps(), 0);
    // Adam's steps are about the learning rate in size: at the largest
    // learning rate the trainer takes, the first step puts the weights near
    // ±1e19, finite, whose products over the two layers pass f32's largest;
    // the second step is refused, and so is an evaluation (it was an `Ok`
    // with a NaN loss).
    let largest = *netinit::LEARNING_RATES.end();
    let mut reckless = Trainer::new(SMALL.init(0), Loss::CrossEntropy, Optimizer::adam(largest)).unwrap();
    reckless
        .step(inputs.view(), netinit::Targets::Classes(&labels))
        .unwrap();
    assert!(reckless.network().layers()[0]
        .weight()
        .iter()
        .all(|w| w.is_finite()));
    let before = reckless.network().clone();
    let error = reckless
        .step(inputs.view(), netinit::Targets::Classes(&labels))
        .unwrap_err();
    assert!(matches!(error, netinit::Error::NonFinite { .. }), "{error:?}");
    assert_eq!(reckless.steps(), 1);
    assert_eq!(reckless.network(), &before);
    let error = before.evaluate(inputs.view(), &labels).unwrap_err();
    assert!(
        matches!(
            error,
            netinit::Error::NonFiniteLoss {
                first_row: 0,
                last_row: 63
            }
        ),
        "{error:?}"
    );
    assert!(
        error.to_string().starts_with("the loss of rows 0 to 63 is NaN"),
        "{error}"
    );
    assert!(error.to_string().contains("past f32's largest value"), "{error}");
    // A NaN input is named as the cause instead.
    let mut poisoned = inputs.clone();
    poisoned[(3, 1)] = f32::NAN;
    let error = SMALL.init(0).evaluate(poisoned.view(), &labels).unwrap_err();
    assert!(
        matches!(error, netinit::Error::NonFiniteInput { row: 3, column: 1 }),
        "{error:?}"
    );
}

#[test]
fn relu_lets_a_nan_through_instead_of_hiding_it() {
    let network = SMALL.init(0);
    let mut inputs = netinit::ndarray::Array2::<f32>::zeros((1, 4));
    inputs[(0, 0)] = f32::NAN;
    let outputs = network.forward(inputs.view()).unwrap();
    assert!(outputs.iter().all(|value| value.is_nan()), "{outputs:?}");
}

#[test]
fn a_step_moves_batch_norm_s_running_statistics_as_pytorch_does() {
    // momentum 0.1 toward the batch's mean and unbiased variance, from
    // mean 0 and variance 1; evaluation then uses them.
    use netinit::ndarray::Array2;
    use netinit::Mode;
    const NORMALIZED: NetworkSpec = network![dense(4 -> 3, tanh), batch_norm(3), dense(3 -> 2, softmax)];
    let network = NORMALIZED.init(1);
    let inputs = Array2::from_shape_fn((8, 4), |(row, col)| ((row * 5 + col * 3) % 7) as f32 / 3.0 - 1.0);
    let labels: Vec<usize> = (0..8).map(|row| row % 2).collect();
    let hidden = network.forward_all(inputs.view()).unwrap()[0].clone();
    let mut trainer = Trainer::new(network, Loss::CrossEntropy, Optimizer::adam(0.01)).unwrap();
    trainer.step(inputs.view(), Targets::Classes(&labels)).unwrap();
    let norm = &trainer.network().layers()[1];
    let running = |name: &str| norm.tensor(name).unwrap().values().row(0).to_owned();
    let (means, variances) = (running("running_mean"), running("running_var"));
    for (channel, column) in hidden.columns().into_iter().enumerate() {
        let values: Vec<f64> = column.iter().map(|&v| f64::from(v)).collect();
        let mean = values.iter().sum::<f64>() / 8.0;
        let unbiased = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 7.0;
        let (running_mean, running_variance) = (means[channel], variances[channel]);
        assert!(
            (f64::from(running_mean) - 0.1 * mean).abs() < 1e-6,
            "{running_mean}"
        );
        assert!(
            (f64::from(running_variance) - (0.9 + 0.1 * unbiased)).abs() < 1e-6,
            "{running_variance}"
        );
    }
    // `evaluate` runs in evaluation mode whatever the network's mode.
    let mut evaluating = trainer.network().clone();
    evaluating.set_mode(Mode::Eval);
    let outputs = evaluating.forward(inputs.view()).unwrap();
    let evaluation = trainer.network().evaluate(inputs.view(), &labels).unwrap();
    let loss = outputs
        .rows()
        .into_iter()
        .zip(&labels)
        .map(|(row, &label)| -f64::from(row[label]).ln())
        .sum::<f64>()
        / 8.0;
    assert!(
        (f64::from(evaluation.loss) - loss).abs() < 1e-5,
        "{} {loss}",
        evaluation.loss
    );
}

#[test]
fn batch_normalization_refuses_what_has_no_variance_and_a_step_that_overflows_it() {
    use netinit::ndarray::{array, Array2};
    use netinit::{Error, Mode};
    const NORMALIZED: NetworkSpec = network![batch_norm(2), dense(2 -> 2, softmax)];
    let mut network = NORMALIZED.init(0);
    // One example: no variance to normalise by in training (PyTorch
    // raises too); evaluation uses the running statistics.
    let one = Array2::<f32>::ones((1, 2));
    assert_eq!(
        network.forward(one.view()),
        Err(Error::BatchTooSmall { found: 1 })
    );
    network.set_mode(Mode::Eval);
    assert!(network.forward(one.view()).is_ok());
    network.set_mode(Mode::Train);
    // Finite gradients, but a variance of 1e40 would not fit an f32: the
    // step is refused and changes nothing.
    let huge = array![[1e20_f32, 0.0], [-1e20, 0.0]];
    let mut trainer = Trainer::new(network.clone(), Loss::CrossEntropy, Optimizer::sgd(0.1)).unwrap();
    assert_eq!(
        trainer.step(huge.view(), Targets::Classes(&[0, 1])),
        Err(Error::NonFinite {
            what: "running statistics"
        })
    );
    assert_eq!(trainer.network(), &network);
}

/// A small language model's batch: ids and, for each token, the next id.
fn token_batch(rows: usize, tokens: usize, vocabulary: usize) -> (netinit::ndarray::Array2<f32>, Vec<usize>) {
    let text: Vec<usize> = (0..rows * tokens + 1)
        .map(|at| (at * 7 + at / 3) % vocabulary)
        .collect();
    let ids = netinit::ndarray::Array2::from_shape_fn((rows, tokens), |(row, token)| {
        text[row * tokens + token] as f32
    });
    let next = (0..rows * tokens).map(|at| text[at + 1]).collect();
    (ids, next)
}

#[test]
fn constant_tables_separate_at_the_first_step() {
    // A constant token table and a constant position table (allowed):
    // after one step the rows of distinct ids, and of distinct positions,
    // differ, as the lint's message says.
    let spec: NetworkSpec = "#![allow(constant_init)] input(tokens = 6), embedding(5 -> 8, init = constant(0.1)), \
                             position_embedding(6 -> 8, init = zeros), \
                             residual(layer_norm(8), attention(8, heads = 2, mask = causal)), dense(8 -> 5, softmax)"
        .parse()
        .unwrap();
    let (ids, next) = token_batch(4, 6, 5);
    let mut trainer = Trainer::new(spec.init(0), Loss::CrossEntropy, Optimizer::sgd(0.1)).unwrap();
    let before = trainer.network().layers()[0].distinct_rows();
    trainer.step(ids.view(), Targets::Classes(&next)).unwrap();
    let layers = trainer.network().layers();
    assert_eq!(before, 1);
    assert_eq!(layers[0].tensor("weight").unwrap().values().nrows(), 5);
    assert_eq!(layers[0].distinct_rows(), 5, "the token table's rows");
    assert_eq!(layers[1].distinct_rows(), 6, "the position table's rows");
}

#[test]
fn constant_attention_never_learns() {
    // Attention whose projections start constant keeps every feature of
    // each projection the same through training, and at zero nothing
    // moves at all. (A forbidden spec: built without the lints.)
    use netinit::{AttentionSpec, EmbeddingSpec, LayerSpec, Shape};
    for init in [Init::Constant { value: 0.05 }, Init::zeros()] {
        let spec = NetworkSpec::new(vec![
            LayerSpec::input(Shape::Tokens(6)),
            LayerSpec::embedding(EmbeddingSpec::new(5, 8)),
            LayerSpec::attention(AttentionSpec::new(8, 2).causal().with_projections(init)),
            LayerSpec::dense(8, 5, netinit::Activation::Softmax),
        ])
        .unwrap();
        let (ids, next) = token_batch(4, 6, 5);
        let mut trainer = Trainer::new(spec.init(0), Loss::CrossEntropy, Optimizer::adam(1e-2)).unwrap();
        for _ in 0..100 {
            trainer.step(ids.view(), Targets::Classes(&next)).unwrap();
        }
        let attention = &trainer.network().layers()[1];
        // The features are the rows of q, k and v and the columns of o.
        for name in ["q.weight", "k.weight", "v.weight", "o.weight"] {
            let values = attention.tensor(name).unwrap().values();
            let features = match name {
                "o.weight" => values.t().to_owned(),
                _ => values.to_owned(),
            };
            let first = features.row(0).to_owned();
            for row in features.rows() {
                assert_eq!(row, first, "{init:?}: the features of {name} came apart");
            }
            if init == Init::zeros() {
                assert!(values.iter().all(|&value| value == 0.0), "{name} moved from zero");
            }
        }
    }
}

#[test]
fn adamw_decays_the_weights_and_not_the_biases_as_pytorch_does() {
    // One step from the same gradients: Adam's first step moves each value
    // by lr·g/(|g| + ε); AdamW first shrinks a decayed tensor by lr·wd.
    use netinit::{Activation, LayerSpec};
    let spec = NetworkSpec::new(vec![
        LayerSpec::dense(3, 4, Activation::Tanh).with_bias(Init::Normal { std: 0.5 }),
        LayerSpec::dense(4, 2, Activation::Softmax),
    ])
    .unwrap();
    let (inputs, labels) = (
        netinit::ndarray::array![[0.5_f32, -1.0, 2.0], [1.0, 0.2, -0.3]],
        [1, 0],
    );
    let start = spec.init(4);
    let (_, gradients) = start
        .gradients(inputs.view(), Targets::Classes(&labels), Loss::CrossEntropy)
        .unwrap();
    let (rate, decay) = (0.01_f32, 0.3_f32);
    let mut trainer = Trainer::new(start.clone(), Loss::CrossEntropy, Optimizer::adamw(rate, decay)).unwrap();
    trainer.step(inputs.view(), Targets::Classes(&labels)).unwrap();
    for (layer, name, gradient) in gradients.iter() {
        let before = start.layers()[layer].tensor(name).unwrap().values();
        let after = trainer.network().layers()[layer].tensor(name).unwrap().values();
        let kept = if name == "weight" { 1.0 - rate * decay } else { 1.0 };
        for ((&w0, &w1), &g) in before.iter().zip(after).zip(gradient) {
            let expected = w0 * kept - rate * g / (g.abs() + 1e-8);
            assert!(
                (w1 - expected).abs() <= 1e-6,
                "{layer} {name}: {w1} vs {expected}"
            );
        }
    }
}

#[test]
fn clipping_scales_the_global_norm_down_to_its_limit_and_a_schedule_scales_the_rate() {
    let (inputs, labels) = small_problem();
    let network = SMALL.init(1);
    let (_, mut gradients) = network
        .gradients(inputs.view(), Targets::Classes(&labels), Loss::CrossEntropy)
        .unwrap();
    let norm = |gradients: &netinit::Gradients| {
        gradients
            .iter()
            .flat_map(|(_, _, g)| g.iter())
            .map(|&g| f64::from(g).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    let before = norm(&gradients);
    assert!(before > 0.01, "{before}");
    assert_eq!(gradients.clip(0.01) as f64, before as f32 as f64);
    assert!((norm(&gradients) - 0.01).abs() < 1e-6, "{}", norm(&gradients));
    // Below the limit, nothing changes.
    let kept = gradients.clone();
    gradients.clip(1.0);
    assert_eq!(gradients, kept);
    // SGD's first step under a warm-up of 4 moves by a quarter of the rate.
    let mut warm = Trainer::new(network.clone(), Loss::CrossEntropy, Optimizer::sgd(0.1))
        .unwrap()
        .with_schedule(netinit::Schedule::warmup_cosine(4, 10))
        .unwrap();
    let mut plain = Trainer::new(network.clone(), Loss::CrossEntropy, Optimizer::sgd(0.025)).unwrap();
    warm.step(inputs.view(), Targets::Classes(&labels)).unwrap();
    plain.step(inputs.view(), Targets::Classes(&labels)).unwrap();
    assert_eq!(warm.network(), plain.network());
    assert!(
        Trainer::new(network.clone(), Loss::CrossEntropy, Optimizer::sgd(0.1))
            .unwrap()
            .with_clipping(f32::NAN)
            .is_err()
    );
    assert!(Optimizer::adamw(0.1, 20.0).check().is_err());
}
