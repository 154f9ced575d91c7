//! `#[derive(Bounded)]` accepts bounded and exempted fields and records the
//! exemptions. (Rejections are pinned by the trybuild cases in `ui/`.)
#![cfg(not(loom))]

use harden_harness::{Bounded, BoundedVec, LruMap};
use std::sync::Mutex;

#[derive(Bounded)]
struct EventLog {
    recent: Mutex<BoundedVec<Vec<u8>>>,
    by_user: LruMap<u64, String>,
    #[unbounded(reason = "one entry per configured region, loaded at startup")]
    regions: Vec<String>,
    name: String,
}

#[derive(Bounded)]
enum Shape {
    Empty,
    Recent(BoundedVec<u32>),
}

#[test]
fn exemptions_are_recorded_with_their_reasons() {
    assert_eq!(
        EventLog::UNBOUNDED_FIELDS,
        [(
            "regions",
            "one entry per configured region, loaded at startup"
        )]
    );
    assert!(Shape::UNBOUNDED_FIELDS.is_empty());
    let log = EventLog {
        recent: Mutex::new(BoundedVec::new(4)),
        by_user: LruMap::new(4),
        regions: vec!["eu".into()],
        name: "audit".into(),
    };
    assert_eq!(log.recent.lock().unwrap().capacity(), 4);
    assert_eq!(
        (log.by_user.len(), log.regions.len(), log.name.len()),
        (0, 1, 5)
    );
    for shape in [Shape::Empty, Shape::Recent(BoundedVec::new(1))] {
        let capacity = match shape {
            Shape::Empty => 0,
            Shape::Recent(recent) => recent.capacity(),
        };
        assert!(capacity <= 1);
    }
}
