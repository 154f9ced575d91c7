//! BEFORE (harden SHR004): two methods take the same two locks in opposite
//! orders. Run concurrently, they can deadlock: each holds the lock the
//! other waits for. (This example runs them one after the other so that it
//! terminates; the hazard is in the code, not in this run.)
//!
//! `cargo run -p harden-harness --example incident_registry_before`

use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
struct IncidentRegistry {
    open: Mutex<Vec<String>>,
    owners: Mutex<HashMap<String, String>>,
}

impl IncidentRegistry {
    fn open_incident(&self, id: &str, owner: &str) {
        let mut open = self.open.lock().unwrap();
        let mut owners = self.owners.lock().unwrap(); // open -> owners
        open.push(id.to_owned());
        owners.insert(id.to_owned(), owner.to_owned());
    }

    fn reassign_all(&self, to: &str) -> usize {
        let mut owners = self.owners.lock().unwrap();
        let open = self.open.lock().unwrap(); // owners -> open: inverted
        for id in open.iter() {
            owners.insert(id.clone(), to.to_owned());
        }
        open.len()
    }
}

fn main() {
    let registry = IncidentRegistry::default();
    registry.open_incident("INC-1", "ana");
    println!("reassigned {}", registry.reassign_all("bo"));
}
