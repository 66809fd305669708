// Odd and broken invocations: every one gets a spanned error, none makes
// the macro panic.
use netinit::{network, NetworkSpec};

const A: NetworkSpec = network![dense];
const B: NetworkSpec = network![dense(,)];
const C: NetworkSpec = network![dense(1 -> 2, relu) dense(2 -> 3, relu)];
const D: NetworkSpec = network![dense(18446744073709551616 -> 2, relu)];
const E: NetworkSpec = network![dense(-1 -> 2, relu)];
const F: NetworkSpec = network![dense(1 -> 2, leaky_relu(0.1, 0.2))];
const G: NetworkSpec = network![dense(1 -> 2, relu, init = constant(std = 1))];
const H: NetworkSpec = network![dense(1 -> 2, relu, init = uniform(std = 1))];
const I: NetworkSpec = network![dense(1 -> 2, relu, gain = relu)];
const J: NetworkSpec = network![#[allow] dense(1 -> 2, relu)];
const K: NetworkSpec = network![#[cfg(test)] dense(1 -> 2, relu)];
const L: NetworkSpec = network![dense(1 -> 2, relu), ,];
const M: NetworkSpec = network![dense(1 -> 2, relu, init)];
const N: NetworkSpec = network![dense(1 -> 2, relu, dist = normal(1))];
// Deeper than the reader's bound: an error, not a stack overflow.
const O: NetworkSpec = network![dense(2 -> 2, relu), residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(residual(dense(2 -> 2, relu))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))];
// Longer than any number needs: an error, not seconds of reading digits.
const P: NetworkSpec = network![dense(2 -> 2, relu, gain = 1.00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000)];

network! { pub struct }
network! { pub struct Missing }
network! { pub struct Twice { dense(1 -> 2, relu) } extra }

fn main() {
    let _ = (A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P);
}
