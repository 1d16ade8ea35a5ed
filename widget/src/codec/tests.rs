//! The codec's tests: every relay message read as serde writes it, every request written as serde
//! would, and the wire names of codes, states, stages and payers.

use super::*;
use ringlink_protocol::account::CodePurpose;
use ringlink_protocol::Envelope;
use serde_json::Value;

impl Json for Value {
    fn field(&self, key: &str) -> Option<Self> {
        self.get(key).filter(|v| !v.is_null()).cloned()
    }
    fn text(&self) -> Option<String> {
        self.as_str().map(str::to_owned)
    }
    fn uint(&self) -> Option<u64> {
        self.as_u64()
    }
    fn int(&self) -> Option<i64> {
        self.as_i64()
    }
    fn flag(&self) -> Option<bool> {
        self.as_bool()
    }
    fn items(&self) -> Option<Vec<Self>> {
        self.as_array().cloned()
    }
}

fn number(n: &str) -> E164 {
    E164::new(n).unwrap()
}

/// One of every message the relay sends.
fn relay_messages() -> Vec<RelayToWidget> {
    let mut all = vec![
        RelayToWidget::SignedIn(SignedIn {
            token: Secret::new("tok-\"quoted\""),
            member: number("+8613800138000"),
            expires_at: 1_900_000_000,
        }),
        RelayToWidget::SignedOut(SignedOut {}),
        RelayToWidget::DialAccepted(DialAccepted {
            call_id: "c1".into(),
            number: number("+861065529988"),
            device: "d1".into(),
        }),
        RelayToWidget::Paired(Paired {
            device: "d1".into(),
            name: "Pixel 8".into(),
        }),
        RelayToWidget::Pong(Pong {}),
        RelayToWidget::Presence(Presence { agents: vec![] }),
        RelayToWidget::Presence(Presence {
            agents: vec![AgentInfo {
                device: "d1".into(),
                name: "Pixel 8".into(),
                backend: "at".into(),
                confirm: true,
            }],
        }),
    ];
    for (i, state) in CALL_STATES.into_iter().enumerate() {
        all.push(RelayToWidget::CallState(CallEvent {
            call_id: "c1".into(),
            number: number("+861065529988"),
            device: "d1".into(),
            state,
            detail: (i % 2 == 0).then(|| "BUSY".to_owned()),
            seq: i as u64 + 1,
            at: 1_800_000_000,
        }));
    }
    for (payer, sponsor, price) in [
        (PayerKind::Member, None, Some(12)),
        (PayerKind::Merchant, None, None),
        (
            PayerKind::Sponsor,
            Some("Tea Expo \"2026\"".to_owned()),
            None,
        ),
    ] {
        all.push(RelayToWidget::CallOffer(CallOffer {
            button: "sales".into(),
            label: "Sales 销售".into(),
            callback: number("+8613800138000"),
            verified: if price.is_some() {
                vec![number("+8613800138000"), number("+8613900139000")]
            } else {
                vec![]
            },
            payer,
            sponsor,
            per_minute: price,
            connect_fee: price.map(|p| p - 2),
            member_per_minute: price.map(|p| p + 3),
            member_connect_fee: price.map(|p| p - 1),
            currency: "CNY".into(),
        }));
    }
    all.push(RelayToWidget::CodeSent(CodeSent {
        number: number("+8613900139000"),
        expires_in: 300,
    }));
    all.push(RelayToWidget::NumberVerified(NumberVerified {
        number: number("+8613900139000"),
    }));
    all.push(RelayToWidget::CallPlaced(CallPlaced {
        call_id: "k1".into(),
        callback: number("+8613900139000"),
        label: "Sales".into(),
        payer: PayerKind::Merchant,
    }));
    all.push(RelayToWidget::HungUp(HungUp {}));
    for (i, stage) in STAGES.into_iter().enumerate() {
        let on = i >= 3;
        all.push(RelayToWidget::CallProgress(CallProgress {
            call_id: "k1".into(),
            stage,
            seconds: on.then_some(65),
            cost: on.then_some(24),
            ends_in: (stage == CallStage::CreditLow).then_some(55),
            reason: stage.is_final().then_some(CallEndReason::MerchantBusy),
            seq: 20 + i as u64,
            at: 1_800_000_000,
        }));
    }
    // covers CHAT-1: every chat frame reaches the panel unchanged
    let staff = Author::Staff {
        id: 7,
        name: "李 \"Li\"".into(),
    };
    let line = ChatLine {
        conversation: "cv_1".into(),
        seq: 41,
        author: staff.clone(),
        text: "有的\n黑色".into(),
        attachment: Some(AttachmentRef {
            id: "at_1".into(),
            name: "chart.pdf".into(),
            mime: "application/pdf".into(),
            bytes: 1234,
        }),
        internal: false,
        at: 1_800_000_000_000,
        client_id: Some("c1".into()),
    };
    let plain = ChatLine {
        author: Author::Visitor,
        attachment: None,
        client_id: None,
        ..line.clone()
    };
    let waiting = ChatStatus {
        conversation: "cv_1".into(),
        state: ConversationState::Waiting,
        agent: None,
        queue: Some(QueuePlace {
            position: 3,
            wait_secs: 240,
        }),
        offer: Some(NoAgentOffer {
            call_button: Some("sales".into()),
            leave_message: true,
        }),
    };
    let active = ChatStatus {
        state: ConversationState::Active,
        agent: Some("Li".into()),
        queue: None,
        offer: None,
        ..waiting.clone()
    };
    all.extend([
        RelayToWidget::ChatOpened(ChatOpened {
            visitor: Secret::new("rl_v"),
            status: None,
            agents_online: 0,
            unread: 0,
            offer: Some(NoAgentOffer {
                call_button: Some("sales".into()),
                leave_message: true,
            }),
        }),
        RelayToWidget::ChatOpened(ChatOpened {
            visitor: Secret::new("rl_v"),
            status: Some(active.clone()),
            agents_online: 2,
            unread: 5,
            offer: None,
        }),
        RelayToWidget::ChatSent(ChatSent {
            line: plain.clone(),
        }),
        RelayToWidget::ChatAck(ChatAck {}),
        RelayToWidget::MessageLeft(MessageLeft {}),
        RelayToWidget::Line(line),
        RelayToWidget::Line(ChatLine {
            author: Author::System,
            ..plain
        }),
        RelayToWidget::ChatStatus(waiting),
        RelayToWidget::ChatStatus(ChatStatus {
            state: ConversationState::Ended,
            agent: None,
            ..active.clone()
        }),
        RelayToWidget::ChatStatus(active),
        RelayToWidget::Typing(TypingNotice {
            conversation: "cv_1".into(),
            who: staff.clone(),
            typing: true,
        }),
        RelayToWidget::Read(ReadNotice {
            conversation: "cv_1".into(),
            who: staff,
            upto: 41,
        }),
        RelayToWidget::Invited(Invited {
            invite: "INV".into(),
            agent: "Li".into(),
            text: "Need help?".into(),
        }),
    ]);
    for code in ERROR_CODES {
        all.push(RelayToWidget::Error(ErrorBody {
            code,
            message: "what to do next".into(),
            retry_after: (code == ErrorCode::RateLimited).then_some(30),
        }));
    }
    all
}

#[test]
fn every_relay_message_reads_as_serde_writes_it() {
    // covers DIAL-3, DIAL-5, CALL-3, CALL-6: presence, call states, offers and progress
    // reach the page unchanged
    for msg in relay_messages() {
        for env in [
            Envelope::push(msg.clone()),
            Envelope::reply(Some(42), msg.clone()),
        ] {
            let wire: Value = serde_json::from_str(&ringlink_protocol::encode(&env)).unwrap();
            assert_eq!(decode(&wire), Some((env.re, msg.clone())), "{wire}");
        }
    }
}

#[test]
fn unreadable_frames_are_refused_and_new_error_codes_read_as_internal() {
    let frame = |s: &str| decode(&serde_json::from_str::<Value>(s).unwrap());
    assert_eq!(frame(r#"{"msg":{"type":"launch","data":{}}}"#), None);
    assert_eq!(
        frame(r#"{"msg":{"type":"paired","data":{"device":"d"}}}"#),
        None
    );
    assert_eq!(
        frame(
            r#"{"msg":{"type":"dial_accepted","data":{"call_id":"c","number":"12","device":"d"}}}"#
        ),
        None,
        "numbers must be E.164"
    );
    let (_, msg) =
        frame(r#"{"msg":{"type":"error","data":{"code":"brand_new","message":"m"}}}"#).unwrap();
    assert!(matches!(msg, RelayToWidget::Error(e) if e.code == ErrorCode::Internal));
}

#[test]
fn every_request_is_written_as_serde_writes_it() {
    // covers DIAL-2, DIAL-4, DIAL-5, CALL-3, CALL-5: what the relay decodes is what the
    // widget meant
    let msgs = [
        WidgetMsg::SignIn(SignIn {
            number: "138 0013 8000".into(),
            password: Secret::new("pa\"ss\\w\nord\u{1}密码"),
        }),
        WidgetMsg::Resume(Resume {
            token: Secret::new("tok"),
            since: None,
        }),
        WidgetMsg::Resume(Resume {
            token: Secret::new("tok"),
            since: Some(17),
        }),
        WidgetMsg::SignOut(SignOut {}),
        WidgetMsg::Dial(Dial {
            number: "010 6552 9988".into(),
            device: None,
            client_id: None,
        }),
        WidgetMsg::Dial(Dial {
            number: "+8613900139000".into(),
            device: Some("d1".into()),
            client_id: Some("w1".into()),
        }),
        WidgetMsg::ConfirmPairing(ConfirmPairing {
            code: "AB12CD34".into(),
        }),
        WidgetMsg::Ping(Ping {}),
        WidgetMsg::CallOptions(CallOptions {
            button: "sales".into(),
        }),
        WidgetMsg::SendCode(SendCode {
            number: "139 0013 9000".into(),
            lang: Some("en".into()),
        }),
        WidgetMsg::SendCode(SendCode {
            number: "139 0013 9000".into(),
            lang: None,
        }),
        WidgetMsg::VerifyCode(VerifyCode {
            number: "+8613900139000".into(),
            code: "123456".into(),
        }),
        WidgetMsg::CallMe(CallMe {
            button: "sales".into(),
            callback: "+8613900139000".into(),
            client_id: Some("w1".into()),
            lang: Some("en".into()),
        }),
        WidgetMsg::CallMe(CallMe {
            button: "售后\"x\"".into(),
            callback: "13800138000".into(),
            client_id: None,
            lang: None,
        }),
        WidgetMsg::HangUp(HangUp {
            call_id: "k1".into(),
        }),
        // covers #9 §2: sign-up and reset frames are what the relay decodes
        WidgetMsg::AskAccountCode(AskAccountCode {
            number: "138 0013 8000".into(),
            purpose: CodePurpose::SignUp,
            lang: Some("zh".into()),
        }),
        WidgetMsg::AskAccountCode(AskAccountCode {
            number: "+8613800138000".into(),
            purpose: CodePurpose::Reset,
            lang: None,
        }),
        WidgetMsg::SignUp(SignUp {
            number: "+8613800138000".into(),
            code: "123456".into(),
            password: Secret::new("new \"pass\""),
            name: Some("李伟".into()),
        }),
        WidgetMsg::SignUp(SignUp {
            number: "+8613800138000".into(),
            code: "123456".into(),
            password: Secret::new("new pass"),
            name: None,
        }),
        WidgetMsg::ResetPassword(ResetPassword {
            number: "+8613800138000".into(),
            code: "654321".into(),
            password: Secret::new("another one"),
        }),
        // covers CHAT-1, CHAT-8: the visitor's chat requests
        WidgetMsg::ChatOpen(ChatOpen::default()),
        WidgetMsg::ChatOpen(ChatOpen {
            visitor: Some(Secret::new("rl_v")),
            page: Some("https://shop.example/a?b=\"c\"".into()),
            referrer: Some("https://search.example/".into()),
            lang: Some("zh-CN".into()),
            since: Some(40),
            invite: Some("INV".into()),
        }),
        WidgetMsg::ChatSend(ChatSend {
            text: "你好\n有货吗？".into(),
            client_id: "c1".into(),
            attachment: None,
        }),
        WidgetMsg::ChatSend(ChatSend {
            text: String::new(),
            client_id: "c2".into(),
            attachment: Some("at_1".into()),
        }),
        WidgetMsg::ChatTyping(ChatTyping { typing: false }),
        WidgetMsg::ChatRead(ChatRead { upto: 41 }),
        WidgetMsg::ChatEnd(ChatEnd {
            rating: Some(5),
            comment: Some("很好".into()),
        }),
        WidgetMsg::ChatEnd(ChatEnd {
            rating: None,
            comment: None,
        }),
        WidgetMsg::LeaveMessage(LeaveMessage {
            name: "Zhang".into(),
            number: "138".into(),
            text: "call me".into(),
            reply_by_sms: true,
        }),
    ];
    for (i, msg) in msgs.into_iter().enumerate() {
        let ours = encode(i as u64, &msg);
        let theirs = ringlink_protocol::encode(&Envelope::request(i as u64, msg.clone()));
        let ours_v: Value = serde_json::from_str(&ours).unwrap();
        assert_eq!(
            ours_v,
            serde_json::from_str::<Value>(&theirs).unwrap(),
            "{ours}"
        );
        let back = ringlink_protocol::decode::<WidgetMsg>(&ours).unwrap();
        assert_eq!(back.msg, msg);
    }
}

#[test]
fn wire_names_match_the_derives() {
    for code in ERROR_CODES {
        assert_eq!(
            serde_json::to_value(code).unwrap().as_str(),
            Some(error_code_name(code))
        );
    }
    for state in CALL_STATES {
        assert_eq!(call_state(state.as_str()), Some(state));
    }
    for s in STAGES {
        assert_eq!(serde_json::to_value(s).unwrap().as_str(), Some(s.as_str()));
    }
    for p in [PayerKind::Member, PayerKind::Merchant, PayerKind::Sponsor] {
        let name = serde_json::to_value(p).unwrap();
        assert_eq!(payer(name.as_str().unwrap()), Some(p));
    }
}
