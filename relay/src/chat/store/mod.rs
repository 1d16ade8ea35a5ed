//! The chat's store functions, on both databases: staff and their sessions ([`staff`]),
//! conversations, routing slots and the queue ([`conversations`]), lines and read marks
//! ([`lines`]), canned responses and the dashboard's rows ([`desk`]), and the rest a site keeps ([`site`]: settings, connections, left messages,
//! attachments, page views).

pub mod conversations;
pub mod desk;
pub mod lines;
pub mod site;
pub mod staff;

/// A flag column (0/1 on both databases).
pub(crate) fn flag(v: i64) -> bool {
    v != 0
}
