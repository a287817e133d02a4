// `select!` needs at least one branch; `else` alone is not enough.

fn main() {
    let _ = async {
        filch::select! {}
    };
    let _ = async {
        filch::select! {
            else => 1,
        }
    };
}
