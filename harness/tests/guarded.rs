//! `#[guarded]` on real threads: accessors, `select()`, and the debug-build
//! lock-order check.
#![cfg(not(loom))]

use harden_harness::guarded;
use std::sync::Arc;

#[guarded]
#[derive(Debug, Default)]
struct Registry {
    #[lock]
    incidents: Vec<String>,
    #[lock(rw)]
    config: String,
    #[lock]
    resolved: u64,
}

/// No `#[lock]` anywhere: every field gets a `Mutex`.
#[guarded]
struct AllLocked {
    first: u8,
    second: u8,
}

#[guarded]
struct Partly {
    name: &'static str,
    #[lock]
    hits: u32,
}

#[test]
fn accessors_read_and_write_each_field() {
    let registry = Registry::from_fields(Vec::new(), "v1".into(), 0);
    registry.lock_incidents().push("disk full".into());
    *registry.write_config() = "v2".into();
    *registry.lock_resolved() += 1;
    assert_eq!(registry.lock_incidents().len(), 1);
    assert_eq!(*registry.read_config(), "v2");
    assert_eq!(*registry.lock_resolved(), 1);
}

#[test]
fn unmarked_structs_lock_every_field() {
    let all = AllLocked::from_fields(1, 2);
    let held = all.select().second().first().lock();
    assert_eq!((*held.first, *held.second), (1, 2));
}

#[test]
fn mut_accessors_need_no_lock() {
    let mut registry = Registry::default();
    registry.incidents_mut().push("a".into());
    *registry.resolved_mut() = 7;
    assert_eq!(*registry.lock_resolved(), 7);
}

#[test]
fn only_marked_fields_are_locked_when_any_field_is_marked() {
    let partly = Partly::from_fields("api", 0);
    *partly.lock_hits() += 1;
    assert_eq!(partly.name, "api");
    assert_eq!(*partly.lock_hits(), 1);
}

#[test]
fn select_holds_several_fields_named_in_any_order() {
    let registry = Registry::default();
    let mut held = registry
        .select()
        .resolved()
        .write_config()
        .incidents()
        .lock();
    held.incidents.push("x".into());
    held.config.push_str("ok");
    *held.resolved += 1;
    drop(held);
    let held = registry.select().read_config().lock();
    assert_eq!(*held.config, "ok");
    let () = held.incidents;
}

#[test]
fn in_order_accessors_nest_fine() {
    let registry = Registry::default();
    let incidents = registry.lock_incidents();
    let config = registry.read_config();
    let resolved = registry.lock_resolved();
    assert!(incidents.is_empty() && config.is_empty() && *resolved == 0);
}

#[test]
fn different_instances_are_independent() {
    let first = Registry::default();
    let second = Registry::default();
    let _late = first.lock_resolved();
    let _early = second.lock_incidents();
}

#[test]
#[cfg_attr(
    debug_assertions,
    should_panic(
        expected = "#[guarded] Registry: lock order violation: acquiring `incidents` while holding `resolved`"
    )
)]
fn out_of_order_accessors_panic_in_debug_builds() {
    let registry = Registry::default();
    let _resolved = registry.lock_resolved();
    let _incidents = registry.lock_incidents();
}

#[test]
#[cfg_attr(
    debug_assertions,
    should_panic(expected = "field `config` acquired while this thread already holds it")
)]
fn reacquiring_a_held_field_panics_in_debug_builds() {
    let registry = Registry::default();
    let _first = registry.read_config();
    let _second = registry.read_config();
}

#[test]
#[cfg_attr(
    debug_assertions,
    should_panic(expected = "acquiring `incidents` while holding `config`")
)]
fn select_after_a_held_later_field_panics_in_debug_builds() {
    let registry = Registry::default();
    let _config = registry.write_config();
    let _both = registry.select().incidents().lock();
}

#[test]
fn threads_naming_fields_in_opposite_orders_do_not_deadlock() {
    let registry = Arc::new(Registry::default());
    let handles: Vec<_> = (0..4)
        .map(|thread| {
            let registry = Arc::clone(&registry);
            std::thread::spawn(move || {
                for _ in 0..1_000 {
                    let mut held = if thread % 2 == 0 {
                        registry.select().incidents().resolved().lock()
                    } else {
                        registry.select().resolved().incidents().lock()
                    };
                    *held.resolved += 1;
                    if held.incidents.len() < 4 {
                        held.incidents.push(thread.to_string());
                    }
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    assert_eq!(*registry.lock_resolved(), 4_000);
}
