use harden_harness::Bounded;

#[derive(Bounded)]
struct Config {
    #[unbounded]
    hosts: Vec<String>,
    #[unbounded(reason = "  ")]
    ports: Vec<u16>,
    #[unbounded(because = "small")]
    names: Vec<String>,
}

fn main() {}
