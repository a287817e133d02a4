#[filch::test(core_threads = 2)]
async fn unknown() {}

fn main() {}
