use filch_executor::runtime::Builder;

#[test]
fn smoke() {
    let rt = Builder::new().worker_threads(2).build().unwrap();
    let out = rt.block_on(async {
        let mut hs = Vec::new();
        for i in 0..1000u64 {
            hs.push(filch_executor::spawn(async move {
                filch_executor::task::yield_now().await;
                i
            }));
        }
        let mut s = 0;
        for h in hs {
            s += h.await.unwrap();
        }
        s
    });
    assert_eq!(out, 999 * 1000 / 2);
}
