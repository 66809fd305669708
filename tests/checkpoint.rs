//! Checkpoints: safetensors files that round-trip bit for bit, and bad files
//! that come back as typed errors, never a panic.

use std::fs;
use std::path::PathBuf;

use netinit::checkpoint::{tensor_name, SPEC_KEY};
use netinit::{network, CheckpointError, LayerPath, Network, NetworkSpec};

const CARD: NetworkSpec = network![dense(784 -> 256, relu), dense(256 -> 10, softmax)];
const SMALL: NetworkSpec = network![dense(4 -> 3, tanh), dense(3 -> 2, softmax)];

fn scratch(name: &str) -> PathBuf {
    let directory = std::env::temp_dir().join(format!("netinit-checkpoint-{}", std::process::id()));
    fs::create_dir_all(&directory).unwrap();
    directory.join(name)
}

/// A bad file: what is wrong with it, its bytes, and the error it must give.
type BadFile = (&'static str, Vec<u8>, fn(&CheckpointError) -> bool);

/// A safetensors file written by hand: the 8-byte header length, the JSON
/// header, the data.
fn safetensors_bytes(header: &str, data: &[u8]) -> Vec<u8> {
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend(header.as_bytes());
    bytes.extend(data);
    bytes
}

#[test]
fn a_saved_network_loads_bit_identical_with_its_spec_and_seed() {
    let path = scratch("card.safetensors");
    let network = CARD.init(42);
    network.save(&path).unwrap();
    let loaded = Network::load(&path).unwrap();
    assert_eq!(loaded, network);
    assert_eq!(loaded.spec(), &CARD);
    assert_eq!(loaded.seed(), Some(42));
    assert_eq!(CARD.load_weights(&path).unwrap().layers(), network.layers());
    // 203,530 f32 values and a header: the file is the weights, not more.
    let size = fs::metadata(&path).unwrap().len();
    assert!(size > 203_530 * 4 && size < 203_530 * 4 + 4096, "{size}");
}

#[test]
fn a_convolution_is_stored_out_in_kh_kw_as_pytorch_stores_it() {
    const CNN: NetworkSpec = network![
        input(2, 9, 9),
        conv2d(2 -> 4, relu, kernel = (3, 2), padding = 1),
        max_pool2d(2),
        flatten,
        dense(80 -> 3, softmax),
    ];
    let path = scratch("cnn.safetensors");
    let network = CNN.init(7);
    network.save(&path).unwrap();
    let loaded = Network::load(&path).unwrap();
    assert_eq!(loaded, network);
    assert_eq!(loaded.spec(), &CNN);
    // An independent reader sees the 4-D tensor, in PyTorch's order: the
    // kernel of output channel o, input channel c is at [o, c, ..].
    let bytes = fs::read(&path).unwrap();
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let weight = file.tensor("layers.0.weight").unwrap();
    assert_eq!(weight.shape(), [4, 2, 3, 2]);
    let values: Vec<f32> = weight
        .data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let matrix = network.layers()[0].weight();
    assert_eq!(values[(3 * 2 + 1) * 6 + 2 * 2 + 1], matrix[(3, 6 + 2 * 2 + 1)]);
    assert_eq!(file.tensor("layers.1.weight").unwrap().shape(), [3, 80]);
    // Another kernel is a shape error naming the tensor.
    let wider: NetworkSpec = network![
        input(2, 9, 9),
        conv2d(2 -> 4, relu, kernel = 3, padding = 1),
        max_pool2d(2),
        flatten,
        dense(64 -> 3, softmax),
    ];
    assert!(matches!(
        wider.load_weights(&path),
        Err(CheckpointError::Shape { name, expected, found, .. })
            if name == "layers.0.weight" && expected == [4, 2, 3, 3] && found == [4, 2, 3, 2]
    ));
}

#[test]
fn tensors_are_named_by_layer_path_as_pytorch_names_them() {
    assert_eq!(tensor_name(&LayerPath::top(3), "weight"), "layers.3.weight");
    assert_eq!(
        tensor_name(&LayerPath::top(4).child(1), "bias"),
        "layers.4.1.bias"
    );
}

#[test]
fn a_file_for_another_network_is_a_shape_error() {
    let path = scratch("small.safetensors");
    SMALL.init(0).save(&path).unwrap();
    let wider: NetworkSpec = network![dense(4 -> 5, tanh), dense(5 -> 2, softmax)];
    match wider.load_weights(&path) {
        Err(CheckpointError::Shape {
            name,
            expected,
            found,
            ..
        }) => {
            assert_eq!(
                (name.as_str(), expected, found),
                ("layers.0.weight", vec![5, 4], vec![3, 4])
            );
        }
        other => panic!("{other:?}"),
    }
    let deeper: NetworkSpec = network![dense(4 -> 3, tanh), dense(3 -> 2, tanh), dense(2 -> 2, softmax)];
    assert!(
        matches!(deeper.load_weights(&path), Err(CheckpointError::MissingTensor { name, .. }) if name == "layers.2.weight")
    );
    let shallower: NetworkSpec = network![dense(4 -> 3, softmax)];
    assert!(
        matches!(shallower.load_weights(&path), Err(CheckpointError::ExtraTensor { name, .. }) if name == "layers.1.bias")
    );
}

#[test]
fn bad_files_are_typed_errors() {
    let cases: [BadFile; 7] = [
        ("empty", Vec::new(), |e| {
            matches!(e, CheckpointError::Format { .. })
        }),
        (
            "header longer than the file",
            safetensors_bytes("{}", &[]).into_iter().take(9).collect(),
            |e| matches!(e, CheckpointError::Format { .. }),
        ),
        ("corrupt header", safetensors_bytes("{not json", &[]), |e| {
            matches!(e, CheckpointError::Format { .. })
        }),
        (
            "data shorter than the header says",
            safetensors_bytes(
                r#"{"layers.0.weight":{"dtype":"F32","shape":[3,4],"data_offsets":[0,48]}}"#,
                &[0; 20],
            ),
            |e| matches!(e, CheckpointError::Format { .. }),
        ),
        (
            "no netinit metadata",
            safetensors_bytes(
                r#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#,
                &[0; 4],
            ),
            |e| {
                matches!(
                    e,
                    CheckpointError::NotNetinit {
                        missing: SPEC_KEY,
                        ..
                    }
                )
            },
        ),
        (
            "a spec text that does not read",
            safetensors_bytes(
                r#"{"__metadata__":{"netinit.spec":"dense(4 -> 3, rleu)"},"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#,
                &[0; 4],
            ),
            |e| matches!(e, CheckpointError::Spec { error, .. } if error.diagnostics[0].message.contains("did you mean `relu`")),
        ),
        (
            "a tensor of another dtype",
            safetensors_bytes(
                r#"{"__metadata__":{"netinit.spec":"dense(1 -> 1, relu)"},"layers.0.weight":{"dtype":"F64","shape":[1,1],"data_offsets":[0,8]},"layers.0.bias":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#,
                &[0; 12],
            ),
            |e| matches!(e, CheckpointError::Dtype { found, .. } if found == "F64"),
        ),
    ];
    for (what, bytes, expected) in cases {
        let path = scratch(&format!("{}.safetensors", what.replace(' ', "-")));
        fs::write(&path, bytes).unwrap();
        let error = Network::load(&path).unwrap_err();
        assert!(expected(&error), "{what}: {error:?}");
        assert!(
            error.to_string().starts_with(&path.display().to_string()),
            "{what}: {error}"
        );
    }
    let missing = Network::load(scratch("no-such-file.safetensors")).unwrap_err();
    assert!(matches!(missing, CheckpointError::Io { action: "read", .. }));
}

#[test]
fn non_finite_weights_are_refused() {
    let nan = f32::NAN.to_le_bytes();
    let mut data = nan.to_vec();
    data.extend(0.0_f32.to_le_bytes());
    let bytes = safetensors_bytes(
        r#"{"__metadata__":{"netinit.spec":"dense(1 -> 1, relu)"},"layers.0.weight":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},"layers.0.bias":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
        &data,
    );
    let path = scratch("nan.safetensors");
    fs::write(&path, bytes).unwrap();
    assert!(
        matches!(Network::load(&path), Err(CheckpointError::NonFinite { name, .. }) if name == "layers.0.weight")
    );
}

#[test]
fn thousands_of_mutated_files_never_panic() {
    // 3,000 mutations of a valid file, drawn from a fixed ChaCha8 stream:
    // byte flips (in the header and the data), truncations, and header
    // lengths set to small and huge values. Each load returns Ok or a typed
    // error; any panic fails the test.
    use netinit::rand::Rng;
    let path = scratch("valid.safetensors");
    SMALL.init(3).save(&path).unwrap();
    let valid = fs::read(&path).unwrap();
    let mutated = scratch("mutated.safetensors");
    let mut rng = netinit::generator(11);
    let mut errors = 0;
    for case in 0..3_000 {
        let mut bytes = valid.clone();
        match case % 4 {
            0 => {
                let at = (rng.next_u64() as usize) % bytes.len();
                bytes[at] ^= 1 << (rng.next_u64() % 8);
            }
            1 => bytes.truncate((rng.next_u64() as usize) % bytes.len()),
            2 => {
                let length = rng.next_u64() >> (rng.next_u64() % 64);
                bytes[..8].copy_from_slice(&length.to_le_bytes());
            }
            _ => {
                for _ in 0..4 {
                    let at = 8 + (rng.next_u64() as usize) % (bytes.len() - 8);
                    bytes[at] = rng.next_u64() as u8;
                }
            }
        }
        fs::write(&mutated, &bytes).unwrap();
        if Network::load(&mutated).is_err() {
            errors += 1;
        }
    }
    assert!(errors > 1_000, "most mutations break the file: {errors}");
}

#[test]
fn training_resumed_from_a_checkpoint_matches_training_straight_through() {
    // 2 epochs, save, load, 2 more: bit for bit the weights 4 epochs give,
    // for Adam (moments and bias correction) and SGD with momentum.
    use netinit::ndarray::Array2;
    use netinit::{Loss, Optimizer, Trainer};
    let inputs = Array2::from_shape_fn((300, 4), |(row, col)| ((row * 7 + col * 3) % 11) as f32 / 11.0);
    let labels: Vec<usize> = (0..300).map(|row| (row * 5 % 7) % 2).collect();
    for optimizer in [Optimizer::adam(0.01), Optimizer::sgd_momentum(0.05, 0.9)] {
        let run = |trainer: &mut Trainer, epochs: std::ops::Range<u64>| {
            for epoch in epochs {
                trainer.epoch(inputs.view(), &labels, 32, epoch, |_| {}).unwrap();
            }
        };
        let mut straight = Trainer::new(SMALL.init(5), Loss::CrossEntropy, optimizer).unwrap();
        run(&mut straight, 0..4);
        let mut first = Trainer::new(SMALL.init(5), Loss::CrossEntropy, optimizer).unwrap();
        run(&mut first, 0..2);
        let path = scratch("trainer.safetensors");
        first.save(&path).unwrap();
        let mut resumed = Trainer::load(&path).unwrap();
        assert_eq!((resumed.steps(), resumed.epochs()), (first.steps(), 2));
        assert_eq!(resumed.optimizer(), optimizer);
        run(&mut resumed, 2..4);
        assert_eq!(resumed.network(), straight.network(), "{optimizer:?}");
        assert_ne!(resumed.network(), &SMALL.init(5), "training moved the weights");
        // The trainer's file is a network checkpoint too.
        assert_eq!(&Network::load(&path).unwrap(), first.network());
    }
}

#[test]
fn a_layer_without_biases_has_no_bias_tensor_and_resumes() {
    // As PyTorch's `bias=False` modules: no `bias` in the file, the
    // trainer's file has no bias moments, and both load back bit for bit.
    use netinit::ndarray::Array2;
    use netinit::{Loss, Optimizer, Trainer};
    const NO_BIAS: NetworkSpec = network![
        input(1, 4, 4),
        conv2d(1 -> 2, relu, kernel = 3, bias = none),
        flatten,
        dense(8 -> 3, softmax, bias = none),
    ];
    let path = scratch("no-bias.safetensors");
    let network = NO_BIAS.init(3);
    network.save(&path).unwrap();
    let bytes = fs::read(&path).unwrap();
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut names = file.names();
    names.sort();
    assert_eq!(names, ["layers.0.weight", "layers.1.weight"]);
    assert_eq!(Network::load(&path).unwrap(), network);
    let inputs = Array2::from_shape_fn((8, 16), |(row, col)| ((row * 5 + col) % 7) as f32 / 7.0);
    let labels: Vec<usize> = (0..8).map(|row| row % 3).collect();
    let mut trainer = Trainer::new(network, Loss::CrossEntropy, Optimizer::adam(0.01)).unwrap();
    trainer.epoch(inputs.view(), &labels, 4, 0, |_| {}).unwrap();
    trainer.save(&path).unwrap();
    let resumed = Trainer::load(&path).unwrap();
    assert_eq!(resumed.network(), trainer.network());
    assert_eq!(resumed.steps(), 2);
    // Written in shards (one tensor each), sampled tensor by tensor: no
    // bias tensor either, and the index loads the same network.
    let directory = scratch("no-bias-shards");
    fs::create_dir_all(&directory).unwrap();
    let written = NO_BIAS
        .write_sharded(3, &directory.join("model.safetensors"), 1, None, &mut |_| {})
        .unwrap();
    assert_eq!(written.len(), 3, "2 shards and the index: {written:?}");
    let index = directory.join("model.safetensors.index.json");
    assert_eq!(Network::load(&index).unwrap(), NO_BIAS.init(3));
}

#[test]
fn a_layer_normalization_is_stored_as_pytorch_s_layer_norm_and_resumes() {
    // γ as `weight` and β as `bias`, each of shape [N], as `nn.LayerNorm`'s
    // state_dict has them; a trainer's file with their moments resumes.
    use netinit::ndarray::Array2;
    use netinit::{Loss, Optimizer, Trainer};
    const NORMALIZED: NetworkSpec = network![
        dense(4 -> 6, relu),
        layer_norm(6, gamma = uniform(bound = 2.0), beta = normal(std = 0.1)),
        dense(6 -> 2, softmax),
    ];
    let path = scratch("layer-norm.safetensors");
    let network = NORMALIZED.init(9);
    network.save(&path).unwrap();
    let bytes = fs::read(&path).unwrap();
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    assert_eq!(file.tensor("layers.1.weight").unwrap().shape(), [6]);
    assert_eq!(file.tensor("layers.1.bias").unwrap().shape(), [6]);
    let loaded = Network::load(&path).unwrap();
    assert_eq!(loaded, network);
    // Random γ and β, drawn from the layer's weight and bias streams.
    let gamma = loaded.layers()[1].weight().to_owned();
    assert!(gamma.iter().all(|&gamma| gamma.abs() <= 2.0));
    assert!(gamma.iter().any(|&gamma| gamma != gamma.signum()));
    assert!(loaded.layers()[1].bias().iter().any(|&beta| beta != 0.0));
    let inputs = Array2::from_shape_fn((16, 4), |(row, col)| ((row * 3 + col) % 5) as f32 / 5.0);
    let labels: Vec<usize> = (0..16).map(|row| row % 2).collect();
    let mut trainer = Trainer::new(network, Loss::CrossEntropy, Optimizer::adam(0.01)).unwrap();
    trainer.epoch(inputs.view(), &labels, 8, 0, |_| {}).unwrap();
    assert_ne!(trainer.network().layers()[1].weight(), &gamma, "γ trains");
    trainer.save(&path).unwrap();
    assert_eq!(Trainer::load(&path).unwrap().network(), trainer.network());
    // Sharded, one tensor a shard: the same tensors, sampled one by one
    // (γ through the weights' path, β through the biases').
    let directory = scratch("layer-norm-shards");
    fs::create_dir_all(&directory).unwrap();
    NORMALIZED
        .write_sharded(9, &directory.join("model.safetensors"), 1, None, &mut |_| {})
        .unwrap();
    let index = directory.join("model.safetensors.index.json");
    assert_eq!(Network::load(&index).unwrap(), NORMALIZED.init(9));
}

#[test]
fn a_batch_normalization_keeps_its_running_statistics_as_pytorch_names_them() {
    // `weight`, `bias`, `running_mean` and `running_var`, each [C], as
    // `nn.BatchNorm2d`'s state_dict (PyTorch fills in the step counter
    // `num_batches_tracked` a state_dict lacks); a trained network's
    // statistics come back with it, in a trainer's file too.
    use netinit::ndarray::Array2;
    use netinit::{Loss, Optimizer, Trainer};
    const NORMALIZED: NetworkSpec = network![
        input(1, 4, 4),
        conv2d(1 -> 2, identity, kernel = 3, bias = none),
        batch_norm(2),
        relu,
        flatten,
        dense(8 -> 2, softmax),
    ];
    let inputs = Array2::from_shape_fn((6, 16), |(row, col)| ((row * 3 + col) % 5) as f32 / 5.0);
    let labels: Vec<usize> = (0..6).map(|row| row % 2).collect();
    let mut trainer = Trainer::new(NORMALIZED.init(2), Loss::CrossEntropy, Optimizer::adam(0.01)).unwrap();
    trainer.epoch(inputs.view(), &labels, 3, 0, |_| {}).unwrap();
    let running_mean = trainer.network().layers()[1].tensor("running_mean").unwrap();
    assert!(
        running_mean.values().iter().all(|&mean| mean != 0.0),
        "two steps moved them"
    );
    let path = scratch("batch-norm.safetensors");
    trainer.network().save(&path).unwrap();
    let bytes = fs::read(&path).unwrap();
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut names = file.names();
    names.sort();
    assert_eq!(
        names,
        [
            "layers.0.weight",
            "layers.1.bias",
            "layers.1.running_mean",
            "layers.1.running_var",
            "layers.1.weight",
            "layers.2.bias",
            "layers.2.weight"
        ]
    );
    assert_eq!(file.tensor("layers.1.running_var").unwrap().shape(), [2]);
    assert_eq!(&Network::load(&path).unwrap(), trainer.network());
    // A negative running variance (a file edited by hand) is refused.
    let edited = scratch("batch-norm-negative.safetensors");
    with_first_value(&bytes, "layers.1.running_var", -1.0, &edited);
    assert!(
        matches!(Network::load(&edited), Err(CheckpointError::Negative { name, .. }) if name == "layers.1.running_var")
    );
    // A trainer's file keeps the mode it trains in.
    let mut evaluating = trainer.network().clone();
    evaluating.set_mode(netinit::Mode::Eval);
    let evaluating = Trainer::new(evaluating, Loss::CrossEntropy, Optimizer::adam(0.01)).unwrap();
    evaluating.save(&path).unwrap();
    assert_eq!(
        Trainer::load(&path).unwrap().network().mode(),
        netinit::Mode::Eval
    );
    trainer.save(&path).unwrap();
    assert_eq!(Trainer::load(&path).unwrap().network(), trainer.network());
    assert_eq!(
        Trainer::load(&path).unwrap().network().mode(),
        netinit::Mode::Train
    );
    // So does a network's file (it loaded in training mode, whatever it
    // was saved in), read whole or into a spec.
    let network_path = scratch("batch-norm-eval.safetensors");
    let mut saved = trainer.network().clone();
    saved.set_mode(netinit::Mode::Eval);
    saved.save(&network_path).unwrap();
    assert_eq!(Network::load(&network_path).unwrap().mode(), netinit::Mode::Eval);
    assert_eq!(
        NORMALIZED.load_weights(&network_path).unwrap().mode(),
        netinit::Mode::Eval
    );
    saved.set_mode(netinit::Mode::Train);
    saved.save(&network_path).unwrap();
    assert_eq!(Network::load(&network_path).unwrap().mode(), netinit::Mode::Train);
    // Sharded at initialisation: the statistics start at 0 and 1.
    let directory = scratch("batch-norm-shards");
    fs::create_dir_all(&directory).unwrap();
    NORMALIZED
        .write_sharded(2, &directory.join("model.safetensors"), 1, None, &mut |_| {})
        .unwrap();
    let index = directory.join("model.safetensors.index.json");
    assert_eq!(Network::load(&index).unwrap(), NORMALIZED.init(2));
}

#[test]
fn shards_hold_the_same_tensors_as_the_whole_file_bit_for_bit() {
    // Four 64 × 64 layers (16 KiB weights) in shards of 40,000 bytes: two
    // layers' tensors per shard, so 2 shards; shard 2 written alone equals
    // shard 2 of the full run. Read back with the safetensors crate.
    let spec: NetworkSpec =
        "dense(64 -> 64, relu), dense(64 -> 64, relu), dense(64 -> 64, tanh, init = orthogonal), \
                             dense(64 -> 10, softmax)"
            .parse()
            .unwrap();
    let directory = scratch("shards");
    fs::create_dir_all(&directory).unwrap();
    let output = directory.join("model.safetensors");
    let written = spec.write_sharded(9, &output, 40_000, None, &mut |_| {}).unwrap();
    let names: Vec<String> = written
        .iter()
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "model-00001-of-00002.safetensors",
            "model-00002-of-00002.safetensors",
            "model.safetensors.index.json"
        ]
    );
    let whole = spec.init(9);
    let mut found = 0;
    for shard in &written[..2] {
        let bytes = fs::read(shard).unwrap();
        let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        for (name, view) in file.tensors() {
            let index: usize = name.split('.').nth(1).unwrap().parse().unwrap();
            let layer = &whole.layers()[index];
            let expected: Vec<f32> = if name.ends_with("weight") {
                layer.weight().iter().copied().collect()
            } else {
                layer.bias().iter().copied().collect()
            };
            let values: Vec<f32> = view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            assert_eq!(values, expected, "{name}");
            found += 1;
        }
    }
    assert_eq!(found, 8, "every tensor is in one shard");
    let index = fs::read_to_string(&written[2]).unwrap();
    assert!(
        index.contains(r#""layers.3.bias": "model-00002-of-00002.safetensors""#),
        "{index}"
    );
    assert!(index.contains(r#""total_size": "#), "{index}");

    let alone = directory.join("alone");
    fs::create_dir_all(&alone).unwrap();
    let second = spec
        .write_sharded(9, &alone.join("model.safetensors"), 40_000, Some(1), &mut |_| {})
        .unwrap();
    assert_eq!(fs::read(&second[0]).unwrap(), fs::read(&written[1]).unwrap());
}

#[test]
fn sampling_straight_into_a_file_writes_the_file_save_writes() {
    // A 2100 × 1100 weight is 9.2 MB, more than one 8 MiB block: it is
    // sampled and written in two, and the file is byte for byte the one
    // `init(seed).save` writes from memory.
    let spec: NetworkSpec = "dense(2100 -> 1100, relu), dense(1100 -> 4, softmax)"
        .parse()
        .unwrap();
    let streamed = scratch("streamed.safetensors");
    let mut progress = 0;
    spec.write_initial(3, &streamed, &mut |bytes| progress += bytes)
        .unwrap();
    assert_eq!(progress, (2100 * 1100 + 1100 + 1100 * 4 + 4) * 4);
    let saved = scratch("saved.safetensors");
    spec.init(3).save(&saved).unwrap();
    assert!(fs::read(&streamed).unwrap() == fs::read(&saved).unwrap());
    assert_eq!(Network::load(&streamed).unwrap(), spec.init(3));
}

#[test]
fn a_shard_past_the_last_is_an_error_and_writes_nothing() {
    let directory = scratch("no-such-shard");
    fs::create_dir_all(&directory).unwrap();
    let error = SMALL
        .write_sharded(
            0,
            &directory.join("model.safetensors"),
            1 << 20,
            Some(4),
            &mut |_| {},
        )
        .unwrap_err();
    assert!(
        matches!(error, CheckpointError::NoSuchShard { index: 4, shards: 1 }),
        "{error:?}"
    );
    assert_eq!(fs::read_dir(&directory).unwrap().count(), 0);
}

#[test]
fn a_sharded_set_loads_through_its_index_and_bad_indexes_are_typed_errors() {
    // Layers of 16,640, 16,640 and 2,600 bytes in shards of 18,000: one
    // layer per shard. The index loads
    // the network bit for bit, with its spec and seed; into a given spec too.
    let spec: NetworkSpec = "dense(64 -> 64, relu), dense(64 -> 64, tanh, init = orthogonal), \
                             dense(64 -> 10, softmax)"
        .parse()
        .unwrap();
    let directory = scratch("sharded-load");
    fs::create_dir_all(&directory).unwrap();
    let written = spec
        .write_sharded(5, &directory.join("model.safetensors"), 18_000, None, &mut |_| {})
        .unwrap();
    assert_eq!(written.len(), 4, "3 shards and the index: {written:?}");
    let index = directory.join("model.safetensors.index.json");
    assert_eq!(Network::load(&index).unwrap(), spec.init(5));
    let into_spec = spec.load_weights(&index).unwrap();
    assert_eq!(into_spec.layers(), spec.init(5).layers());
    assert_eq!(into_spec.seed(), None);

    // Another spec: a tensor the index does not list, or one it lists that
    // the spec has no use for; the first in name order is named.
    let wider: NetworkSpec = "dense(64 -> 64, relu), dense(64 -> 64, tanh), dense(64 -> 10, softmax), \
                              dense(10 -> 2, softmax)"
        .parse()
        .unwrap();
    let error = wider.load_weights(&index).unwrap_err();
    assert!(
        matches!(&error, CheckpointError::MissingTensor { path, name } if path == &index && name == "layers.3.bias"),
        "{error:?}"
    );
    let shorter: NetworkSpec = "dense(64 -> 64, relu), dense(64 -> 64, tanh)".parse().unwrap();
    let error = shorter.load_weights(&index).unwrap_err();
    assert!(
        matches!(&error, CheckpointError::ExtraTensor { path, name } if path == &index && name == "layers.2.bias"),
        "{error:?}"
    );

    // A damaged index, each a typed error naming the index.
    let text = fs::read_to_string(&index).unwrap();
    let bad_indexes = [
        ("not JSON", "{\"weight_map\": ".to_owned(), "not a JSON index"),
        (
            "no weight map",
            "{\"metadata\": {}}".to_owned(),
            "no `weight_map`",
        ),
        (
            "a shard outside the folder",
            text.replacen(
                "\"model-00001-of-00003.safetensors\"",
                "\"../model-00001-of-00003.safetensors\"",
                1,
            ),
            "is not a file name in the index's folder",
        ),
        (
            "an absolute file name",
            text.replacen("\"model-00001-of-00003.safetensors\"", "\"/etc/passwd\"", 1),
            "is not a file name in the index's folder",
        ),
        (
            "the parent folder",
            text.replacen("\"model-00001-of-00003.safetensors\"", "\"..\"", 1),
            "is not a file name in the index's folder",
        ),
        (
            "a seed written as a number",
            text.replacen("\"netinit.seed\": \"5\"", "\"netinit.seed\": 5", 1),
            "the metadata's `netinit.seed` is not a string",
        ),
        (
            "a file name that is not a string",
            text.replacen("\"model-00001-of-00003.safetensors\"", "7", 1),
            "is not a string",
        ),
    ];
    for (what, contents, words) in bad_indexes {
        let bad = directory.join("bad.safetensors.index.json");
        fs::write(&bad, contents).unwrap();
        let error = Network::load(&bad).unwrap_err();
        assert!(
            matches!(&error, CheckpointError::Index { path, .. } if path == &bad)
                && error.to_string().contains(words),
            "{what}: {error}"
        );
    }

    // A tensor the index puts in the wrong shard is missing from that file;
    // a shard that is gone is an I/O error naming it.
    let moved = text.replacen(
        "\"layers.0.bias\": \"model-00001-of-00003.safetensors\"",
        "\"layers.0.bias\": \"model-00002-of-00003.safetensors\"",
        1,
    );
    assert_ne!(moved, text, "the index lists layers.0.bias in shard 1");
    let bad = directory.join("moved.safetensors.index.json");
    fs::write(&bad, moved).unwrap();
    let error = Network::load(&bad).unwrap_err();
    assert!(
        matches!(&error, CheckpointError::MissingTensor { path, name }
            if path.ends_with("model-00002-of-00003.safetensors") && name == "layers.0.bias"),
        "{error:?}"
    );
    fs::remove_file(&written[2]).unwrap();
    let error = Network::load(&index).unwrap_err();
    assert!(
        matches!(&error, CheckpointError::Io { path, .. } if path == &written[2]),
        "{error:?}"
    );

    // A shard written apart from another seed does not join the set: shard
    // 2 from seed 6 beside shards of seed 5 is an error naming it.
    let apart = directory.join("apart");
    fs::create_dir_all(&apart).unwrap();
    let other_seed = spec
        .write_sharded(6, &apart.join("model.safetensors"), 18_000, Some(1), &mut |_| {})
        .unwrap();
    fs::copy(&other_seed[0], &written[1]).unwrap();
    let error = Network::load(&index).unwrap_err();
    assert!(
        matches!(&error, CheckpointError::ShardMismatch { path, key: "netinit.seed", index, found }
            if path == &written[1] && index.as_deref() == Some("5") && found.as_deref() == Some("6")),
        "{error:?}"
    );
    assert!(error.to_string().contains("do not make one network"), "{error}");

    // The same shard with its seed stripped, or with no metadata at all,
    // does not pass for lack of a value to compare: its draw is unknown.
    let stripped = |keys: &[&str]| {
        let bytes = fs::read(&other_seed[0]).unwrap();
        let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
        let mut metadata = header.metadata().clone().unwrap_or_default();
        keys.iter().for_each(|key| {
            metadata.remove(*key);
        });
        let tensors = safetensors::SafeTensors::deserialize(&bytes).unwrap().tensors();
        let metadata = (!metadata.is_empty()).then_some(metadata);
        fs::write(&written[1], safetensors::serialize(tensors, metadata).unwrap()).unwrap();
        Network::load(&index).unwrap_err()
    };
    let error = stripped(&["netinit.seed"]);
    assert!(
        matches!(&error, CheckpointError::ShardMismatch { key: "netinit.seed", index, found: None, .. }
            if index.as_deref() == Some("5")),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("seed` is nothing, but its index says `5`"),
        "{error}"
    );
    let error = stripped(&["netinit.spec", "netinit.seed", "netinit.sampler"]);
    assert!(
        matches!(&error, CheckpointError::ShardMismatch { found: None, .. }),
        "{error:?}"
    );
}

#[test]
fn an_epoch_count_at_its_top_does_not_overflow() {
    // A trainer file whose epoch count is u64::MAX (written by hand into
    // its header) loads, and one more epoch leaves the count at the top
    // instead of panicking or wrapping to 0.
    use netinit::ndarray::Array2;
    use netinit::{Loss, Optimizer, Trainer};
    let path = scratch("epochs-at-top.safetensors");
    Trainer::new(SMALL.init(1), Loss::CrossEntropy, Optimizer::sgd(0.1))
        .unwrap()
        .save(&path)
        .unwrap();
    let bytes = fs::read(&path).unwrap();
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&bytes[8..8 + header_len]).unwrap();
    let edited = header.replace(
        r#""netinit.epochs":"0""#,
        &format!(r#""netinit.epochs":"{}""#, u64::MAX),
    );
    assert_ne!(edited, header, "{header}");
    fs::write(&path, safetensors_bytes(&edited, &bytes[8 + header_len..])).unwrap();
    let mut trainer = Trainer::load(&path).unwrap();
    assert_eq!(trainer.epochs(), u64::MAX);
    let inputs = Array2::from_elem((4, 4), 0.5_f32);
    trainer.epoch(inputs.view(), &[0, 1, 0, 1], 2, 0, |_| {}).unwrap();
    assert_eq!(trainer.epochs(), u64::MAX);
}

#[test]
fn a_residual_network_round_trips_and_wrapping_layers_in_a_block_moves_none_but_the_scaled_one() {
    // The blocks' markers have no tensors: the file names the layers with
    // parameters in order, the spec's text brings the blocks back, and a
    // trainer's file resumes.
    use netinit::ndarray::Array2;
    use netinit::{Loss, Optimizer, Trainer};
    const PLAIN: NetworkSpec = network![
        dense(4 -> 8, relu),
        layer_norm(8),
        dense(8 -> 8, gelu),
        dense(8 -> 8, identity),
        dense(8 -> 2, softmax),
    ];
    const BLOCKS: NetworkSpec = network![
        dense(4 -> 8, relu),
        residual(layer_norm(8), dense(8 -> 8, gelu), dense(8 -> 8, identity), shortcut = dense(8 -> 8, identity)),
        dense(8 -> 2, softmax),
    ];
    let path = scratch("residual.safetensors");
    let network = BLOCKS.init(3);
    network.save(&path).unwrap();
    let bytes = fs::read(&path).unwrap();
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    // dense, layer_norm, dense, dense, the shortcut's dense, dense: 6 weights and 6 biases.
    assert_eq!(file.names().len(), 12, "{:?}", file.names());
    assert_eq!(file.tensor("layers.4.weight").unwrap().shape(), [8, 8]);
    let loaded = Network::load(&path).unwrap();
    assert_eq!(loaded, network);
    assert_eq!(loaded.spec(), &BLOCKS);
    let inputs = Array2::from_shape_fn((16, 4), |(row, col)| ((row * 3 + col) % 5) as f32 / 5.0);
    let labels: Vec<usize> = (0..16).map(|row| row % 2).collect();
    let mut trainer = Trainer::new(network, Loss::CrossEntropy, Optimizer::adam(0.01)).unwrap();
    trainer.epoch(inputs.view(), &labels, 8, 0, |_| {}).unwrap();
    trainer.save(&path).unwrap();
    assert_eq!(Trainer::load(&path).unwrap().network(), trainer.network());
    // Each layer keeps its stream (its path counts the layers with
    // parameters before it): wrapped in a block, the layers draw what they
    // drew without it, the branch's last its draw times its factor.
    let (plain, wrapped) = (PLAIN.init(3), BLOCKS.init(3));
    for layer in [0, 1, 2] {
        assert_eq!(plain.layers()[layer], wrapped.layers()[layer], "layer {layer}");
    }
    let factor = BLOCKS.layers()[4].branch_scale();
    assert_ne!(factor, 1.0);
    for (&scaled, &drawn) in wrapped.layers()[3]
        .weight()
        .iter()
        .zip(plain.layers()[3].weight())
    {
        assert!(
            (f64::from(scaled) - factor * f64::from(drawn)).abs() <= 1e-6 * f64::from(drawn).abs(),
            "{scaled} {drawn}"
        );
    }
}

#[cfg(unix)]
#[test]
fn shards_that_are_links_out_of_the_folder_or_fifos_are_refused() {
    use std::os::unix::fs::symlink;
    let spec: NetworkSpec = "dense(64 -> 64, relu), dense(64 -> 10, softmax)".parse().unwrap();
    let directory = scratch("sharded-links");
    let _ = fs::remove_dir_all(&directory);
    fs::create_dir_all(&directory).unwrap();
    let written = spec
        .write_sharded(5, &directory.join("model.safetensors"), 18_000, None, &mut |_| {})
        .unwrap();
    let index = directory.join("model.safetensors.index.json");
    let first = written[0].clone();

    // A link to a file in the folder is followed.
    let kept = directory.join("kept.bin");
    fs::rename(&first, &kept).unwrap();
    symlink("kept.bin", &first).unwrap();
    assert_eq!(Network::load(&index).unwrap(), spec.init(5));

    // A link out of the folder is an error naming the shard and its target.
    let outside = scratch("outside-shard.bin");
    fs::copy(&kept, &outside).unwrap();
    fs::remove_file(&first).unwrap();
    symlink(&outside, &first).unwrap();
    let error = Network::load(&index).unwrap_err();
    assert!(
        matches!(&error, CheckpointError::Index { path, reason } if path == &index
            && reason.contains("is a symbolic link to") && reason.contains("outside the index's folder")),
        "{error:?}"
    );

    // A FIFO in a shard's place is refused at once instead of blocking the
    // load until something writes to it.
    fs::remove_file(&first).unwrap();
    let made = std::process::Command::new("mkfifo").arg(&first).status();
    if made.is_ok_and(|status| status.success()) {
        let error = Network::load(&index).unwrap_err();
        assert!(
            matches!(&error, CheckpointError::Io { path, .. } if path == &first),
            "{error:?}"
        );
        assert!(
            error.to_string().contains("not a regular file: it is a FIFO"),
            "{error}"
        );
    }
    fs::remove_dir_all(&directory).unwrap();
    fs::remove_file(&outside).unwrap();
}

#[test]
fn a_trainer_file_with_a_negative_second_moment_is_refused() {
    // Adam divides by the square root of its second moments: a file with
    // a negative one loaded, and every later step failed.
    use netinit::ndarray::Array2;
    use netinit::{Loss, Optimizer, Trainer};
    let path = scratch("negative-moment.safetensors");
    let inputs = Array2::from_shape_fn((8, 4), |(row, col)| ((row * 3 + col) % 5) as f32 / 5.0);
    let labels: Vec<usize> = (0..8).map(|row| row % 2).collect();
    let mut trainer = Trainer::new(SMALL.init(1), Loss::CrossEntropy, Optimizer::adam(0.01)).unwrap();
    trainer.epoch(inputs.view(), &labels, 4, 0, |_| {}).unwrap();
    trainer.save(&path).unwrap();
    let name = "optimizer.layers.1.weight.second";
    with_first_value(&fs::read(&path).unwrap(), name, -1.0, &path);
    let error = Trainer::load(&path).map(|_| ()).unwrap_err();
    assert!(
        matches!(&error, CheckpointError::Negative { name: found, .. } if found == name),
        "{error:?}"
    );
}

/// The safetensors file in `bytes`, its metadata kept and tensor `name`'s
/// first value set to `value`, written to `path`: a file edited by hand.
fn with_first_value(bytes: &[u8], name: &str, value: f32, path: &std::path::Path) {
    let (_, header) = safetensors::SafeTensors::read_metadata(bytes).unwrap();
    let tensors: Vec<(String, Vec<u8>, Vec<usize>)> = safetensors::SafeTensors::deserialize(bytes)
        .unwrap()
        .tensors()
        .into_iter()
        .map(|(tensor, view)| {
            let mut data = view.data().to_vec();
            if tensor == name {
                data[..4].copy_from_slice(&value.to_le_bytes());
            }
            (tensor, data, view.shape().to_vec())
        })
        .collect();
    assert!(
        tensors.iter().any(|(tensor, ..)| tensor == name),
        "no tensor {name}"
    );
    let views: Vec<(String, safetensors::tensor::TensorView)> = tensors
        .iter()
        .map(|(tensor, data, shape)| {
            let view =
                safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), data).unwrap();
            (tensor.clone(), view)
        })
        .collect();
    fs::write(
        path,
        safetensors::serialize(views, header.metadata().clone()).unwrap(),
    )
    .unwrap();
}

/// The files in `directory`, sorted.
fn files_in(directory: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(directory)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_sharded_write_switches_the_index_last_and_keeps_the_old_set_until_then() {
    let spec: NetworkSpec = "dense(64 -> 64, relu), dense(64 -> 64, tanh), dense(64 -> 10, softmax)"
        .parse()
        .unwrap();
    let directory = scratch("sharded-switch");
    let _ = fs::remove_dir_all(&directory);
    fs::create_dir_all(&directory).unwrap();
    let output = directory.join("model.safetensors");
    let index = directory.join("model.safetensors.index.json");
    spec.write_sharded(5, &output, 18_000, None, &mut |_| {}).unwrap();
    assert_eq!(files_in(&directory).len(), 4);

    // A write that fails before its index is in place (a folder where its
    // fourth shard goes) leaves the old set loading: the old index used to
    // be removed first.
    let blocked = directory.join("model-00004-of-00006.safetensors");
    fs::create_dir(&blocked).unwrap();
    assert!(spec.write_sharded(5, &output, 1, None, &mut |_| {}).is_err());
    assert_eq!(Network::load(&index).unwrap(), spec.init(5));
    fs::remove_dir(&blocked).unwrap();

    // Shards of one tensor each: the new set loads, and the old set's files
    // the new one does not use are gone, once its index is in place.
    spec.write_sharded(5, &output, 1, None, &mut |_| {}).unwrap();
    assert_eq!(Network::load(&index).unwrap(), spec.init(5));
    let names = files_in(&directory);
    assert_eq!(names.len(), 7, "{names:?}");
    assert!(
        names
            .iter()
            .all(|name| name.contains("-of-00006") || name.ends_with(".index.json")),
        "{names:?}"
    );

    // Another seed under the same names: staged, then put in place; the
    // set loads the new draw, and no temporary is left.
    spec.write_sharded(6, &output, 1, None, &mut |_| {}).unwrap();
    assert_eq!(Network::load(&index).unwrap(), spec.init(6));
    assert_eq!(files_in(&directory).len(), 7);
    fs::remove_dir_all(&directory).unwrap();
}

#[test]
fn a_language_model_trained_with_adamw_a_schedule_and_clipping_resumes_bit_for_bit() {
    // AdamW (decay on the matrices and tables), warm-up and cosine decay,
    // clipping: 6 steps straight, or 3, save, load, 3 more.
    use netinit::ndarray::Array2;
    use netinit::{Loss, Optimizer, Schedule, Targets, Trainer};
    const LM: NetworkSpec = network![
        input(tokens = 8),
        embedding(11 -> 16),
        position_embedding(8 -> 16),
        residual(layer_norm(16), attention(16, heads = 2, mask = causal)),
        residual(rms_norm(16), dense(16 -> 32, gelu), dense(32 -> 16, identity)),
        layer_norm(16),
        dense(16 -> 11, softmax),
    ];
    let ids = Array2::from_shape_fn((4, 8), |(row, token)| ((row * 8 + token) * 3 % 11) as f32);
    let next: Vec<usize> = (0..32).map(|at| (at * 3 + 3) % 11).collect();
    let trainer = || {
        Trainer::new(LM.init(2), Loss::CrossEntropy, Optimizer::adamw(3e-3, 0.1))
            .unwrap()
            .with_schedule(Schedule::warmup_cosine(2, 6))
            .unwrap()
            .with_clipping(0.5)
            .unwrap()
    };
    let mut straight = trainer();
    for _ in 0..6 {
        straight.step(ids.view(), Targets::Classes(&next)).unwrap();
    }
    let mut first = trainer();
    for _ in 0..3 {
        first.step(ids.view(), Targets::Classes(&next)).unwrap();
    }
    let path = scratch("language_model.safetensors");
    first.save(&path).unwrap();
    let mut resumed = Trainer::load(&path).unwrap();
    assert_eq!(resumed.optimizer(), Optimizer::adamw(3e-3, 0.1));
    assert_eq!(resumed.schedule(), Schedule::warmup_cosine(2, 6));
    assert_eq!(resumed.clipping(), Some(0.5));
    for _ in 0..3 {
        resumed.step(ids.view(), Targets::Classes(&next)).unwrap();
    }
    assert_eq!(resumed.network(), straight.network());
    // The checkpoint names the new tensors as PyTorch's state_dict would:
    // the layer's path, then the tensor's name (`q.weight`, …).
    let bytes = fs::read(&path).unwrap();
    let length = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = String::from_utf8_lossy(&bytes[8..8 + length]).into_owned();
    let paths: Vec<LayerPath> = LM.layer_paths().into_iter().flatten().collect();
    for (layer, tensor) in [
        (0, "weight"),
        (1, "weight"),
        (3, "q.weight"),
        (3, "o.bias"),
        (4, "weight"),
    ] {
        let name = tensor_name(&paths[layer], tensor);
        assert!(header.contains(&format!("\"{name}\"")), "{name} in {header}");
    }
}
