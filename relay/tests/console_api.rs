//! The console's REST calls: staff accounts issued by a merchant admin (CHAT-6), settings,
//! canned responses with variables, transcripts and the dashboard, each authorized against
//! the caller's own site and role.

mod support;

use ringlink_protocol::console::*;
use serde_json::{json, Value};
use support::chat::*;

/// Eve, the admin of another site, signed in to her console.
async fn other_sites_admin(t: &support::TestRelay) -> (Console, StaffSignedIn) {
    other_site_with_eve(t).await;
    signed_in_console_on(t, "site_other", "eve").await
}

async fn call(
    t: &support::TestRelay,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, String) {
    let c = reqwest::Client::new();
    let url = t.http(path);
    let req = match method {
        "GET" => c.get(url),
        "POST" => c.post(url),
        "PUT" => c.put(url),
        _ => c.delete(url),
    };
    let req = req.bearer_auth(token);
    let req = match body {
        Some(b) => req.json(&b),
        None => req,
    };
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

// covers CHAT-6: a merchant admin issues staff accounts; an agent may not; another site's
// admin cannot touch them; the new agent signs in and is normal
both_dbs!(
    admins_issue_staff_accounts_for_their_own_site,
    |t: support::TestRelay| async move {
        let site = site_id(&t, support::SITE).await;
        staff_on(&t, site, "boss", "Boss", StaffRole::Admin).await;
        agent_account(&t, "li", "Li").await;
        let (_b, boss) = signed_in_console(&t, "boss").await;
        let (_l, li) = signed_in_console(&t, "li").await;
        let new = json!({"account": "wang", "password": support::PASSWORD, "name": "Wang", "number": "139 0013 9000", "role": "agent", "sms_offline": true});
        let (s, body) = call(
            &t,
            "POST",
            "/v1/console/staff",
            li.token.expose(),
            Some(new.clone()),
        )
        .await;
        assert_eq!(s, 403, "an agent may not issue accounts: {body}");
        let (s, body) = call(
            &t,
            "POST",
            "/v1/console/staff",
            boss.token.expose(),
            Some(new.clone()),
        )
        .await;
        assert_eq!(s, 201, "{body}");
        // The list says Wang chose SMS while offline: the console's edit form starts from it,
        // so saving a name change keeps it (the form used to turn it off).
        let (_, staff) = call(&t, "GET", "/v1/console/staff", boss.token.expose(), None).await;
        let staff: Value = serde_json::from_str(&staff).unwrap();
        let listed = staff
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["account"] == "wang");
        assert_eq!(listed.unwrap()["sms_offline"], true, "{staff}");
        let id = serde_json::from_str::<Value>(&body).unwrap()["id"]
            .as_i64()
            .unwrap();
        let (s, body) = call(
            &t,
            "POST",
            "/v1/console/staff",
            boss.token.expose(),
            Some(new),
        )
        .await;
        assert_eq!(s, 400, "{body}");
        assert!(body.contains("already has a staff account"), "{body}");
        let bad = json!({"account": "a b", "password": "short", "name": "X", "role": "agent"});
        let (s, body) = call(
            &t,
            "POST",
            "/v1/console/staff",
            boss.token.expose(),
            Some(bad),
        )
        .await;
        assert_eq!(s, 400, "{body}");
        let (_w, wang) = signed_in_console(&t, "wang").await;
        assert_eq!(wang.me.state, AgentState::Normal);
        assert_eq!(wang.me.number.as_deref(), Some("+8613900139000"));

        let (_e, eve) = other_sites_admin(&t).await;
        let edit = json!({"account": "wang", "password": "hijacked-password", "name": "Pwned", "role": "admin"});
        let (s, body) = call(
            &t,
            "PUT",
            &format!("/v1/console/staff/{id}"),
            eve.token.expose(),
            Some(edit),
        )
        .await;
        assert_eq!(s, 400, "another site's admin cannot edit: {body}");
        let (s, _) = call(
            &t,
            "DELETE",
            &format!("/v1/console/staff/{id}"),
            eve.token.expose(),
            None,
        )
        .await;
        assert_eq!(s, 400);
        let (_, list) = call(&t, "GET", "/v1/console/staff", eve.token.expose(), None).await;
        assert!(!list.contains("Wang"), "another site's staff list: {list}");
        let (s, _) = call(&t, "GET", "/v1/console/staff", "rl_forged", None).await;
        assert_eq!(s, 401);

        // Disabling ends the account's sessions.
        let (s, _) = call(
            &t,
            "DELETE",
            &format!("/v1/console/staff/{id}"),
            boss.token.expose(),
            None,
        )
        .await;
        assert_eq!(s, 204);
        let (s, _) = call(&t, "GET", "/v1/console/staff", wang.token.expose(), None).await;
        assert_eq!(s, 401);
    }
);

// covers CHAT-4, CHAT-5 settings: admins set capacity, grace, no-reply time and routing; nonsense is refused
both_dbs!(
    admins_change_the_sites_chat_settings,
    |t: support::TestRelay| async move {
        let site = site_id(&t, support::SITE).await;
        staff_on(&t, site, "boss", "Boss", StaffRole::Admin).await;
        let (_b, boss) = signed_in_console(&t, "boss").await;
        let (s, body) = call(&t, "GET", "/v1/console/settings", boss.token.expose(), None).await;
        assert_eq!(s, 200);
        let mut v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["capacity"], 3, "the default capacity");
        v["capacity"] = json!(5);
        v["routing"] = json!("random");
        let (s, body) = call(
            &t,
            "PUT",
            "/v1/console/settings",
            boss.token.expose(),
            Some(v.clone()),
        )
        .await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(
            ringlink_relay::chat::assign::settings(&t.running.relay, site)
                .await
                .capacity,
            5
        );
        v["capacity"] = json!(0);
        let (s, body) = call(
            &t,
            "PUT",
            "/v1/console/settings",
            boss.token.expose(),
            Some(v.clone()),
        )
        .await;
        assert_eq!(s, 400);
        assert!(body.contains("capacity"), "{body}");
        v["capacity"] = json!(2);
        v["call_button"] = json!("nosuch");
        let (s, body) = call(
            &t,
            "PUT",
            "/v1/console/settings",
            boss.token.expose(),
            Some(v),
        )
        .await;
        assert_eq!(s, 404, "{body}");
    }
);

// covers CHAT (canned responses, transcripts, dashboard)
both_dbs!(
    canned_responses_transcripts_and_the_dashboard,
    |t: support::TestRelay| async move {
        let site = site_id(&t, support::SITE).await;
        staff_on(&t, site, "boss", "Boss", StaffRole::Admin).await;
        agent_account(&t, "li", "Li").await;
        let (_b, boss) = signed_in_console(&t, "boss").await;
        let c = json!({"title": "hello", "text": "Hi, I'm {agent} of {site}. About {page}?"});
        let (s, body) = call(
            &t,
            "POST",
            "/v1/console/canned",
            boss.token.expose(),
            Some(c),
        )
        .await;
        assert_eq!(s, 201, "{body}");
        // Boss goes busy, so the visitor goes to Li.
        let (mut bc, _) = (_b, ());
        bc.request(ConsoleMsg::SetState(SetState {
            state: AgentState::Busy,
        }))
        .await;
        let (mut li_c, li) = signed_in_console(&t, "li").await;
        let (mut v, opened) = visitor(&t).await;
        v.request(say("hello", "1")).await;
        let conv = next_conversation(&mut li_c).await;
        let (_, body) = call(
            &t,
            "GET",
            &format!("/v1/console/canned?conversation={}", conv.id),
            li.token.expose(),
            None,
        )
        .await;
        assert!(
            body.contains("Hi, I'm Li of Test shop. About http://shop.test/shoes?size=42?"),
            "{body}"
        );
        li_c.request(ConsoleMsg::StaffSend(StaffSend {
            conversation: conv.id.clone(),
            text: "note: wants size 42".into(),
            client_id: "n".into(),
            attachment: None,
            internal: true,
        }))
        .await;
        li_c.request(reply_to(&conv.id, "we have it", "r")).await;
        let (s, staff_text) = call(
            &t,
            "GET",
            &format!("/v1/console/transcript/{}", conv.id),
            li.token.expose(),
            None,
        )
        .await;
        assert_eq!(s, 200);
        assert!(
            staff_text.contains("Li (internal note): note: wants size 42"),
            "{staff_text}"
        );
        let (s, visitor_text) = call(
            &t,
            "GET",
            "/v1/chat/transcript",
            opened.visitor.expose(),
            None,
        )
        .await;
        assert_eq!(s, 200);
        assert!(
            visitor_text.contains("Visitor: hello") && visitor_text.contains("Li: we have it"),
            "{visitor_text}"
        );
        assert!(
            !visitor_text.contains("internal"),
            "the visitor's transcript has no notes: {visitor_text}"
        );
        let (s, _) = call(&t, "GET", "/v1/console/dashboard", li.token.expose(), None).await;
        assert_eq!(s, 403, "the dashboard is for admins");
        let (s, body) = call(
            &t,
            "GET",
            "/v1/console/dashboard",
            boss.token.expose(),
            None,
        )
        .await;
        assert_eq!(s, 200);
        let d: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            d["chats_per_hour"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
                .sum::<u64>(),
            1
        );
        assert!(d["mean_first_response_secs"].is_number(), "{d}");
        let li_load = d["agents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == "Li")
            .unwrap()
            .clone();
        assert_eq!(
            (li_load["open"].as_u64(), li_load["served_today"].as_u64()),
            (Some(1), Some(1))
        );
    }
);

// covers #11 Admin (the site's CALL setup in the console): buttons, balance and calls per day,
// for the site's admins only
both_dbs!(
    admins_see_their_sites_call_setup,
    |t: support::TestRelay| async move {
        let site = site_id(&t, support::SITE).await;
        staff_on(&t, site, "boss", "Boss", StaffRole::Admin).await;
        agent_account(&t, "li", "Li").await;
        let relay = &t.running.relay;
        let spec = ringlink_relay::admin::ButtonSpec {
            site_key: support::SITE,
            key: "sales",
            label: "Sales",
            number: "+861065529988",
            payer: ringlink_protocol::call_me::PayerKind::Merchant,
            sponsor: None,
            capacity: Some(2),
        };
        ringlink_relay::admin::set_call_button(&relay.accounts, &relay.calls.guard, spec)
            .await
            .unwrap();
        let (_b, boss) = signed_in_console(&t, "boss").await;
        let (_l, li) = signed_in_console(&t, "li").await;
        let (s, _) = call(&t, "GET", "/v1/console/calls", li.token.expose(), None).await;
        assert_eq!(s, 403);
        let (s, body) = call(&t, "GET", "/v1/console/calls", boss.token.expose(), None).await;
        assert_eq!(s, 200, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["buttons"][0]["key"], "sales");
        assert_eq!(v["buttons"][0]["number"], "+861065529988");
        assert_eq!(v["balance"], 0);
        assert_eq!(v["per_day"].as_array().unwrap().len(), 14);
    }
);

// covers CHAT-6 (roles): every admin call is refused to an agent of the same site with 403 and
// changes nothing; another site's admin reaches none of this site's canned responses
both_dbs!(
    agents_are_refused_every_admin_call,
    |t: support::TestRelay| async move {
        let site = site_id(&t, support::SITE).await;
        staff_on(&t, site, "boss", "Boss", StaffRole::Admin).await;
        agent_account(&t, "li", "Li").await;
        let (_b, boss) = signed_in_console(&t, "boss").await;
        let (_l, li) = signed_in_console(&t, "li").await;
        let (s, body) = call(
            &t,
            "POST",
            "/v1/console/canned",
            boss.token.expose(),
            Some(json!({"title": "hi", "text": "Hello from {agent}"})),
        )
        .await;
        assert_eq!(s, 201, "{body}");
        let canned = serde_json::from_str::<Value>(&body).unwrap()["id"]
            .as_i64()
            .unwrap();
        let (_, staff) = call(&t, "GET", "/v1/console/staff", boss.token.expose(), None).await;
        let li_id = serde_json::from_str::<Value>(&staff)
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["account"] == "li")
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        let settings = json!({"capacity": 9});
        let edit = json!({"account": "li", "name": "Li", "role": "admin"});
        let refused: Vec<(&str, String, Option<Value>)> = vec![
            ("GET", "/v1/console/settings".into(), None),
            ("PUT", "/v1/console/settings".into(), Some(settings)),
            (
                "POST",
                "/v1/console/staff".into(),
                Some(
                    json!({"account": "x1", "password": support::PASSWORD, "name": "X", "role": "admin"}),
                ),
            ),
            ("PUT", format!("/v1/console/staff/{li_id}"), Some(edit)),
            ("DELETE", format!("/v1/console/staff/{li_id}"), None),
            (
                "POST",
                "/v1/console/canned".into(),
                Some(json!({"title": "t", "text": "x"})),
            ),
            ("DELETE", format!("/v1/console/canned/{canned}"), None),
            ("GET", "/v1/console/dashboard".into(), None),
            ("GET", "/v1/console/calls".into(), None),
        ];
        for (method, path, body) in refused {
            let (s, text) = call(&t, method, &path, li.token.expose(), body).await;
            assert_eq!(s, 403, "{method} {path} as an agent: {text}");
            assert!(text.contains("admins"), "the refusal says why: {text}");
        }
        // Nothing changed: Li is still an agent, the canned response and the settings stand.
        let (_, again) = call(&t, "GET", "/v1/console/staff", boss.token.expose(), None).await;
        assert!(again.contains("\"account\":\"li\""), "{again}");
        let (_, cs) = call(&t, "GET", "/v1/console/canned", li.token.expose(), None).await;
        assert!(
            cs.contains("Hello from Li"),
            "agents read canned responses, filled: {cs}"
        );
        assert_eq!(
            ringlink_relay::chat::assign::settings(&t.running.relay, site)
                .await
                .capacity,
            3
        );
        let (_, me) = signed_in_console(&t, "li").await;
        assert_eq!(me.me.role, StaffRole::Agent);

        let (_e, eve) = other_sites_admin(&t).await;
        let (s, _) = call(
            &t,
            "DELETE",
            &format!("/v1/console/canned/{canned}"),
            eve.token.expose(),
            None,
        )
        .await;
        assert_eq!(s, 400, "another site's canned response reads as unknown");
        let (_, theirs) = call(&t, "GET", "/v1/console/canned", eve.token.expose(), None).await;
        assert!(!theirs.contains("Hello"), "{theirs}");
    }
);
