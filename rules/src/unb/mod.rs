//! UNB: memory that grows without bound in a long-running process: queues
//! without a capacity, long-lived collections that are only ever grown,
//! caches without a size limit.

mod channel_senders;
mod component_class;
mod event_callbacks;
mod grow_only;
pub mod grow_only_collection;
mod queue_producers;
mod single_use;
mod test_code;
pub mod unbounded_cache;
pub mod unbounded_queue;
