//! The chat panel's words (CHAT) in Chinese and English. `{…}` marks the value a template takes.

use super::Lang;

pub struct ChatText {
    pub title: &'static str,
    /// The panel's two tabs.
    pub tab_call: &'static str,
    pub tab_chat: &'static str,
    pub placeholder: &'static str,
    pub send: &'static str,
    pub waiting_for_agent: &'static str,
    /// `{n}`: the visitor's place in the queue.
    pub queue_place: &'static str,
    /// `{n}`: minutes, rounded up.
    pub queue_wait: &'static str,
    /// `{name}` is filled by the caller.
    pub serving: &'static str,
    pub typing: &'static str,
    pub read: &'static str,
    pub sending: &'static str,
    pub no_agent: &'static str,
    pub call_me_back: &'static str,
    pub leave_message: &'static str,
    pub your_name: &'static str,
    pub your_number: &'static str,
    pub reply_by_sms: &'static str,
    pub message_left: &'static str,
    pub end_chat: &'static str,
    pub ended: &'static str,
    pub rate: &'static str,
    pub thanks: &'static str,
    pub transcript: &'static str,
    pub attach: &'static str,
    pub you: &'static str,
}

pub static CHAT_EN: ChatText = ChatText {
    title: "Chat with us",
    tab_call: "Call",
    tab_chat: "Chat",
    placeholder: "Type a message",
    send: "Send",
    waiting_for_agent: "Waiting for an agent…",
    queue_place: "You are number {n} in the queue.",
    queue_wait: "About {n} min.",
    serving: "is serving you",
    typing: "is typing…",
    read: "Read",
    sending: "Sending…",
    no_agent: "No one is free to chat right now.",
    call_me_back: "Call me back",
    leave_message: "Leave a message",
    your_name: "Your name",
    your_number: "Your mobile number",
    reply_by_sms: "Reply to me by SMS",
    message_left: "Thank you: the shop will answer your message.",
    end_chat: "End chat",
    ended: "The chat has ended.",
    rate: "How did we do?",
    thanks: "Thank you for your rating.",
    transcript: "Download the transcript",
    attach: "Attach an image or PDF",
    you: "You",
};

pub static CHAT_ZH: ChatText = ChatText {
    title: "在线客服",
    tab_call: "电话",
    tab_chat: "在线聊天",
    placeholder: "输入消息",
    send: "发送",
    waiting_for_agent: "正在为您接通客服…",
    queue_place: "您排在第 {n} 位。",
    queue_wait: "大约 {n} 分钟。",
    serving: "正在为您服务",
    typing: "正在输入…",
    read: "已读",
    sending: "发送中…",
    no_agent: "现在没有空闲的客服。",
    call_me_back: "给我回电",
    leave_message: "留言",
    your_name: "您的称呼",
    your_number: "您的手机号码",
    reply_by_sms: "用短信回复我",
    message_left: "谢谢，商家会回复您的留言。",
    end_chat: "结束对话",
    ended: "对话已结束。",
    rate: "请为本次服务评分",
    thanks: "谢谢您的评分。",
    transcript: "下载聊天记录",
    attach: "发送图片或 PDF",
    you: "我",
};

impl Lang {
    pub fn chat(self) -> &'static ChatText {
        match self {
            Lang::Zh => &CHAT_ZH,
            Lang::En => &CHAT_EN,
        }
    }
}
