// A network needs a layer.
const NET: netinit::NetworkSpec = netinit::network![];

fn main() {
    let _ = NET;
}
