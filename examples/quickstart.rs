//! The design card's network: declared with `network!`, checked at compile
//! time, sampled at run time, and run on a batch.
//!
//! cargo run --release --example quickstart

use netinit::ndarray::Array2;
use netinit::network;

const MNIST: netinit::NetworkSpec = network![
    dense(784 -> 256, relu),
    dense(256 -> 10, softmax),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("{}\n", MNIST.summary());

    let seed = 42;
    let network = MNIST.init(seed);
    println!("sampled with seed {seed}: target and measured scale of each layer's weights");
    for (index, (spec, layer)) in MNIST.layers().iter().zip(network.layers()).enumerate() {
        let weights = layer.weight().mapv(f64::from);
        let mean = weights.mean().unwrap_or(0.0);
        let std = weights.std(0.0);
        let scheme = spec.weight().to_string();
        println!(
            "  layer {index}  {:>3} x {:<3}  {scheme:<14} target std {:.6}  measured std {:.6}  mean {:+.6}",
            weights.nrows(),
            weights.ncols(),
            spec.weight_std(),
            std,
            mean,
        );
    }

    // A batch of 4 inputs: pixel-like values in [0, 1).
    let batch = Array2::from_shape_fn((4, 784), |(row, col)| {
        ((row * 31 + col * 17) % 256) as f32 / 256.0
    });
    let probabilities = network.forward(batch.view())?;
    println!(
        "\nforward pass on a batch of {}: softmax output, one row per input",
        batch.nrows()
    );
    for row in probabilities.rows() {
        let cells: Vec<String> = row.iter().map(|p| format!("{p:.3}")).collect();
        println!("  [{}]  sum = {:.6}", cells.join(" "), row.sum());
    }

    let lints = MNIST.lint();
    println!("\nrun-time lint of the same spec: {} finding(s)", lints.len());

    // The spec's Display is its DSL text; read at run time it is the same spec.
    let text = MNIST.to_string();
    let read: netinit::NetworkSpec = text.parse()?;
    println!(
        "\nas DSL text, read back at run time (equal: {}):\n{text}",
        read == MNIST
    );
    Ok(())
}
