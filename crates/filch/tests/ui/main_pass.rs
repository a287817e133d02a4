// `#[filch::main]` on the forms the documentation promises: no return value, `Result` with `?`
// and an early `return`, and the `worker_threads` argument. trybuild runs this program, so the
// assertions execute.

mod plain {
    #[filch::main]
    pub async fn run() {
        let answer = filch::spawn(async { 6 * 7 }).await.unwrap();
        assert_eq!(answer, 42);
    }
}

mod with_result {
    #[derive(Debug)]
    pub struct MyError;

    fn check(ok: bool) -> Result<u32, MyError> {
        if ok {
            Ok(1)
        } else {
            Err(MyError)
        }
    }

    #[filch::main]
    pub async fn run() -> Result<(), MyError> {
        let one = check(true)?;
        if one == 1 {
            return Ok(());
        }
        check(false)?;
        Ok(())
    }
}

mod with_workers {
    #[filch::main(worker_threads = 2)]
    pub async fn run() -> std::io::Result<()> {
        assert_eq!(filch::runtime::Handle::current().worker_threads(), 2);
        Ok(())
    }
}

fn main() {
    plain::run();
    with_result::run().unwrap();
    with_workers::run().unwrap();
}
