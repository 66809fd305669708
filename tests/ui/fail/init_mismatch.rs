// Xavier on relu and He on tanh: warnings, made errors by `deny(warnings)`.
#![deny(warnings)]

const NET: netinit::NetworkSpec = netinit::network![
    dense(256 -> 256, relu, init = xavier_normal),
    dense(256 -> 256, tanh, init = he_uniform),
    dense(256 -> 10, selu, init = he_normal),
];

fn main() {
    let _ = NET;
}
