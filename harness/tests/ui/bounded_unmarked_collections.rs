use harden_harness::{Bounded, BoundedVec, LruMap};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Bounded)]
struct IncidentRegistry {
    open: Vec<String>,
    by_host: Arc<Mutex<HashMap<String, u32>>>,
    recent: BoundedVec<Vec<u8>>,
    sessions: LruMap<u64, String>,
    notify: std::sync::mpsc::Sender<String>,
    name: String,
}

fn main() {}
