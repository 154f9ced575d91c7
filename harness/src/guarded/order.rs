//! The debug/loom lock-order check behind `#[guarded]`'s accessors.
//!
//! Each thread keeps a small stack of the guarded fields it currently
//! holds. Taking field `i` of a struct while the same thread holds field
//! `j >= i` of the same struct (same address) is the pattern that lets two
//! threads deadlock, so it panics naming both fields, at the first
//! acquisition that could deadlock rather than at the rare run that does.
//! Release builds without `--cfg loom` compile all of this away.

/// Where a guarded field lives: which struct instance, which field.
#[derive(Clone, Copy, Debug)]
pub struct FieldSite {
    /// Address of the struct instance; fields of different instances are
    /// independent locks.
    pub owner: usize,
    /// Declaration index among the struct's locked fields: the lock order.
    pub index: usize,
    /// Field name, for the panic message.
    pub field: &'static str,
    /// Struct name, for the panic message.
    pub owner_type: &'static str,
}

#[cfg(any(debug_assertions, loom))]
mod tracking {
    use super::FieldSite;
    use std::cell::RefCell;

    crate::sync::thread_local! {
        #[cfg_attr(
            not(loom),
            expect(
                clippy::missing_const_for_thread_local,
                reason = "loom's thread_local! does not accept a const initialiser"
            )
        )]
        static HELD: RefCell<Vec<FieldSite>> = RefCell::new(Vec::new());
    }

    /// Proof that this thread registered a held field; unregisters on drop.
    #[derive(Debug)]
    pub struct HeldField {
        site: FieldSite,
    }

    /// Check the acquisition of `site` against what this thread holds,
    /// before blocking on the lock.
    pub fn check(site: FieldSite) {
        HELD.with(|held| {
            let held = held.borrow();
            let conflict = held
                .iter()
                .find(|other| other.owner == site.owner && other.index >= site.index);
            if let Some(other) = conflict {
                if other.index == site.index {
                    panic!(
                        "#[guarded] {}: field `{}` acquired while this thread already holds it; this would deadlock",
                        site.owner_type, site.field
                    );
                }
                panic!(
                    "#[guarded] {}: lock order violation: acquiring `{}` while holding `{}`; fields must be acquired in declaration order (take both at once with `select()`)",
                    site.owner_type, site.field, other.field
                );
            }
        });
    }

    /// Record that this thread now holds `site`.
    pub fn register(site: FieldSite) -> HeldField {
        HELD.with(|held| held.borrow_mut().push(site));
        HeldField { site }
    }

    impl Drop for HeldField {
        fn drop(&mut self) {
            // `try_with`: a guard dropped during thread teardown must not panic.
            let _ = HELD.try_with(|held| {
                let mut held = held.borrow_mut();
                let position = held.iter().rposition(|other| {
                    other.owner == self.site.owner && other.index == self.site.index
                });
                if let Some(position) = position {
                    held.remove(position);
                }
            });
        }
    }
}

#[cfg(not(any(debug_assertions, loom)))]
mod tracking {
    use super::FieldSite;

    /// Release builds track nothing.
    #[derive(Debug)]
    pub struct HeldField;

    #[inline(always)]
    pub fn check(_site: FieldSite) {}

    #[inline(always)]
    pub fn register(_site: FieldSite) -> HeldField {
        HeldField
    }
}

pub(crate) use tracking::{check, register, HeldField};
