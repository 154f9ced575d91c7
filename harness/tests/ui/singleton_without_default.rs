use harden_harness::Singleton;

#[derive(Singleton)]
struct Config {
    name: String,
}

fn main() {
    let _ = Config::instance();
}
