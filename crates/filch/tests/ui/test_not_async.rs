#[filch::test]
fn not_async() {}

fn main() {}
