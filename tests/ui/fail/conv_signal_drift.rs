// The signal analysis follows convolutions, padding and pooling: unit
// normal kernels over 288 inputs multiply the second moment by about 144
// a layer.
const NET: netinit::NetworkSpec = netinit::network![
    #![deny(signal_drift)]
    #![allow(init_scale)]
    input(1, 28, 28),
    conv2d(1 -> 32, relu, kernel = 3, padding = 1, init = normal(std = 1.0)),
    conv2d(32 -> 32, relu, kernel = 3, padding = 1, init = normal(std = 1.0)),
    max_pool2d(2),
    conv2d(32 -> 32, relu, kernel = 3, padding = 1, init = normal(std = 1.0)),
    global_avg_pool2d,
    dense(32 -> 10, softmax),
];

fn main() {
    let _ = NET;
}
