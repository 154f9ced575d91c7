//! A user's own type, model-checked through the facade: this file runs in
//! the normal test pass (real threads, repeated) and in the loom pass
//! (every interleaving), unchanged.

use harden_harness::check;
use harden_harness::sync::{thread, Arc, Mutex};

/// A user type written against `harden_harness::sync` instead of `std::sync`.
#[derive(Default)]
struct Inventory {
    stock: Mutex<u32>,
}

impl Inventory {
    /// Take one item if any is left.
    fn take(&self) -> bool {
        let mut stock = self.stock.lock().unwrap();
        if *stock == 0 {
            return false;
        }
        *stock -= 1;
        true
    }
}

#[test]
fn the_last_item_is_sold_once() {
    check::model(|| {
        let inventory = Arc::new(Inventory {
            stock: Mutex::new(1),
        });
        let other = thread::spawn({
            let inventory = Arc::clone(&inventory);
            move || inventory.take()
        });
        let here = inventory.take();
        assert!(
            here ^ other.join().unwrap(),
            "exactly one buyer gets the item"
        );
        assert_eq!(*inventory.stock.lock().unwrap(), 0);
        let _ = Inventory::default();
    });
}
