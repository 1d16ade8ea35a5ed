//! The billing admin commands (`ringlink-relay admin account|sponsor|tariff|calls records`) as
//! clap parses them, with their output and their errors.

use super::*;

/// The billing admin commands as `ringlink-relay admin` parses them.
#[derive(clap::Parser)]
struct AdminCli {
    #[command(subcommand)]
    cmd: AdminCmd,
}

#[derive(clap::Subcommand)]
enum AdminCmd {
    #[command(subcommand)]
    Account(admin_billing::AccountCmd),
    #[command(subcommand)]
    Sponsor(admin_billing::SponsorCmd),
    #[command(subcommand)]
    Tariff(admin_billing::TariffCmd),
    #[command(subcommand)]
    Calls(admin_billing::CallsCmd),
}

/// Runs one admin command line; Err carries clap's or the command's message.
async fn admin(t: &TestRelay, line: &[&str]) -> Result<String, String> {
    use clap::Parser;
    let args = std::iter::once("admin").chain(line.iter().copied());
    let cli = AdminCli::try_parse_from(args).map_err(|e| e.to_string())?;
    let relay = &t.running.relay;
    let out = match cli.cmd {
        AdminCmd::Account(c) => admin_billing::account(relay, c).await,
        AdminCmd::Sponsor(c) => admin_billing::sponsor(relay, c).await,
        AdminCmd::Tariff(c) => admin_billing::tariff(relay, c).await,
        AdminCmd::Calls(c) => admin_billing::calls(relay, c).await,
    };
    out.map_err(|e| e.to_string())
}

// covers CALL-4, CALL-7
both_dbs!(admin_commands_and_their_errors, |t: TestRelay| async move {
    let set = |inc: &'static str| {
        [
            "tariff",
            "set",
            "--prefix",
            "+86",
            "--connect-fee",
            "10",
            "--per-minute",
            "12",
            "--increments",
            inc,
        ]
    };
    let e = admin(&t, &set("60/x")).await.unwrap_err();
    assert!(e.contains("FIRST/NEXT"), "{e}");
    let out = admin(&t, &set("60/60")).await.unwrap();
    free_member_leg(&t.running.relay.calls.billing).await;
    assert!(
        out.contains("a 1-minute call leg to it costs 0.22 CNY"),
        "{out}"
    );
    let e = admin(
        &t,
        &[
            "tariff",
            "set",
            "--prefix",
            "86",
            "--connect-fee",
            "1",
            "--per-minute",
            "1",
        ],
    )
    .await
    .unwrap_err();
    assert!(e.contains("prefix '86'"), "{e}");
    let e = admin(
        &t,
        &[
            "tariff",
            "set",
            "--prefix",
            "+1",
            "--connect-fee",
            "-1",
            "--per-minute",
            "1",
        ],
    )
    .await
    .unwrap_err();
    assert!(e.contains("connect fee"), "{e}");
    let out = admin(&t, &["tariff", "list"]).await.unwrap();
    assert!(out.contains("+86\t10\t12\t60/60"), "{out}");

    let credit = |who: &'static str, name: &'static str, amount: &'static str| {
        [
            "account", "credit", who, name, "--amount", amount, "--note", "top-up",
        ]
    };
    let out = admin(&t, &credit("--member", ALICE, "1000")).await.unwrap();
    assert!(
        out.contains("credited 10.00 CNY to member +8613800138000"),
        "{out}"
    );
    let e = admin(&t, &credit("--member", ALICE, "-5"))
        .await
        .unwrap_err();
    assert!(e.contains("positive number of fen"), "{e}");
    let e = admin(&t, &credit("--member", "+8613700137000", "5"))
        .await
        .unwrap_err();
    assert!(e.contains("no member with number +8613700137000"), "{e}");
    let e = admin(&t, &credit("--site", "nope", "5")).await.unwrap_err();
    assert!(e.contains("no site with key 'nope'"), "{e}");
    let e = admin(&t, &credit("--sponsor", "Acme", "5"))
        .await
        .unwrap_err();
    assert!(e.contains("sponsor create --name Acme"), "{e}");
    let e = admin(
        &t,
        &[
            "account", "credit", "--member", ALICE, "--site", SITE, "--amount", "5",
        ],
    )
    .await
    .unwrap_err();
    assert!(e.contains("cannot be used with"), "{e}");
    let out = admin(&t, &["sponsor", "create", "--name", "Acme"])
        .await
        .unwrap();
    assert!(out.contains("sponsor 'Acme' created"), "{out}");
    admin(&t, &credit("--sponsor", "Acme", "500"))
        .await
        .unwrap();
    let out = admin(&t, &["sponsor", "list"]).await.unwrap();
    let row = out.lines().nth(1).unwrap_or_default();
    assert!(row.ends_with("\tAcme\t500\t0"), "{out}");
    admin(&t, &credit("--site", SITE, "700")).await.unwrap();
    let out = admin(
        &t,
        &[
            "account", "adjust", "--site", SITE, "--amount", "-200", "--note", "refund",
        ],
    )
    .await
    .unwrap();
    assert!(out.contains("balance 5.00 CNY"), "{out}");
    let out = admin(
        &t,
        &["account", "cap", "--member", ALICE, "--amount", "300"],
    )
    .await
    .unwrap();
    assert!(out.contains("3.00 CNY"), "{out}");
    let e = admin(
        &t,
        &["account", "set-cap", "--member", ALICE, "--daily", "lots"],
    )
    .await
    .unwrap_err();
    assert!(e.contains("--amount 'lots'"), "{e}");

    let b = t.running.relay.calls.billing.clone();
    let (member, _) = ids(b.store()).await;
    let alice = b.account_for(&Payer::Member(member)).await.unwrap();
    let mut r = b
        .start_call(new_call(b.store(), "admin-1", alice).await)
        .await
        .unwrap();
    b.mark_bridged(&mut r, now_ms()).await.unwrap();
    let out = admin(&t, &["account", "show", "--member", ALICE])
        .await
        .unwrap();
    assert!(out.contains("balance     10.00 CNY (1000 fen)"), "{out}");
    assert!(
        out.contains("held        0.22 CNY by 1 call(s) in progress"),
        "{out}"
    );
    assert!(
        out.contains("daily cap   3.00 CNY; 0.22 CNY used today"),
        "{out}"
    );
    assert!(out.contains("equals the balance"), "{out}");
    b.settle(r, ended_after(30)).await.unwrap();
    let out = admin(&t, &["calls", "records", "--member", ALICE, "--limit", "5"])
        .await
        .unwrap();
    let row = out.lines().nth(1).unwrap_or_default();
    assert!(
        row.starts_with("admin-1\tended\t+8613800138000\t+8613900139000\tsales\t"),
        "{out}"
    );
    // covers #8 §5 Leg A: the record shows each leg's tariff and cost (leg A free here)
    assert!(
        row.contains("\t30\t22\t+86138\t0\t+86\t22\tmember hung up"),
        "{out}"
    );
    let e = admin(&t, &["calls", "records", "--limit", "0"])
        .await
        .unwrap_err();
    assert!(e.contains("--limit"), "{e}");
});
