//! Cluster-wide claims in the shared database (#10 §1): a client id is placed once, however
//! many relays try it at once, and an expired claim can be taken again. Several relays share
//! PostgreSQL, so that is where this runs: on SQLite, parallel writers sometimes fail with
//! "unable to open database file" (SQLITE_CANTOPEN), the open problem the CALL code-attempt
//! test met too (one relay on SQLite keeps claims in memory, `live::local`).

mod support;

use support::*;

// covers #10 §1 claim: parallel claimants of one key, exactly one wins; expiry; purge
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_has_one_winner_and_expires() {
    let Some(t) = TestRelay::start(Db::Postgres).await else {
        return;
    };
    let store = t.running.relay.store.clone();
    let tries: Vec<_> = (0..16)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.claim("call-me:1:abc", 60).await.unwrap() })
        })
        .collect();
    let mut won = 0;
    for t in tries {
        won += usize::from(t.await.unwrap());
    }
    assert_eq!(won, 1, "one relay places it");
    assert!(store.claim("call-me:1:other", 60).await.unwrap());

    assert!(store.claim("short", 1).await.unwrap());
    assert!(!store.claim("short", 1).await.unwrap());
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(
        store.purge_claims().await.unwrap(),
        1,
        "only the expired one goes"
    );
    assert!(store.claim("short", 1).await.unwrap(), "free again");
}
