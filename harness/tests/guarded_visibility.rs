//! `#[guarded]` on a public struct whose locked fields have private types
//! compiles without privacy warnings (CI denies warnings).
#![cfg(not(loom))]

pub mod registry {
    use harden_harness::guarded;

    /// Private to this module on purpose.
    #[derive(Debug, Default)]
    struct Incident {
        id: u32,
    }

    #[guarded]
    #[derive(Default)]
    pub struct Registry {
        open: Vec<Incident>,
        pub resolved: u64,
    }

    impl Registry {
        pub fn open(&self, id: u32) -> usize {
            let mut held = self.select().resolved().open().lock();
            held.open.push(Incident { id });
            *held.resolved += 0;
            held.open.iter().map(|incident| incident.id as usize).sum()
        }
    }
}

#[test]
fn public_struct_with_private_field_types() {
    let registry = registry::Registry::default();
    assert_eq!(registry.open(3), 3);
    assert_eq!(*registry.lock_resolved(), 0);
}
