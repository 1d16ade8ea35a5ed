//! The phone-setup help page at `/help/phone` (`?lang=zh|en`): how a member connects their own
//! phone to Ringlink, in words, for Android with Termux, Linux phones and a USB modem; the
//! actual `ringlink-agent` commands, with this relay's URL, live here and not in the panel.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::home::relay_url;
use super::pages::{escape, page, PageLang};
use crate::Relay;

/// One section: a heading, a paragraph of words, and the commands (`{relay}` is the relay URL).
struct Section {
    heading: &'static str,
    words: &'static str,
    commands: &'static [&'static str],
}

struct Help {
    title: &'static str,
    intro: &'static str,
    sections: [Section; 5],
    back: &'static str,
}

const PAIR: &str = "ringlink-agent pair --relay {relay}";

const EN: Help = Help {
    title: "Set up your phone for Ringlink",
    intro: "Ringlink places calls from your own phone, on your own line and number. A small program, the Ringlink agent, runs on the phone and keeps one connection out to this relay; nothing is installed on your computer and no cable is needed. Once it runs, the call panel on a shop's page says your phone is connected.",
    sections: [
        Section {
            heading: "Android, with Termux",
            words: "Install Termux and Termux:API from F-Droid, and allow Termux:API to make phone calls. In Termux, install the tools, build the agent from the Ringlink source, and pair it: it prints a short code; type that code in the Ringlink panel on the shop's page, where you are signed in. Then start it; it dials through Android's phone app.",
            commands: &[
                "pkg install rust git termux-api",
                "cargo install --path phone-agent     # in a copy of the Ringlink source",
                PAIR,
                "ringlink-agent run --backend command --command \"termux-telephony-call {number}\"",
            ],
        },
        Section {
            heading: "Linux phones (postmarketOS, Mobian, PureOS…)",
            words: "Phones that run Linux with ModemManager dial through it over D-Bus. Build or install the agent on the phone, pair it the same way, and start it with the ModemManager backend.",
            commands: &[PAIR, "ringlink-agent run --backend modemmanager"],
        },
        Section {
            heading: "A USB modem or a phone on a serial port",
            words: "A computer with a GSM/LTE modem (USB stick or module with a SIM) dials with AT commands. Give the agent the modem's serial device.",
            commands: &[PAIR, "ringlink-agent run --backend at --device /dev/ttyUSB0"],
        },
        Section {
            heading: "Ask before each call",
            words: "Add --confirm to have the agent ask on the phone before it dials anything. Numbers outside the relay's usual destinations are always asked about.",
            commands: &["ringlink-agent run --backend modemmanager --confirm"],
        },
        Section {
            heading: "Sign in with your password instead of a code",
            words: "If you prefer, the agent can sign in with your Ringlink number and password (it asks for the password without showing it). It keeps its key in a file only you can read; revoke it any time by changing your password.",
            commands: &["ringlink-agent login --relay {relay} --number 13800138000"],
        },
    ],
    back: "Back to the Ringlink relay page",
};

const ZH: Help = Help {
    title: "为 Ringlink 设置您的手机",
    intro: "Ringlink 用您自己的手机、您自己的号码拨出电话。手机上运行一个小程序——Ringlink 代理，它会主动连接到本中继服务；电脑上不需要安装任何东西，也不需要数据线。代理运行后，网店页面上的通话面板会显示您的手机已连接。",
    sections: [
        Section {
            heading: "安卓手机（使用 Termux）",
            words: "从 F-Droid 安装 Termux 和 Termux:API，并允许 Termux:API 拨打电话。在 Termux 中安装工具，用 Ringlink 源代码编译代理，然后配对：代理会显示一个短配对码，在网店页面上已登录的 Ringlink 面板中输入这个配对码。最后启动代理，它会通过安卓的电话应用拨号。",
            commands: &[
                "pkg install rust git termux-api",
                "cargo install --path phone-agent     # 在 Ringlink 源代码目录中",
                PAIR,
                "ringlink-agent run --backend command --command \"termux-telephony-call {number}\"",
            ],
        },
        Section {
            heading: "Linux 手机（postmarketOS、Mobian、PureOS 等）",
            words: "运行 Linux 和 ModemManager 的手机通过 D-Bus 拨号。在手机上编译或安装代理，用同样的方法配对，然后用 ModemManager 方式启动。",
            commands: &[PAIR, "ringlink-agent run --backend modemmanager"],
        },
        Section {
            heading: "USB 调制解调器或串口上的手机",
            words: "带有 GSM/LTE 调制解调器（插有 SIM 卡的 USB 上网卡或模块）的电脑用 AT 指令拨号。把调制解调器的串口设备告诉代理即可。",
            commands: &[PAIR, "ringlink-agent run --backend at --device /dev/ttyUSB0"],
        },
        Section {
            heading: "每次拨号前先询问",
            words: "加上 --confirm，代理在拨出任何号码前都会先在手机上询问您。超出中继常用范围的号码总是会先询问。",
            commands: &["ringlink-agent run --backend modemmanager --confirm"],
        },
        Section {
            heading: "用密码登录，而不是配对码",
            words: "您也可以让代理用 Ringlink 号码和密码登录（输入密码时不会显示）。代理把登录凭据保存在只有您能读取的文件中；更改密码即可随时让它失效。",
            commands: &["ringlink-agent login --relay {relay} --number 13800138000"],
        },
    ],
    back: "返回 Ringlink 中继首页",
};

pub async fn page_for(
    State(relay): State<Arc<Relay>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let lang = PageLang::choose(query.get("lang").map(String::as_str), &headers);
    let help = match lang {
        PageLang::En => &EN,
        PageLang::Zh => &ZH,
    };
    let url = relay_url(&relay, &headers);
    let other = lang.other();
    let mut body = format!(
        "<nav><a href=\"/?lang={code}\">{back}</a><a href=\"/help/phone?lang={oc}\" lang=\"{oc}\" hreflang=\"{oc}\">{on}</a></nav>\
         <h1>{title}</h1><p>{intro}</p>",
        code = lang.code(),
        back = escape(help.back),
        oc = other.code(),
        on = other.name(),
        title = escape(help.title),
        intro = escape(help.intro),
    );
    for s in &help.sections {
        let commands: Vec<String> = s
            .commands
            .iter()
            .map(|c| escape(&c.replace("{relay}", &url)))
            .collect();
        body.push_str(&format!(
            "<h2>{}</h2><p>{}</p><pre><code>{}</code></pre>",
            escape(s.heading),
            escape(s.words),
            commands.join("\n")
        ));
    }
    page(lang, help.title, &body)
}
