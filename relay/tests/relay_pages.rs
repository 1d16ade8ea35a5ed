//! The relay's own pages (#9 §6): the front page at `/` and the phone-setup help at
//! `/help/phone`, in English and Chinese, with the embed tag naming this relay, the links a
//! merchant and a member need, and a strict Content-Security-Policy (no script at all).

mod support;

use support::*;

struct Page {
    status: u16,
    csp: String,
    body: String,
}

async fn get(t: &TestRelay, path: &str, accept_language: Option<&str>) -> Page {
    let mut req = reqwest::Client::new().get(t.http(path));
    if let Some(l) = accept_language {
        req = req.header("accept-language", l);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let csp = res
        .headers()
        .get("content-security-policy")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "{path}"
    );
    Page {
        status,
        csp,
        body: res.text().await.unwrap(),
    }
}

/// No script may run on these pages, and nobody may frame them.
fn assert_strict(p: &Page) {
    assert!(p.csp.contains("default-src 'none'"), "{}", p.csp);
    assert!(!p.csp.contains("script-src"), "{}", p.csp);
    assert!(!p.csp.contains("unsafe-inline"), "{}", p.csp);
    assert!(p.csp.contains("frame-ancestors 'none'"), "{}", p.csp);
    assert!(!p.body.contains("<script"), "no script element: {}", p.body);
}

// covers #9 §6 the relay's page: a real page in both languages (Accept-Language, ?lang=),
// saying what Ringlink is, the embed tag with this relay's URL, and links to the console (with
// an honest note), the phone-setup help in the same language and the health check.
#[tokio::test]
async fn the_front_page_speaks_both_languages_and_gives_the_tag() {
    let t = TestRelay::start(Db::Sqlite).await.unwrap();
    let tag = format!(
        "&lt;script src=&quot;http://{}/widget/widget.js&quot; data-site=&quot;SITE_KEY&quot; async&gt;&lt;/script&gt;",
        t.base
    );

    let en = get(&t, "/", Some("en-GB,en;q=0.9")).await;
    assert_eq!(en.status, 200);
    assert_strict(&en);
    assert!(en.body.contains("<html lang=\"en\">"), "{}", en.body);
    assert!(en
        .body
        .contains("connects a shop&#39;s web site to its visitors by phone"));
    assert!(en.body.contains(&tag), "{}", en.body);
    assert!(en.body.contains("href=\"/console\""));
    assert!(en.body.contains("agents and admins sign in here"));
    assert!(en.body.contains("href=\"/help/phone?lang=en\""));
    assert!(en.body.contains("href=\"/healthz\""));
    assert!(
        en.body.contains("href=\"/?lang=zh\""),
        "a switch to Chinese"
    );

    let zh = get(&t, "/", Some("zh-CN,zh;q=0.9,en;q=0.8")).await;
    assert!(zh.body.contains("<html lang=\"zh\">"), "{}", zh.body);
    assert!(zh.body.contains("通过电话联系访客"), "{}", zh.body);
    assert!(zh.body.contains(&tag));
    assert!(zh.body.contains("href=\"/help/phone?lang=zh\""));
    assert!(!zh.body.contains("Health check") && zh.body.contains("健康检查"));

    let forced = get(&t, "/?lang=en", Some("zh-CN")).await;
    assert!(forced.body.contains("<html lang=\"en\">"));
    let forced = get(&t, "/?lang=zh", None).await;
    assert!(forced.body.contains("<html lang=\"zh\">"));
}

// covers #9 §6 the embed tag: with `public_url` set, the tag names it, not the request's Host.
#[tokio::test]
async fn the_tag_names_the_public_url() {
    let t = TestRelay::start_with(Db::Sqlite, |c| {
        c.public_url = Some("https://relay.example.org/".into())
    })
    .await
    .unwrap();
    let p = get(&t, "/", None).await;
    assert!(
        p.body
            .contains("&lt;script src=&quot;https://relay.example.org/widget/widget.js&quot;"),
        "{}",
        p.body
    );
}

// covers #9 §6 escaping: a Host header with markup never reaches the page as markup.
#[tokio::test]
async fn a_hostile_host_header_is_not_echoed() {
    let t = TestRelay::start(Db::Sqlite).await.unwrap();
    let res = reqwest::Client::new()
        .get(t.http("/help/phone"))
        .header("host", "x\"><b>y")
        .send()
        .await
        .unwrap();
    let body = res.text().await.unwrap();
    assert!(!body.contains("<b>y") && !body.contains("x\">"), "{body}");
}

// covers #9 §4/§6 phone-setup help: in words for Android with Termux, Linux phones and a USB
// modem, with the real ringlink-agent commands naming this relay, in both languages, at the
// URL the panel links to (`/help/phone?lang=xx`).
#[tokio::test]
async fn the_phone_help_page_has_the_setup_in_words_and_commands() {
    let t = TestRelay::start(Db::Sqlite).await.unwrap();
    let pair = format!("ringlink-agent pair --relay http://{}", t.base);
    for (query, lang, words) in [
        (
            "?lang=en",
            "en",
            ["Android, with Termux", "Linux phones", "USB modem"],
        ),
        (
            "?lang=zh",
            "zh",
            ["安卓手机（使用 Termux）", "Linux 手机", "USB 调制解调器"],
        ),
    ] {
        let p = get(&t, &format!("/help/phone{query}"), None).await;
        assert_eq!(p.status, 200);
        assert_strict(&p);
        assert!(
            p.body.contains(&format!("<html lang=\"{lang}\">")),
            "{}",
            p.body
        );
        for w in words {
            assert!(p.body.contains(w), "{lang}: {w}");
        }
        assert!(p.body.contains(&pair), "{}", p.body);
        assert!(p.body.contains("ringlink-agent run --backend modemmanager"));
        assert!(p
            .body
            .contains("ringlink-agent run --backend at --device /dev/ttyUSB0"));
        assert!(p.body.contains(
            "ringlink-agent run --backend command --command &quot;termux-telephony-call {number}&quot;"
        ));
        assert!(p.body.contains(&format!("href=\"/?lang={lang}\"")));
    }
    let browser = get(&t, "/help/phone", Some("zh-TW,zh;q=0.9")).await;
    assert!(browser.body.contains("<html lang=\"zh\">"));
}
