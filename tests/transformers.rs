//! Transformers' derived inits and their analysis against sampled networks.
//!
//! Every check is a mean over fixed seeds, so each run is the same; the
//! tolerances are stated where they are used, from the sample sizes.

use netinit::ndarray::Array2;
use netinit::signal::{propagate_from, InputStatistics};
use netinit::{LayerKind, NetworkSpec, Shape};

/// A batch of `rows` windows of `tokens` ids, each id uniform over `vocabulary`.
fn ids(rows: usize, tokens: usize, vocabulary: usize) -> Array2<f32> {
    let mut state = 0x9e37_79b9_u64;
    Array2::from_shape_fn((rows, tokens), |_| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) % vocabulary as u64) as f32
    })
}

/// The mean over `seeds` sampled networks of each layer's measured second
/// moment and token similarity, at the layers that give a sequence.
fn measured(spec: &NetworkSpec, batch: &Array2<f32>, seeds: u64) -> Vec<Option<(f64, f64)>> {
    let shapes = spec.output_shapes();
    let mut sums = vec![(0.0, 0.0); shapes.len()];
    for seed in 0..seeds {
        let outputs = spec.init(seed).forward_all(batch.view()).unwrap();
        for ((sum, output), shape) in sums.iter_mut().zip(&outputs).zip(&shapes) {
            if let Shape::Sequence { .. } = shape {
                let statistics = InputStatistics::measure(output.as_slice().unwrap(), *shape);
                sum.0 += statistics.second_moments[0] / seeds as f64;
                sum.1 += statistics.token_similarity / seeds as f64;
            }
        }
    }
    shapes
        .iter()
        .zip(sums)
        .map(|(shape, sum)| matches!(shape, Shape::Sequence { .. }).then_some(sum))
        .collect()
}

#[test]
fn the_sequence_entering_the_first_block_has_unit_second_moment() {
    // The token table and the position table each get 1/√2 of N(0, 1):
    // their sum has unit second moment. 4 seeds × 32 rows × 16 tokens × 64
    // features = 131,072 values of unit variance: the mean square has
    // standard error √(2/131072) ≈ 0.004; 0.03 allows for the table's own
    // finite rows (256 rows drawn once per seed).
    let spec: NetworkSpec = "input(tokens = 16), embedding(256 -> 64), position_embedding(16 -> 64), \
                             residual(layer_norm(64), attention(64, heads = 4)), dense(64 -> 256, softmax)"
        .parse()
        .unwrap();
    let layers = spec.layers();
    let table = layers[1].parameters()[0];
    assert!((table.std() - 0.5_f64.sqrt()).abs() < 1e-12, "{}", table.std());
    let positions = layers[2].parameters()[0];
    assert!((positions.std() - 0.5_f64.sqrt()).abs() < 1e-12);
    // q's std is the identity's derived init for a 64 × 64 matrix.
    let q = layers[5].parameter("q.weight").unwrap();
    assert!((q.std() - 1.0 / 8.0).abs() < 1e-12, "{}", q.std());
    let batch = ids(32, 16, 256);
    let second = measured(&spec, &batch, 4)[2].unwrap().0;
    assert!((second - 1.0).abs() < 0.03, "{second}");
}

#[test]
fn the_collapse_rank_collapse_predicts_is_measured() {
    // Attention layers without residual connections: the analysis predicts
    // two tokens' similarity past 0.99 after the second, and the lint says
    // so; sampled networks agree (the mean over 4 of them, 32 rows of 16
    // tokens each, 120 pairs a row).
    let mut text = String::from("input(tokens = 16), embedding(256 -> 64), ");
    for _ in 0..6 {
        text.push_str("attention(64, heads = 4), ");
    }
    text.push_str("dense(64 -> 256, softmax)");
    let spec: NetworkSpec = text.parse().unwrap();
    let findings = spec.lint();
    let collapse = findings
        .iter()
        .find(|finding| finding.lint == netinit::Lint::RankCollapse)
        .expect("rank_collapse is reported");
    assert_eq!(collapse.layer, 3, "{collapse}");
    let measured = measured(&spec, &ids(32, 16, 256), 4);
    let at = measured[collapse.layer].unwrap().1;
    assert!(at > 0.99, "measured similarity {at}");
    // The layer before it is not collapsed yet, neither predicted nor measured.
    assert!(measured[collapse.layer - 1].unwrap().1 < 0.9);
    // Pre-norm residual blocks of the same depth keep the tokens apart.
    let mut text = String::from("input(tokens = 16), embedding(256 -> 64), ");
    for _ in 0..6 {
        text.push_str("residual(layer_norm(64), attention(64, heads = 4)), ");
    }
    text.push_str("layer_norm(64), dense(64 -> 256, softmax)");
    let pre_norm: NetworkSpec = text.parse().unwrap();
    assert!(pre_norm
        .lint()
        .iter()
        .all(|finding| finding.lint != netinit::Lint::RankCollapse));
}

#[test]
fn the_analysis_follows_eight_pre_norm_blocks() {
    // At every block's end, the predicted second moment within 1.2× of the
    // mean over 4 sampled networks, and the predicted similarity within
    // 0.03: measured over 4 × 24 rows of 32 tokens, the similarity's
    // standard error across networks is about 0.01 here.
    let mut text = String::from("input(tokens = 32), embedding(256 -> 64), position_embedding(32 -> 64), ");
    for _ in 0..4 {
        text.push_str(
            "residual(layer_norm(64), attention(64, heads = 4, mask = causal)), \
             residual(layer_norm(64), dense(64 -> 256, gelu), dense(256 -> 64, identity)), ",
        );
    }
    text.push_str("layer_norm(64), dense(64 -> 256, softmax)");
    let spec: NetworkSpec = text.parse().unwrap();
    let batch = ids(24, 32, 256);
    let statistics = InputStatistics::measure(batch.as_slice().unwrap(), spec.input_shape());
    let predicted = propagate_from(spec.layers(), &statistics).unwrap();
    let measured = measured(&spec, &batch, 4);
    let mut ends = 0;
    for (index, layer) in spec.layers().iter().enumerate() {
        if !matches!(layer.kind(), LayerKind::ResidualEnd) {
            continue;
        }
        ends += 1;
        let (second, similarity) = measured[index].unwrap();
        let ratio = predicted[index].activation_second_moment / second;
        assert!(
            (1.0 / 1.2..1.2).contains(&ratio),
            "block at {index}: second moment ×{ratio}"
        );
        let gap = (predicted[index].token_similarity - similarity).abs();
        assert!(
            gap < 0.03,
            "block at {index}: similarity {} vs {similarity}",
            predicted[index].token_similarity
        );
    }
    assert_eq!(ends, 8);
}
