// A convolution's input channels must be the channels the layer before gives.
const NET: netinit::NetworkSpec = netinit::network![
    input(1, 28, 28),
    conv2d(1 -> 32, relu, kernel = 3, padding = 1),
    max_pool2d(2),
    conv2d(16 -> 64, relu, kernel = 3, padding = 1),
];

// The first convolution's input channels are the input's.
const FIRST: netinit::NetworkSpec = netinit::network![
    input(3, 32, 32),
    conv2d(1 -> 8, relu, kernel = 3),
];

fn main() {
    let _ = (NET, FIRST);
}
