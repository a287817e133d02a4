#[filch::test(worker_threads = 4, flavor = "current_thread")]
async fn one_thread() {}

fn main() {}
