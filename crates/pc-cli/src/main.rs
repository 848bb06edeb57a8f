//! The `pc` command-line tool.

fn main() {
    println!("pc {}", env!("CARGO_PKG_VERSION"));
}
