//! Files written before stay readable, and the same spec samples and trains
//! to the same bits: `tests/fixtures/every_kind.net` declares every layer
//! kind, and the three `every_kind*.safetensors` files beside it were
//! written by netinit 0.2.0 before the layer kinds were reorganised (its
//! weights from seed 7 in both sampler formats, and a trainer's state after
//! two Adam steps). A change that fails here changes users' weights or
//! their files: it must be deliberate, and a new format.

use std::path::{Path, PathBuf};

use netinit::ndarray::Array2;
use netinit::{Loss, Network, NetworkSpec, Optimizer, Origin, SamplerFormat, Targets, Trainer};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn every_kind() -> NetworkSpec {
    std::fs::read_to_string(fixture("every_kind.net"))
        .unwrap()
        .parse()
        .unwrap()
}

/// The batch and labels the trainer's fixture was trained on.
fn batch() -> (Array2<f32>, [usize; 6]) {
    let inputs = Array2::from_shape_fn((6, 128), |(r, c)| ((r * 131 + c * 17) % 23) as f32 / 11.0 - 1.0);
    (inputs, [0, 1, 2, 3, 4, 0])
}

#[test]
fn every_kind_samples_the_bits_it_did_in_both_formats() {
    let spec = every_kind();
    for (file, format) in [
        ("every_kind.safetensors", SamplerFormat::Counter),
        ("every_kind-0.1.safetensors", SamplerFormat::ChaChaRows),
    ] {
        let saved = Network::load(fixture(file)).unwrap();
        assert_eq!(saved.spec(), &spec, "{file}");
        assert_eq!(saved, spec.init(Origin::new(7, format)), "{file}");
        assert_eq!(saved.origin(), Some(Origin::new(7, format)), "{file}");
    }
}

#[test]
fn a_sharded_set_samples_the_bits_of_the_whole_file() {
    let directory = std::env::temp_dir().join(format!("netinit-compatibility-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let output = directory.join("model.safetensors");
    let spec = every_kind();
    let written = spec
        .write_sharded(Origin::from(7), &output, 1024, None, &mut |_| {})
        .unwrap();
    assert!(written.len() > 3, "{written:?}");
    let index = directory.join("model.safetensors.index.json");
    assert_eq!(
        Network::load(&index).unwrap(),
        Network::load(fixture("every_kind.safetensors")).unwrap()
    );
    std::fs::remove_dir_all(&directory).unwrap();
}

#[test]
fn a_trainer_saved_before_resumes_where_a_fresh_one_is() {
    let (inputs, labels) = batch();
    let mut fresh = Trainer::new(every_kind().init(7), Loss::CrossEntropy, Optimizer::adam(0.01)).unwrap();
    for _ in 0..2 {
        fresh.step(inputs.view(), Targets::Classes(&labels)).unwrap();
    }
    let mut resumed = Trainer::load(fixture("every_kind-trainer.safetensors")).unwrap();
    assert_eq!(resumed.steps(), 2);
    assert_eq!(resumed.network(), fresh.network());
    // The optimizer's moments came back too: the next step is the same.
    let (next, again) = (
        resumed.step(inputs.view(), Targets::Classes(&labels)).unwrap(),
        fresh.step(inputs.view(), Targets::Classes(&labels)).unwrap(),
    );
    assert_eq!(next.to_bits(), again.to_bits());
    assert_eq!(resumed.network(), fresh.network());
}
