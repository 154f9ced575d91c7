use harden_harness::Singleton;

#[derive(Singleton)]
#[singleton(init = Config::load, init = Config::reload)]
struct Config {
    name: String,
}

impl Config {
    fn load() -> Self {
        Config { name: "a".into() }
    }
    fn reload() -> Self {
        Config { name: "b".into() }
    }
}

fn main() {}
