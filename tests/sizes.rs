//! Nothing the checks accept panics or aborts: sizes are bounded in bytes,
//! memory the system refuses is an error, huge inputs cost their length.

use netinit::{Activation, Init, LayerSpec, NetworkSpec, SizeError, SpecError};

#[test]
fn a_network_past_what_can_be_addressed_is_refused_by_the_checks() {
    // 2^30 × 2^30 weights: 2^60 values of 8 bytes while sampling, past isize::MAX bytes.
    let layers = vec![LayerSpec::dense(1 << 30, 1 << 30, Activation::Relu)];
    assert!(matches!(
        NetworkSpec::new(layers),
        Err(SpecError::Size(SizeError::TooManyParameters { layer: 0, .. }))
    ));
    let error = "dense(1073741824 -> 1073741824, relu)"
        .parse::<NetworkSpec>()
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("what a sampler's buffer of 8-byte values can address"),
        "{error}"
    );
}

#[test]
fn memory_the_system_refuses_is_an_error_not_an_abort() {
    // 2^28 × 2^28 weights pass the checks (2^56 values), but no machine
    // has 2^58 bytes to give.
    let spec = NetworkSpec::new(vec![LayerSpec::dense(1 << 28, 1 << 28, Activation::Relu)]).unwrap();
    match spec.try_init(0) {
        Err(netinit::Error::Allocation { what, bytes }) => {
            assert_eq!((what, bytes), ("a layer's tensor", 1 << 58));
        }
        other => panic!("{:?}", other.map(|_| "a network")),
    }
    // One row of a 2^20-wide orthogonal layer needs the whole matrix.
    let orthogonal = NetworkSpec::new(vec![
        LayerSpec::dense(1 << 20, 1 << 20, Activation::Relu).with_weight(Init::Orthogonal { gain: None })
    ])
    .unwrap();
    assert!(matches!(
        orthogonal.sample_rows(0, 0, "weight", 0..1),
        Err(netinit::Error::Allocation {
            what: "an orthogonal matrix's Gaussian draw",
            ..
        })
    ));
}

#[test]
fn fans_that_overflow_are_none_not_a_panic() {
    assert_eq!(netinit::Fans::from_shape(&[usize::MAX, 1, 2]), None);
    assert_eq!(netinit::Fans::from_shape(&[2, usize::MAX, 3]), None);
}

#[test]
fn a_huge_name_costs_its_length_and_is_quoted_short() {
    // Ten million characters: the did-you-mean skips every candidate (none is
    // close in length) and the message quotes the first 60.
    let text = "x".repeat(10_000_000);
    let error = text.parse::<Init>().unwrap_err();
    let message = &error.diagnostics[0].message;
    assert!(message.starts_with("unknown init `xxxx"), "{}", &message[..40]);
    assert!(message.len() < 200, "{} bytes", message.len());
}
