// The convolutional network, and each spatial layer's spellings.
const CNN: netinit::NetworkSpec = netinit::network![
    input(1, 28, 28),
    conv2d(1 -> 32, relu, kernel = 3, padding = 1),
    max_pool2d(2),
    conv2d(32 -> 64, relu, kernel = 3, padding = 1),
    max_pool2d(2),
    flatten,
    dense(3136 -> 128, relu),
    dense(128 -> 10, softmax),
];

const SPELLINGS: netinit::NetworkSpec = netinit::network![
    input(3, 32, 30),
    conv2d(3 -> 16, gelu, kernel = (3, 5), stride = (1, 2), padding = (1, 2), init = he_uniform, bias = normal(std = 0.01)),
    avg_pool2d(2, 3, stride = 1),
    conv2d(16 -> 16, tanh, kernel = 3, padding = same,),
    max_pool2d(3, stride = 2),
    global_avg_pool2d,
    dense(16 -> 10, softmax),
];

fn main() {
    assert_eq!(CNN.parameter_count(), 421_642);
    assert_eq!(SPELLINGS.output_shapes()[1], netinit::Shape::image(16, 32, 15));
    assert_eq!(SPELLINGS.output_shapes()[2], netinit::Shape::image(16, 31, 13));
    assert_eq!(SPELLINGS.output_shapes()[4], netinit::Shape::image(16, 15, 6));
}
