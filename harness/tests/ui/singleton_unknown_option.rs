use harden_harness::Singleton;

#[derive(Singleton)]
#[singleton(constructor = Config::load)]
struct Config {
    name: String,
}

fn main() {}
