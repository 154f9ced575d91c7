//! AFTER: `#[guarded]` gives each field its own lock, and `select()`
//! acquires several in declaration order whatever order the code names
//! them in, so the inversion cannot be written. Debug builds also panic on
//! an out-of-order acquisition through the single-field accessors.
//!
//! `cargo run -p harden-harness --example incident_registry_after`

use harden_harness::guarded;
use std::collections::HashMap;
use std::sync::Arc;

#[guarded]
#[derive(Default)]
struct IncidentRegistry {
    open: Vec<String>,
    owners: HashMap<String, String>,
}

impl IncidentRegistry {
    fn open_incident(&self, id: &str, owner: &str) {
        let mut held = self.select().open().owners().lock();
        held.open.push(id.to_owned());
        held.owners.insert(id.to_owned(), owner.to_owned());
    }

    fn reassign_all(&self, to: &str) -> usize {
        // Named owners-first, still acquired open -> owners.
        let mut held = self.select().owners().open().lock();
        for id in held.open.iter() {
            held.owners.insert(id.clone(), to.to_owned());
        }
        held.open.len()
    }
}

fn main() {
    let registry = Arc::new(IncidentRegistry::default());
    let handles: Vec<_> = (0..4)
        .map(|thread| {
            let registry = Arc::clone(&registry);
            std::thread::spawn(move || {
                for i in 0..100 {
                    if thread % 2 == 0 {
                        registry.open_incident(&format!("INC-{thread}-{i}"), "ana");
                    } else {
                        registry.reassign_all("bo");
                    }
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    println!("{} incidents, no deadlock", registry.lock_open().len());
}
