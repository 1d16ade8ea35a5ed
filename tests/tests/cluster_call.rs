//! CALL on three relay processes (PostgreSQL, nats-server, nginx, as in tests/tests/cluster.rs)
//! with a SIP trunk to two SIPp phones: the SIP dialogs stay on the relay that placed the call,
//! and widgets on the other relays reach them through the call's subject.

use std::net::SocketAddr;
use std::time::Duration;

use ringlink_e2e::cluster::{Cluster, Options, ALICE, PASSWORD, SHOP_ORIGIN, SITE};
use ringlink_e2e::live_client::{self, Widget, CLIENT_IP, REPLY_WITHIN};
use ringlink_e2e::sipp::{have_sipp, Phone};
use ringlink_protocol::call_end::CallEndReason;
use ringlink_protocol::call_me::{CallMe, CallOptions, CallProgress, CallStage, HangUp};
use ringlink_protocol::widget::{RelayToWidget, WidgetMsg};

const RELAY_A: usize = 0;
const RELAY_B: usize = 1;
/// The merchant's line behind the "sales" button (a Beijing landline).
const MERCHANT: &str = "+861065529988";

/// The `[telephony]` file every relay reads (`RINGLINK_CONFIG`): the member's numbers
/// (+86138…) and the merchant's landlines (+8610…) route to the two phones.
fn telephony_toml(member: &Phone, merchant: &Phone) -> String {
    format!(
        "[telephony]\nsip_listen = \"127.0.0.1:0\"\nring_timeout_secs = 10\n\
         [[telephony.routes]]\nprefix = \"+86138\"\ntarget = \"{}\"\n\
         [[telephony.routes]]\nprefix = \"+8610\"\ntarget = \"{}\"\n",
        member.addr(),
        merchant.addr()
    )
}

/// The operator's set-up, with the CLI: prices (the member's own leg free), the member's credit,
/// the "sales" button paid by the member.
fn seed_call(cluster: &Cluster) {
    for prefix in ["+86", "+86138"] {
        let per_minute = if prefix == "+86" { "60" } else { "0" };
        cluster.admin(
            &[
                "tariff",
                "set",
                "--prefix",
                prefix,
                "--connect-fee",
                "0",
                "--per-minute",
                per_minute,
                "--increments",
                "1/1",
            ],
            None,
        );
    }
    cluster.admin(
        &["account", "credit", "--member", ALICE, "--amount", "10000"],
        None,
    );
    cluster.admin(
        &[
            "button", "set", "--site", SITE, "--key", "sales", "--label", "Sales", "--number",
            MERCHANT, "--payer", "member",
        ],
        None,
    );
}

/// Cluster options whose relays read the telephony file (written into `dir`) and `env`.
fn with_telephony(
    dir: &std::path::Path,
    member: &Phone,
    merchant: &Phone,
    env: &[(&str, &str)],
) -> Options {
    let conf = dir.join("telephony.toml");
    std::fs::write(&conf, telephony_toml(member, merchant)).unwrap();
    let mut env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    env.push(("RINGLINK_CONFIG".into(), conf.display().to_string()));
    Options {
        env,
        ..Options::default()
    }
}

async fn widget_on(cluster: &Cluster, addr: SocketAddr) -> Widget {
    live_client::widget(
        addr,
        &cluster.widget_origin(addr),
        SHOP_ORIGIN,
        SITE,
        CLIENT_IP,
        &[],
    )
    .await
    .unwrap_or_else(|e| panic!("widget socket on {addr}: {e}"))
}

fn call_me(client_id: &str) -> WidgetMsg {
    WidgetMsg::CallMe(CallMe {
        button: "sales".into(),
        callback: ALICE.into(),
        client_id: Some(client_id.into()),
        lang: None,
    })
}

async fn placed(w: &mut Widget, client_id: &str) -> String {
    match w.request(call_me(client_id), REPLY_WITHIN).await {
        RelayToWidget::CallPlaced(p) => p.call_id,
        other => panic!("CallMe answered {other:?}"),
    }
}

async fn progress_until(
    w: &mut Widget,
    call_id: &str,
    stop: impl Fn(&CallProgress) -> bool,
) -> CallProgress {
    w.wait_for(Duration::from_secs(30), |env| match &env.msg {
        RelayToWidget::CallProgress(p) if p.call_id == call_id && stop(p) => Some(p.clone()),
        _ => None,
    })
    .await
    .unwrap_or_else(|| panic!("call {call_id} did not get there within 30 s"))
}

// covers #10 §2 CALL on the live layer, CALL-5, CALL-7: a CALL requested through relay A and
// retried with the same client id through relay B is placed once; a widget on B hangs it up,
// relay A (which holds the SIP dialogs) ends both legs, and the widget on A is told
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_placed_through_a_is_retried_and_hung_up_through_b() {
    if !have_sipp() {
        return;
    }
    let member = Phone::answering("member", 1);
    let merchant = Phone::answering("merchant", 1);
    let conf_dir = tempfile::tempdir().unwrap();
    let options = with_telephony(conf_dir.path(), &member, &merchant, &[]);
    let Some(cluster) = Cluster::start_with(options) else {
        return;
    };
    seed_call(&cluster);

    let mut a = widget_on(&cluster, cluster.relay_addr(RELAY_A)).await;
    let token = a
        .sign_in(ALICE, PASSWORD)
        .await
        .expect("sign in on A")
        .token;
    let offer = a
        .request(
            WidgetMsg::CallOptions(CallOptions {
                button: "sales".into(),
            }),
            REPLY_WITHIN,
        )
        .await;
    assert!(
        matches!(offer, RelayToWidget::CallOffer(_)),
        "call options on A: {offer:?}"
    );
    let call_id = placed(&mut a, "call-1").await;

    // The tab reconnects through relay B and retries: the same call, not a second one.
    let mut b = widget_on(&cluster, cluster.relay_addr(RELAY_B)).await;
    b.resume(&token, None).await.expect("resume on B");
    assert_eq!(
        placed(&mut b, "call-1").await,
        call_id,
        "a retry through relay B is answered with the first call"
    );

    progress_until(&mut a, &call_id, |p| p.stage == CallStage::Connected).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    match b
        .request(
            WidgetMsg::HangUp(HangUp {
                call_id: call_id.clone(),
            }),
            REPLY_WITHIN,
        )
        .await
    {
        RelayToWidget::HungUp(_) => {}
        other => panic!("hang-up from relay B answered {other:?}"),
    }
    let end = progress_until(&mut a, &call_id, |p| p.stage.is_final()).await;
    assert_eq!(end.reason, Some(CallEndReason::MemberHungUp), "{end:?}");
    assert!(
        member.passed(Duration::from_secs(15)).await,
        "the member's phone got BYE (and only one call)"
    );
    assert!(
        merchant.passed(Duration::from_secs(15)).await,
        "the merchant's phone got BYE (and only one call)"
    );
}

/// The end reason the billing janitor writes on a call it settled (relay/src/billing/janitor.rs).
const ORPHAN_REASON: &str = "relay stopped during the call";

// covers #10 §Tests a call whose relay died is settled by a surviving relay, #10 §5 the member's
// widget is told: relay A is killed mid-call; a survivor's janitor settles the call (record
// ended, the member's held credit released) and the widget on relay B is shown its end
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_whose_relay_died_is_settled_by_a_survivor_and_the_widget_told() {
    if !have_sipp() {
        return;
    }
    let member = Phone::answering("member", 1);
    let merchant = Phone::answering("merchant", 1);
    let conf_dir = tempfile::tempdir().unwrap();
    // The shortest orphan limit the relay accepts, so the janitor (every half of it) settles
    // within seconds of the kill.
    let env = [("RINGLINK_CALLS__ORPHAN_AFTER_SECS", "8")];
    let options = with_telephony(conf_dir.path(), &member, &merchant, &env);
    let Some(mut cluster) = Cluster::start_with(options) else {
        return;
    };
    seed_call(&cluster);
    let mut a = widget_on(&cluster, cluster.relay_addr(RELAY_A)).await;
    let token = a
        .sign_in(ALICE, PASSWORD)
        .await
        .expect("sign in on A")
        .token;
    let call_id = placed(&mut a, "call-dies").await;
    progress_until(&mut a, &call_id, |p| p.stage == CallStage::Connected).await;
    let mut b = widget_on(&cluster, cluster.relay_addr(RELAY_B)).await;
    b.resume(&token, None).await.expect("resume on B");
    tokio::time::sleep(Duration::from_secs(3)).await;

    let killed = cluster.kill(RELAY_A);
    let settled = ringlink_e2e::procs::wait_until(
        "a survivor's janitor to settle the call",
        Duration::from_secs(40),
        || {
            let records = cluster.admin(&["calls", "records", "--member", ALICE], None);
            records
                .lines()
                .find(|l| l.starts_with(&call_id) && l.contains(ORPHAN_REASON))
                .map(str::to_owned)
        },
    );
    eprintln!("settled {:?} after the kill: {settled}", killed.elapsed());
    let account = cluster.admin(&["account", "show", "--member", ALICE], None);
    assert!(
        account
            .lines()
            .any(|l| l.starts_with("held") && l.contains("by 0 call(s)")),
        "the credit the call held is released:\n{account}"
    );
    let told = b
        .wait_for(Duration::from_secs(10), |env| match &env.msg {
            RelayToWidget::CallProgress(p) if p.call_id == call_id && p.stage.is_final() => {
                Some(p.clone())
            }
            _ => None,
        })
        .await;
    assert!(
        told.is_some(),
        "the widget on relay B was never shown the end of the call whose relay died"
    );
}
