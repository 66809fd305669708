// Windows that do not fit, strides and kernels of zero, and `same` padding
// where no padding keeps the size.
const TOO_LARGE: netinit::NetworkSpec = netinit::network![
    input(1, 4, 4),
    conv2d(1 -> 8, relu, kernel = 5),
];

const PADDED: netinit::NetworkSpec = netinit::network![
    input(1, 4, 6),
    conv2d(1 -> 8, relu, kernel = (3, 9), padding = 1),
];

const POOLED_AWAY: netinit::NetworkSpec = netinit::network![
    input(1, 28, 28),
    max_pool2d(2),
    max_pool2d(2),
    max_pool2d(2),
    max_pool2d(2),
    max_pool2d(2),
];

const ZEROS: netinit::NetworkSpec = netinit::network![
    input(1, 28, 28),
    conv2d(1 -> 8, relu, kernel = 0),
    conv2d(8 -> 8, relu, kernel = 3, stride = 0),
    avg_pool2d(2, stride = 0),
];

const SAME: netinit::NetworkSpec = netinit::network![
    input(1, 28, 28),
    conv2d(1 -> 8, relu, kernel = 3, stride = 2, padding = same),
    conv2d(8 -> 8, relu, kernel = 4, padding = same),
];

fn main() {
    let _ = (TOO_LARGE, PADDED, POOLED_AWAY, ZEROS, SAME);
}
