#[filch::main]
fn main() {}
