#[filch::main]
async fn main<T>() {}
