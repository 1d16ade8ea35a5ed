//! Pairs every request with its response type, so a handler cannot answer a request with the
//! wrong message: it returns `R::Response`, and only the paired type fits.

use crate::account::{AskAccountCode, ResetPassword, SignUp};
use crate::agent::{AgentMsg, Hello, RelayToAgent, Welcome};
use crate::call_me::*;
use crate::chat::*;
use crate::console::*;
use crate::widget::*;

/// A request message and the one response type that answers it.
pub trait Request: Sized {
    /// The enum the request travels in.
    type Msg;
    /// The enum the response travels in.
    type Reply;
    /// The only response that answers this request.
    type Response: Into<Self::Reply>;
}

/// Pairs each request with its response type (a response may answer several requests).
macro_rules! pairs {
    ($msg:ty => $reply:ty: $(($req:ty, $resp:ident)),* $(,)?) => {
        $(
            impl Request for $req {
                type Msg = $msg;
                type Reply = $reply;
                type Response = $resp;
            }
        )*
    };
}

/// Lets each response travel in its reply enum, as the variant of the same name.
macro_rules! replies {
    ($reply:ty: $($resp:ident),* $(,)?) => {
        $(
            impl From<$resp> for $reply {
                fn from(value: $resp) -> Self {
                    <$reply>::$resp(value)
                }
            }
        )*
    };
}

// `Resume`, `SignUp` and `ResetPassword` share `SignedIn` with `SignIn`; an account code is
// answered like a callback code.
pairs!(WidgetMsg => RelayToWidget:
    (SignIn, SignedIn),
    (Resume, SignedIn),
    (SignUp, SignedIn),
    (ResetPassword, SignedIn),
    (SignOut, SignedOut),
    (Dial, DialAccepted),
    (ConfirmPairing, Paired),
    (Ping, Pong),
    (CallOptions, CallOffer),
    (SendCode, CodeSent),
    (AskAccountCode, CodeSent),
    (VerifyCode, NumberVerified),
    (CallMe, CallPlaced),
    (HangUp, HungUp),
    (ChatOpen, ChatOpened),
    (ChatSend, ChatSent),
    (ChatTyping, ChatAck),
    (ChatRead, ChatAck),
    (ChatEnd, ChatAck),
    (LeaveMessage, MessageLeft),
);
replies!(RelayToWidget: SignedIn, SignedOut, DialAccepted, Paired, Pong, CallOffer, CodeSent,
    NumberVerified, CallPlaced, HungUp, ChatOpened, ChatSent, ChatAck, MessageLeft);

pairs!(AgentMsg => RelayToAgent: (Hello, Welcome));
replies!(RelayToAgent: Welcome);

// The console's ping is the widget's (one `Request` impl per type): its socket answers it with
// the same `Pong`, which travels in `RelayToConsole` too.
pairs!(ConsoleMsg => RelayToConsole:
    (StaffSignIn, StaffSignedIn),
    (StaffResume, StaffSignedIn),
    (SetState, StateSet),
    (StaffSend, ChatSent),
    (StaffTyping, ChatAck),
    (StaffRead, ChatAck),
    (CloseConversation, ChatAck),
    (Transfer, ChatAck),
    (AnswerTransfer, ChatAck),
    (OpenColleague, Opened),
    (InviteVisitor, Opened),
    (GetHistory, History),
    (SearchChats, SearchHits),
    (AnswerLeftMessage, ChatAck),
);
replies!(RelayToConsole: StaffSignedIn, Pong, StateSet, ChatSent, ChatAck, Opened, History,
    SearchHits);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{decode, encode, Envelope};
    use crate::error::ErrorCode;

    fn reply<R: Request>(re: u64, resp: R::Response) -> Envelope<R::Reply> {
        Envelope::reply(Some(re), resp.into())
    }

    #[test]
    fn replies_carry_the_request_id() {
        let env = reply::<Ping>(7, Pong {});
        assert_eq!(encode(&env), r#"{"re":7,"msg":{"type":"pong","data":{}}}"#);
    }

    #[test]
    fn frames_round_trip() {
        let text = r#"{"id":3,"msg":{"type":"dial","data":{"number":"138 0013 8000"}}}"#;
        let env = decode::<WidgetMsg>(text).unwrap();
        assert_eq!(env.id, Some(3));
        assert!(
            matches!(env.msg, WidgetMsg::Dial(Dial { ref number, device: None, client_id: None }) if number == "138 0013 8000")
        );
    }

    #[test]
    fn malformed_frames_say_what_is_wrong() {
        let (id, e) =
            decode::<WidgetMsg>(r#"{"id":4,"msg":{"type":"launch_missiles"}}"#).unwrap_err();
        assert_eq!(id, Some(4));
        assert_eq!(e.code, ErrorCode::BadFrame);
        assert!(e.message.contains("launch_missiles"), "{}", e.message);

        let (_, e) = decode::<WidgetMsg>("not json").unwrap_err();
        assert_eq!(e.code, ErrorCode::BadFrame);

        let (id, e) = decode::<WidgetMsg>(
            r#"{"id":5,"msg":{"type":"dial","data":{"number":"1","extra":true}}}"#,
        )
        .unwrap_err();
        assert_eq!(id, Some(5));
        assert!(e.message.contains("extra"), "{}", e.message);
    }

    #[test]
    fn oversized_frames_and_fields_are_refused() {
        let big = format!(
            r#"{{"msg":{{"type":"dial","data":{{"number":"{}"}}}}}}"#,
            "1".repeat(20_000)
        );
        assert_eq!(
            decode::<WidgetMsg>(&big).unwrap_err().1.code,
            ErrorCode::FrameTooLarge
        );
        let long = format!(
            r#"{{"id":9,"msg":{{"type":"dial","data":{{"number":"{}"}}}}}}"#,
            "1".repeat(40)
        );
        let (id, e) = decode::<WidgetMsg>(&long).unwrap_err();
        assert_eq!((id, e.code), (Some(9), ErrorCode::BadField));
        assert!(e.message.contains("number"), "{}", e.message);
    }
}
