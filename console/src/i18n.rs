//! The console's words in Chinese and English, and the choice between them (the browser's
//! language, then the agent's toggle).

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    /// `zh`, `zh-CN`, `zh-Hant-TW` → Chinese; anything else → English.
    pub fn from_tag(tag: &str) -> Lang {
        if tag.trim().to_ascii_lowercase().starts_with("zh") {
            Lang::Zh
        } else {
            Lang::En
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    pub fn text(self) -> &'static Text {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }
}

pub struct Text {
    pub title: &'static str,
    pub switch_to: &'static str,
    pub sign_in: &'static str,
    pub signing_in: &'static str,
    pub site_key: &'static str,
    pub account: &'static str,
    pub password: &'static str,
    pub reconnecting: &'static str,
    pub normal: &'static str,
    pub busy: &'static str,
    pub offline: &'static str,
    pub unread: &'static str,
    pub sign_out: &'static str,
    pub visitors: &'static str,
    pub colleague_chats: &'static str,
    pub colleagues: &'static str,
    pub no_conversations: &'static str,
    pub visitor: &'static str,
    pub visitor_left: &'static str,
    pub ended: &'static str,
    pub waiting: &'static str,
    pub offer_from: &'static str,
    pub accept: &'static str,
    pub decline: &'static str,
    pub seconds_left: &'static str,
    pub pick_conversation: &'static str,
    pub visitor_info: &'static str,
    pub ip: &'static str,
    pub time: &'static str,
    pub site: &'static str,
    pub page: &'static str,
    pub referrer: &'static str,
    pub lang: &'static str,
    pub member: &'static str,
    pub type_here: &'static str,
    pub send: &'static str,
    /// The composer's file input (images and PDF).
    pub attach: &'static str,
    pub cancel_file: &'static str,
    /// After a conversation's first matching line: how many lines matched (`{n}`).
    pub hit_lines: &'static str,
    pub internal_note: &'static str,
    pub internal_label: &'static str,
    pub is_typing: &'static str,
    pub read: &'static str,
    pub close: &'static str,
    pub transfer: &'static str,
    pub transfer_to: &'static str,
    pub transfer_note: &'static str,
    pub transfer_sent: &'static str,
    pub search: &'static str,
    pub search_placeholder: &'static str,
    pub no_hits: &'static str,
    pub left_messages: &'static str,
    pub no_left_messages: &'static str,
    pub answer: &'static str,
    pub answered: &'static str,
    pub by_sms: &'static str,
    pub system: &'static str,
    pub new_visitor: &'static str,
    pub new_offer: &'static str,
    pub add_staff: &'static str,
    pub staff_name: &'static str,
    pub role: &'static str,
    pub agent: &'static str,
    pub admin: &'static str,
    pub staff_added: &'static str,
    pub browsing_now: &'static str,
    pub no_browsing: &'static str,
    pub invite: &'static str,
    pub invite_text: &'static str,
}

pub static EN: Text = Text {
    title: "Ringlink console",
    switch_to: "中文",
    sign_in: "Sign in",
    signing_in: "Signing in…",
    site_key: "Site key",
    account: "Account",
    password: "Password",
    reconnecting: "Connection lost: reconnecting…",
    normal: "Normal",
    busy: "Busy",
    offline: "Offline",
    unread: "unread",
    sign_out: "Sign out",
    visitors: "Visitors",
    colleague_chats: "Colleague chats",
    colleagues: "Colleagues",
    no_conversations: "No conversations yet.",
    visitor: "Visitor",
    visitor_left: "visitor left",
    ended: "ended",
    waiting: "waiting",
    offer_from: "Transfer from",
    accept: "Accept",
    decline: "Decline",
    seconds_left: "s left",
    pick_conversation: "Pick a conversation on the left.",
    visitor_info: "Visitor",
    ip: "IP",
    time: "First message",
    site: "Site",
    page: "Page",
    referrer: "Came from",
    lang: "Language",
    member: "Member",
    type_here: "Type a reply (Enter sends, Shift+Enter for a new line)",
    send: "Send",
    attach: "Attach a file",
    cancel_file: "Do not send this file",
    hit_lines: "({n} lines match)",
    internal_note: "Internal note (the visitor does not see it)",
    internal_label: "internal note",
    is_typing: "is typing…",
    read: "read",
    close: "Close",
    transfer: "Transfer",
    transfer_to: "To",
    transfer_note: "Note for the colleague",
    transfer_sent: "Transfer offered; waiting for the colleague.",
    search: "Search",
    search_placeholder: "Search conversations",
    no_hits: "Nothing found.",
    left_messages: "Left messages",
    no_left_messages: "No left messages.",
    answer: "Answer",
    answered: "answered",
    by_sms: "reply by SMS",
    system: "Ringlink",
    new_visitor: "A new visitor",
    new_offer: "A transfer is offered",
    add_staff: "Add a staff account",
    staff_name: "Name shown to visitors",
    role: "Role",
    agent: "Agent",
    admin: "Admin",
    staff_added: "Staff account added.",
    browsing_now: "Browsing now",
    no_browsing: "Nobody is on the site now.",
    invite: "Invite to chat",
    invite_text: "Hello! Can I help you find something?",
};

pub static ZH: Text = Text {
    title: "Ringlink 客服台",
    switch_to: "English",
    sign_in: "登录",
    signing_in: "正在登录…",
    site_key: "站点密钥",
    account: "账号",
    password: "密码",
    reconnecting: "连接已断开，正在重连…",
    normal: "在线",
    busy: "忙碌",
    offline: "离线",
    unread: "未读",
    sign_out: "退出",
    visitors: "访客",
    colleague_chats: "同事会话",
    colleagues: "同事",
    no_conversations: "暂无会话。",
    visitor: "访客",
    visitor_left: "访客已离开",
    ended: "已结束",
    waiting: "排队中",
    offer_from: "转接自",
    accept: "接受",
    decline: "拒绝",
    seconds_left: "秒",
    pick_conversation: "请在左侧选择一个会话。",
    visitor_info: "访客信息",
    ip: "IP",
    time: "首条消息",
    site: "站点",
    page: "页面",
    referrer: "来源",
    lang: "语言",
    member: "会员",
    type_here: "输入回复（回车发送，Shift+回车换行）",
    send: "发送",
    attach: "发送文件",
    cancel_file: "不发送此文件",
    hit_lines: "（{n} 条匹配）",
    internal_note: "内部备注（访客看不到）",
    internal_label: "内部备注",
    is_typing: "正在输入…",
    read: "已读",
    close: "结束会话",
    transfer: "转接",
    transfer_to: "转给",
    transfer_note: "给同事的备注",
    transfer_sent: "已发起转接，等待同事接受。",
    search: "搜索",
    search_placeholder: "搜索会话记录",
    no_hits: "没有找到。",
    left_messages: "留言",
    no_left_messages: "暂无留言。",
    answer: "回复",
    answered: "已回复",
    by_sms: "短信回复",
    system: "Ringlink",
    new_visitor: "新访客",
    new_offer: "有同事发起转接",
    add_staff: "添加客服账号",
    staff_name: "对访客显示的名字",
    role: "角色",
    agent: "客服",
    admin: "管理员",
    staff_added: "客服账号已添加。",
    browsing_now: "正在浏览",
    no_browsing: "现在没有访客在浏览网站。",
    invite: "邀请对话",
    invite_text: "您好！有什么可以帮您的吗？",
};

impl Text {
    pub fn state(&self, s: ringlink_protocol::console::AgentState) -> &'static str {
        use ringlink_protocol::console::AgentState::*;
        match s {
            Normal => self.normal,
            Busy => self.busy,
            Offline => self.offline,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_browsers_get_chinese() {
        assert_eq!(Lang::from_tag("zh-CN"), Lang::Zh);
        assert_eq!(Lang::from_tag("ZH-hant-TW"), Lang::Zh);
        assert_eq!(Lang::from_tag("en-US"), Lang::En);
        assert_eq!(Lang::from_tag(""), Lang::En);
        assert_eq!(Lang::Zh.other(), Lang::En);
    }
}
