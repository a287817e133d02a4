// `#[filch::main]` on the forms the documentation promises: no return value, `Result` with `?`
// and an early `return`, the `worker_threads` and `flavor` arguments. trybuild runs this program, so the
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

mod flavors {
    use filch::runtime::{Handle, RuntimeFlavor};

    #[filch::main(flavor = "current_thread")]
    pub async fn current() {
        assert_eq!(Handle::current().runtime_flavor(), RuntimeFlavor::CurrentThread);
        let here = std::thread::current().id();
        assert_eq!(filch::spawn(async { std::thread::current().id() }).await.unwrap(), here);
    }

    #[filch::main(flavor = "multi_thread", worker_threads = 3)]
    pub async fn multi() {
        assert_eq!(Handle::current().runtime_flavor(), RuntimeFlavor::MultiThread);
        assert_eq!(Handle::current().worker_threads(), 3);
    }

    #[filch::main]
    pub async fn default() {
        assert_eq!(Handle::current().runtime_flavor(), RuntimeFlavor::MultiThread);
    }
}

fn main() {
    plain::run();
    with_result::run().unwrap();
    with_workers::run().unwrap();
    flavors::current();
    flavors::multi();
    flavors::default();
}
