//! CHAT-7's SMS allowance per staff member, on SQLite, PostgreSQL and two relays: the count is
//! kept in the shared store, so a member of staff signed in through two relays has one
//! allowance, not one per relay.

mod support;

use ringlink_protocol::console::StaffRole;
use ringlink_protocol::{ErrorCode, E164};
use ringlink_relay::chat::desk::SMS_PER_STAFF_HOUR;
use ringlink_relay::chat::staff::StaffIdentity;
use support::chat::*;

// covers CHAT-7 (SMS caps): a staff member's hourly SMS allowance is one across relays; the
// SMS after it is refused in words, with when to try again, and nothing more is sent
each_db!(
    a_staff_members_sms_allowance_is_shared_by_every_relay,
    [sqlite: Sqlite, postgres: Postgres, two_relays: TwoRelays],
    |db: support::Db| async move {
        // Room in the site's and the number range's caps, so only the staff allowance counts.
        let Some(t) = support::TestRelay::start_with(db, |c| {
            c.calls.sms_per_prefix_per_hour = 100;
            c.calls.sms_per_site_per_hour = 100;
        })
        .await
        else {
            return;
        };
        let site = site_id(&t, support::SITE).await;
        let li = agent_account(&t, "li", "Li").await;
        let me = StaffIdentity {
            session_id: 0,
            staff_id: li,
            site_id: site,
            role: StaffRole::Agent,
            name: "Li".into(),
            expires_at: i64::MAX,
        };
        let a = t.running.relay.clone();
        let b = t.peer.as_ref().map_or(a.clone(), |p| p.running.relay.clone());
        let to = E164::new("+8613800138000").unwrap();
        for i in 0..SMS_PER_STAFF_HOUR {
            // Alternate relays: each would allow the whole hour's SMS on its own count.
            let relay = if i % 2 == 0 { &a } else { &b };
            ringlink_relay::chat::sms::send(relay, &me, &to, "your parcel is on its way")
                .await
                .unwrap_or_else(|e| panic!("SMS {i} within the allowance: {e:?}"));
        }
        for relay in [&a, &b] {
            let e = ringlink_relay::chat::sms::send(relay, &me, &to, "one more")
                .await
                .expect_err("over the hour's allowance");
            assert_eq!(e.code, ErrorCode::RateLimited, "{e:?}");
            assert!(e.message.contains("this hour"), "{}", e.message);
            assert!(e.retry_after.is_some_and(|s| s > 0), "{e:?}");
        }
        let sent: usize = [&a, &b]
            .iter()
            .map(|r| r.gateways.sms().unwrap().as_dev().unwrap().outbox().len())
            .sum::<usize>()
            / if t.peer.is_some() { 1 } else { 2 };
        assert_eq!(sent, SMS_PER_STAFF_HOUR as usize, "nothing past the allowance was sent");
    }
);
