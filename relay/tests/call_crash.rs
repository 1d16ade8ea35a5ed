//! A relay that dies mid-call (its runtime dropped: no hang-up, no settlement, no goodbye to the
//! database) leaves a reservation behind; the relay started after it settles that reservation
//! from the call's last heartbeat, so the payer's held credit comes back and the ledger adds up.

mod support;

use std::time::Duration;

use ringlink_e2e::sipp::{have_sipp, Phone};
use ringlink_protocol::call_me::{CallMe, CallStage, PayerKind};
use ringlink_protocol::widget::{RelayToWidget, WidgetMsg};
use ringlink_protocol::E164;
use ringlink_relay::billing::{Increments, Payer, Tariff};
use ringlink_relay::Config;
use support::calls::relay_with_phones;
use support::*;

/// The shortest orphan limit the relay accepts: live calls refresh every 2 s.
const ORPHAN_AFTER: u64 = 8;

/// Starts a relay, places a member-paid call and returns once it is connected, then drops the
/// whole runtime (a crash). Returns the relay's config (same database) and the call id.
fn call_then_crash(
    db: Db,
    member: &Phone,
    merchant: &Phone,
) -> Option<(Config, tempfile::TempDir, String)> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let out = rt.block_on(async move {
        let t = relay_with_phones(db, member, merchant, PayerKind::Member, |c| {
            c.calls.orphan_after_secs = ORPHAN_AFTER;
        })
        .await?;
        let r = &t.running.relay;
        let tariff = Tariff::new("+86", 0, 60, Increments::new(1, 1).unwrap()).unwrap();
        r.calls.billing.set_tariff(&tariff).await.unwrap();
        free_member_leg(&r.calls.billing).await;
        let member_id = r
            .store
            .member_by_number(&E164::new(ALICE).unwrap())
            .await
            .unwrap()
            .unwrap()
            .id;
        let account = r
            .calls
            .billing
            .account_for(&Payer::Member(member_id))
            .await
            .unwrap();
        r.calls
            .billing
            .credit(account, 1000, "top-up")
            .await
            .unwrap();

        let (mut w, _) = t.signed_in_widget(ALICE).await;
        let placed = w
            .request(WidgetMsg::CallMe(CallMe {
                button: "sales".into(),
                callback: ALICE.into(),
                client_id: None,
                lang: None,
            }))
            .await;
        let RelayToWidget::CallPlaced(placed) = placed else {
            panic!("{placed:?}")
        };
        loop {
            if let RelayToWidget::CallProgress(p) = w.next_within(20).await.msg {
                assert_ne!(p.stage, CallStage::Ended, "{p:?}");
                if p.stage == CallStage::Connected {
                    break;
                }
            }
        }
        // Talk for a few heartbeats, then die.
        tokio::time::sleep(Duration::from_secs(5)).await;
        let config = r.config.clone();
        let dir = t.into_dir();
        Some((config, dir, placed.call_id))
    });
    rt.shutdown_background();
    out
}

// covers CALL-7: no reservation is left unsettled after a crash and a restart.
fn crashed_call_is_settled_after_restart(db: Db) {
    if !have_sipp() {
        return;
    }
    let member = Phone::answering("member", 1);
    let merchant = Phone::answering("merchant", 1);
    let Some((mut config, dir, call_id)) = call_then_crash(db, &member, &merchant) else {
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        config.listen = "127.0.0.1:0".into();
        config.telephony = None;
        let again = TestRelay::adopt(ringlink_relay::start(config).await.unwrap(), dir);
        let billing = &again.running.relay.calls.billing;
        let open = billing.call_record(&call_id).await.unwrap().unwrap();
        assert!(
            open.charge.is_none(),
            "the crashed call was still open: {open:?}"
        );
        let mut record = open;
        for _ in 0..(ORPHAN_AFTER * 3) {
            tokio::time::sleep(Duration::from_secs(1)).await;
            record = billing.call_record(&call_id).await.unwrap().unwrap();
            if record.charge.is_some() {
                break;
            }
        }
        let charge = record
            .charge
            .unwrap_or_else(|| panic!("not settled after restart: {record:?}"));
        let seconds = record.billed_seconds.unwrap();
        assert!(
            (3..=8).contains(&seconds),
            "billed up to the last heartbeat: {record:?}"
        );
        assert_eq!(charge, seconds, "1 fen a second: {record:?}");
        let member_id = again
            .running
            .relay
            .store
            .member_by_number(&E164::new(ALICE).unwrap())
            .await
            .unwrap()
            .unwrap()
            .id;
        let account = billing
            .account_for(&Payer::Member(member_id))
            .await
            .unwrap();
        let acc = billing.account(account).await.unwrap();
        assert_eq!(acc.reserved, 0, "no credit is left held: {acc:?}");
        assert_eq!(acc.balance, 1000 - charge);
        assert_eq!(billing.ledger_sum(account).await.unwrap(), acc.balance);
    });
}

#[test]
fn sqlite() {
    crashed_call_is_settled_after_restart(Db::Sqlite);
}

#[test]
fn postgres() {
    crashed_call_is_settled_after_restart(Db::Postgres);
}
