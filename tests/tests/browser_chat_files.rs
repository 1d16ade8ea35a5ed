//! Chat files both ways (#11 "A file is sent both ways"): the visitor in Chromium attaches a
//! PNG in the chat panel, the agent (a console protocol client) gets the line and downloads the
//! same bytes with the console token; the agent sends a PDF, the visitor's panel shows it and
//! saves the same bytes (fetched with the visitor id, a link could not carry it); a stranger is
//! refused the file; an `.exe` renamed `.png` is refused with its reason shown in the panel.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

use ringlink_e2e::browser::Browser;
use ringlink_e2e::console::{addr, staff_add};
use ringlink_e2e::live_client::{self, CLIENT_IP};
use ringlink_e2e::shop::Shop;
use ringlink_e2e::{require, workspace};
use ringlink_protocol::chat::{Author, ChatOpen};
use ringlink_protocol::console::*;
use ringlink_protocol::secret::Secret;
use ringlink_protocol::widget::{RelayToWidget, WidgetMsg};

const WAIT: Duration = Duration::from_secs(30);
const PASSWORD: &str = "li-files-pass-1";
/// A 1x1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];
const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
/// The start of a Windows program.
const EXE: &[u8] = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00This program cannot be run in DOS mode.";

fn widget_built() -> bool {
    require(
        "the built widget",
        workspace().join("widget/dist/frame.js").exists(),
        "run scripts/build-widget.sh",
    )
}

/// One HTTP/1.1 request to the relay: the status and the body.
fn http(
    relay: SocketAddr,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: &[u8],
) -> (u16, Vec<u8>) {
    let mut s = std::net::TcpStream::connect(relay).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let auth = bearer
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {relay}\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(body).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let at = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP response");
    let head = String::from_utf8_lossy(&out[..at]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, out[at + 4..].to_vec())
}

// covers CHAT-1 (#11 attachments: images and PDF, checked by content, served only to the
// conversation's parties; "a file is sent both ways")
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_is_sent_both_ways_and_a_disguised_program_is_refused() {
    if !widget_built() {
        return;
    }
    let Some(b) = Browser::start().await else {
        return;
    };
    let shop = Shop::start("", &[]);
    let relay = addr(&shop);
    staff_add(&shop, "li", "Li", "agent", PASSWORD);
    let mut li = live_client::console(relay, &shop.relay_url).await.unwrap();
    let signed = li
        .request(
            ConsoleMsg::StaffSignIn(StaffSignIn {
                site: "demo".into(),
                account: "li".into(),
                password: Secret::new(PASSWORD),
            }),
            WAIT,
        )
        .await;
    let RelayToConsole::StaffSignedIn(signed) = signed else {
        panic!("sign-in answered with {signed:?}")
    };
    let token = signed.token.expose().to_owned();
    let files = tempfile::tempdir().unwrap();
    let (png, pdf, exe) = (
        files.path().join("teapot.png"),
        files.path().join("terms.pdf"),
        files.path().join("photo.png"),
    );
    std::fs::write(&png, PNG).unwrap();
    std::fs::write(&pdf, PDF).unwrap();
    std::fs::write(&exe, EXE).unwrap();

    // The visitor opens the chat and says hello: the conversation is Li's.
    b.goto(&format!("{}products/tea", shop.shop_url)).await;
    b.eval("window.ringlink.push(['chat']); return true;").await;
    b.type_into("[data-rl=chat-input]", "你好\u{E007}").await;
    let conv = li
        .wait_for(WAIT, |env| match &env.msg {
            RelayToConsole::Conversation(s) if s.visitor.is_some() => Some(s.id.clone()),
            _ => None,
        })
        .await
        .expect("the agent is given the conversation");

    // The visitor attaches a PNG: the agent gets the line and downloads the same bytes.
    let input = b.wait_for("[data-rl=chat-file]", WAIT).await;
    input.send_keys(png.to_str().unwrap()).await.unwrap();
    let got = li
        .wait_for(WAIT, |env| match &env.msg {
            RelayToConsole::Line(l) if l.attachment.is_some() => Some(l.clone()),
            _ => None,
        })
        .await
        .expect("the agent gets the visitor's file");
    assert_eq!(got.author, Author::Visitor);
    assert_eq!(got.conversation, conv);
    let a = got.attachment.unwrap();
    assert_eq!(
        (a.name.as_str(), a.mime.as_str()),
        ("teapot.png", "image/png")
    );
    let path = format!("/v1/chat/attachments/{}", a.id);
    let (status, body) = http(relay, "GET", &path, Some(&token), b"");
    assert_eq!(status, 200);
    assert_eq!(body, PNG, "the agent downloads the bytes the visitor sent");
    b.wait_text("[data-rl=chat-lines]", "teapot.png", WAIT)
        .await;

    // A stranger (no token, or another visitor of the same site) is refused it.
    assert_eq!(http(relay, "GET", &path, None, b"").0, 401);
    let parent = shop.shop_url.trim_end_matches('/');
    let mut other = live_client::widget(relay, &shop.relay_url, parent, "demo", CLIENT_IP, &[])
        .await
        .unwrap();
    let r = other
        .request(WidgetMsg::ChatOpen(ChatOpen::default()), WAIT)
        .await;
    let RelayToWidget::ChatOpened(o) = r else {
        panic!("chat_open answered with {r:?}")
    };
    let (status, _) = http(relay, "GET", &path, Some(o.visitor.expose()), b"");
    assert_eq!(status, 404, "another visitor is refused the file");

    // The agent sends a PDF: the visitor's panel shows it, and saving it gets the same bytes.
    let (status, up) = http(
        relay,
        "POST",
        "/v1/chat/attachments?name=terms.pdf",
        Some(&token),
        PDF,
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&up));
    let up: serde_json::Value = serde_json::from_slice(&up).unwrap();
    let sent = li
        .request(
            ConsoleMsg::StaffSend(StaffSend {
                conversation: conv.clone(),
                text: "The terms".into(),
                client_id: "a-pdf".into(),
                attachment: up["id"].as_str().map(str::to_owned),
                internal: false,
            }),
            WAIT,
        )
        .await;
    assert!(!matches!(sent, RelayToConsole::Error(_)), "{sent:?}");
    b.wait_text("[data-rl=chat-lines]", "terms.pdf", WAIT).await;
    // The frame saves through a blob URL and an <a download>. The test keeps the Blob the URL
    // was made of and the link's file name (the frame's CSP rightly lets no script fetch a
    // blob: URL back, and a headless download leaves nothing to read).
    b.eval_in_frame(
        "window.__saved = null;
         const made = URL.createObjectURL;
         URL.createObjectURL = function (blob) { window.__blob = blob; return made.call(URL, blob); };
         HTMLAnchorElement.prototype.click = function () {
           const name = this.download;
           window.__blob.arrayBuffer().then(buf => {
             window.__saved = { name: name, bytes: Array.from(new Uint8Array(buf)) };
           });
         };
         const files = [...document.querySelectorAll('[data-rl=chat-attachment]')];
         files.find(e => e.textContent.includes('terms.pdf')).click();
         return true;",
    )
    .await;
    let saved = b
        .frame_until(
            "return window.__saved;",
            "the PDF was never saved",
            WAIT,
            |v| !v.is_null(),
        )
        .await;
    assert_eq!(saved["name"], "terms.pdf");
    let bytes: Vec<u8> = saved["bytes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_u64().unwrap() as u8)
        .collect();
    assert_eq!(bytes, PDF, "the visitor saves the bytes the agent sent");

    // A program renamed .png is refused, and the panel says why.
    let input = b.wait_for("[data-rl=chat-file]", WAIT).await;
    input.send_keys(exe.to_str().unwrap()).await.unwrap();
    b.wait_text(
        "[data-rl=chat-file-refused]",
        "only images (PNG, JPEG, GIF, WebP) and PDF files can be sent",
        WAIT,
    )
    .await;
    let stray = li
        .drain(Duration::from_secs(1))
        .await
        .into_iter()
        .any(|env| matches!(&env.msg, RelayToConsole::Line(l) if l.attachment.as_ref().is_some_and(|a| a.name == "photo.png")));
    assert!(!stray, "the refused file never reached the agent");
}
