//! CALL test set-up shared by the relay's CALL tests: a relay whose SIP trunk routes the
//! member's numbers (+86138…) and the merchant's landlines (+8610…) to two SIPp phones, with a
//! "sales" button on the test site.

use ringlink_e2e::sipp::Phone;
use ringlink_protocol::call_me::PayerKind;
use ringlink_relay::store::call_buttons::CallButton;
use ringlink_relay::Config;
use ringlink_telephony::{Route, TelephonyConfig};

use super::{Db, TestRelay, SITE};

/// The merchant's line behind the "sales" button (a Beijing landline).
pub const MERCHANT: &str = "+861065529988";

pub fn telephony(member: &Phone, merchant: &Phone) -> TelephonyConfig {
    TelephonyConfig {
        sip_listen: "127.0.0.1:0".parse().unwrap(),
        routes: vec![
            Route {
                prefix: "+86138".into(),
                target: member.addr(),
            },
            Route {
                prefix: "+8610".into(),
                target: merchant.addr(),
            },
        ],
        ring_timeout_secs: 10,
        ..TelephonyConfig::default()
    }
}

/// A relay whose SIP trunk reaches the two phones, with a "sales" button paid by `payer`.
pub async fn relay_with_phones(
    db: Db,
    member: &Phone,
    merchant: &Phone,
    payer: PayerKind,
    tweak: impl FnOnce(&mut Config),
) -> Option<TestRelay> {
    let t = telephony(member, merchant);
    let relay = TestRelay::start_with(db, |c| {
        c.telephony = Some(t);
        // These sockets stay quiet for the length of a call; the test client does not ping.
        c.heartbeat_secs = 60;
        tweak(c);
    })
    .await?;
    let r = &relay.running.relay;
    let site = r.store.site_by_key(SITE).await.unwrap().unwrap();
    r.store
        .set_call_button(&CallButton {
            site_id: site.id,
            key: "sales".into(),
            label: "Sales".into(),
            number: ringlink_protocol::E164::new(MERCHANT).unwrap(),
            payer,
            sponsor: None,
            capacity: None,
        })
        .await
        .unwrap();
    Some(relay)
}
