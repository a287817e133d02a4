#[filch::test(core_threads = 2)]
async fn paused() {}

fn main() {}
