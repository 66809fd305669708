//! The `netinit` command line (being written).

fn main() {}
