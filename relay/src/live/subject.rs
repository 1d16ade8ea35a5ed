//! Who or what a frame is for, in the product's words, and the NATS subject each maps to.

use std::fmt;

/// An address on the live bus.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    /// Every phone agent of a member: a dial goes to the one connected most recently.
    AgentsOf(i64),
    /// One paired device (its token's public id), to reach exactly that phone.
    Device(String),
    /// Every widget a member has signed in: call states and presence.
    WidgetsOf(i64),
    /// A visitor of a site who is not a member (CHAT).
    Visitor(String),
    /// A staff member of a site (the console).
    Staff(i64),
    /// A site's queue of visitors waiting for an agent.
    SiteQueue(i64),
    /// Every staff console of a site: colleagues' states, the queue, left messages.
    StaffOf(i64),
    /// Everyone in a conversation.
    Conversation(i64),
    /// A call, answered by the node that owns its SIP dialog (hang-up from anywhere).
    Call(String),
}

impl Subject {
    /// The NATS subject: dot-separated tokens, ids last. Device and visitor ids are random
    /// URL-safe strings; anything else in them is replaced, so no id can add a token or a
    /// wildcard.
    pub fn nats(&self) -> String {
        self.to_string()
    }
}

fn token(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::AgentsOf(m) => write!(f, "rl.member.{m}.agents"),
            Subject::Device(d) => write!(f, "rl.device.{}", token(d)),
            Subject::WidgetsOf(m) => write!(f, "rl.member.{m}.widgets"),
            Subject::Visitor(v) => write!(f, "rl.visitor.{}", token(v)),
            Subject::Staff(s) => write!(f, "rl.staff.{s}"),
            Subject::SiteQueue(s) => write!(f, "rl.site.{s}.queue"),
            Subject::StaffOf(s) => write!(f, "rl.site.{s}.staff"),
            Subject::Conversation(c) => write!(f, "rl.conversation.{c}"),
            Subject::Call(c) => write!(f, "rl.call.{}", token(c)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // covers #10 §1 subjects: named in the product's words, no id can add a token or wildcard
    #[test]
    fn subjects_read_as_the_product_says_and_ids_cannot_escape() {
        assert_eq!(Subject::AgentsOf(7).nats(), "rl.member.7.agents");
        assert_eq!(Subject::WidgetsOf(7).nats(), "rl.member.7.widgets");
        assert_eq!(Subject::Call("cm_42".into()).nats(), "rl.call.cm_42");
        assert_eq!(Subject::SiteQueue(3).nats(), "rl.site.3.queue");
        assert_eq!(
            Subject::Device("dev_a.b*>c d".into()).nats(),
            "rl.device.dev_a_b__c_d"
        );
        assert_eq!(Subject::Visitor("v>".into()).nats(), "rl.visitor.v_");
    }
}
