//! Getting in without an account, or without the password (#9 §2): "Create account" and
//! "Forgot password?" from the sign-in form. Step one asks the relay to send a code by SMS to
//! the number; step two sends the code with the new password (and an optional name), and the
//! relay's `SignedIn` signs the panel in like a sign-in. Also how the signed-in account is
//! written near "Sign out".

use ringlink_protocol::account::{AskAccountCode, CodePurpose, ResetPassword, SignUp};
use ringlink_protocol::call_me::CodeSent;
use ringlink_protocol::limits::MIN_PASSWORD;
use ringlink_protocol::secret::Secret;
use ringlink_protocol::widget::{RelayToWidget, WidgetMsg};
use ringlink_protocol::ErrorBody;

use super::{Asked, Model, Out, Session};
use crate::i18n::fill;

/// Where the visitor is in getting an account or a new password.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountFlow {
    pub purpose: CodePurpose,
    /// The number as typed in step one (kept when going back).
    pub number: String,
    /// Where the code went, once the relay said so: step two.
    pub code_sent: Option<CodeSent>,
    /// A request of this flow is on its way.
    pub busy: Option<Asked>,
}

impl Model {
    /// "Create account" or "Forgot password?" on the sign-in form.
    pub fn start_account(&mut self, purpose: CodePurpose) {
        self.account = Some(AccountFlow {
            purpose,
            number: String::new(),
            code_sent: None,
            busy: None,
        });
        self.error = None;
        self.notice = None;
    }

    /// Back to the sign-in form.
    pub fn leave_account(&mut self) {
        self.account = None;
        self.error = None;
        self.notice = None;
    }

    /// Step one: "Send code" to the typed number.
    pub fn ask_account_code(&mut self, number: &str) -> Vec<Out> {
        let lang = self.lang.code().to_owned();
        let need = self.lang.account().need_number;
        let Some(flow) = &mut self.account else {
            return Vec::new();
        };
        let number = number.trim();
        flow.number = number.to_owned();
        if number.is_empty() {
            self.error = Some(need.to_owned());
            return Vec::new();
        }
        flow.busy = Some(Asked::AskAccountCode);
        self.error = None;
        vec![Out::Send(WidgetMsg::AskAccountCode(AskAccountCode {
            number: number.to_owned(),
            purpose: flow.purpose,
            lang: Some(lang),
        }))]
    }

    /// Step two: the code and the new password (and for a new account, a name).
    pub fn finish_account(&mut self, code: &str, password: &str, name: &str) -> Vec<Out> {
        let a = self.lang.account();
        let Some(flow) = &mut self.account else {
            return Vec::new();
        };
        let Some(sent) = &flow.code_sent else {
            return Vec::new();
        };
        if code.trim().is_empty() {
            self.error = Some(a.need_code.to_owned());
            return Vec::new();
        }
        if password.chars().count() < MIN_PASSWORD {
            self.error = Some(fill(a.short_password, &MIN_PASSWORD.to_string()));
            return Vec::new();
        }
        let number = sent.number.to_string();
        let code = code.trim().to_owned();
        let password = Secret::new(password);
        let msg = match flow.purpose {
            CodePurpose::SignUp => {
                flow.busy = Some(Asked::SignUp);
                let name = name.trim();
                WidgetMsg::SignUp(SignUp {
                    number,
                    code,
                    password,
                    name: (!name.is_empty()).then(|| name.to_owned()),
                })
            }
            CodePurpose::Reset => {
                flow.busy = Some(Asked::ResetPassword);
                WidgetMsg::ResetPassword(ResetPassword {
                    number,
                    code,
                    password,
                })
            }
        };
        self.error = None;
        vec![Out::Send(msg)]
    }

    /// On the account screen: whether the code step is showing (`None` elsewhere). Focus
    /// moves to the code box when it appears.
    pub fn account_code_step(&self) -> Option<bool> {
        self.account.as_ref().map(|f| f.code_sent.is_some())
    }

    /// The socket dropped: a request of this flow is lost; its button comes back.
    pub(super) fn account_lost(&mut self) {
        if let Some(flow) = &mut self.account {
            flow.busy = None;
        }
    }

    /// "Use another number": back to step one, the number kept.
    pub fn account_other_number(&mut self) {
        if let Some(flow) = &mut self.account {
            flow.code_sent = None;
            flow.busy = None;
        }
        self.notice = None;
        self.error = None;
    }

    /// A reply to a request of this flow; `true` when it was one.
    pub(super) fn account_frame(
        &mut self,
        asked: Option<Asked>,
        msg: &RelayToWidget,
        out: &mut Vec<Out>,
    ) -> bool {
        let a = self.lang.account();
        match (asked, msg) {
            (Some(Asked::AskAccountCode), RelayToWidget::CodeSent(sent)) => {
                if let Some(flow) = &mut self.account {
                    flow.busy = None;
                    flow.code_sent = Some(sent.clone());
                    let minutes = sent.expires_in.div_ceil(60).to_string();
                    let notice = fill(
                        a.code_sent,
                        &super::written_number::written(sent.number.as_str()),
                    );
                    self.notice = Some(format!("{notice} {}", fill(a.code_valid, &minutes)));
                    self.error = None;
                }
                true
            }
            (Some(Asked::SignUp | Asked::ResetPassword), RelayToWidget::SignedIn(s)) => {
                let token = s.token.expose().to_owned();
                self.token = Some(token.clone());
                out.push(Out::SaveToken(token));
                self.session = Session::SignedIn {
                    member: s.member.to_string(),
                };
                let done = if asked == Some(Asked::SignUp) {
                    a.welcome
                } else {
                    a.password_changed
                };
                self.account = None;
                self.error = None;
                self.notice = Some(done.to_owned());
                self.call_me_resumed(out);
                true
            }
            _ => false,
        }
    }

    /// A refusal of a request of this flow: the form comes back with the message.
    pub(super) fn account_refused(&mut self, asked: Asked, _e: &ErrorBody) {
        if let Some(flow) = &mut self.account {
            if flow.busy == Some(asked) {
                flow.busy = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use crate::model::{Action, Screen};

    fn sent(number: &str) -> RelayToWidget {
        RelayToWidget::CodeSent(CodeSent {
            number: ringlink_protocol::E164::new(number).unwrap(),
            expires_in: 600,
        })
    }

    #[test]
    fn sign_up_asks_a_code_then_signs_in_with_it() {
        // covers #9 §2 sign-up: number -> SMS code -> code + password + name -> signed in
        let mut m = Model::new(Lang::En, None);
        m.apply(Action::Connected);
        m.apply(Action::StartAccount(CodePurpose::SignUp));
        assert_eq!(m.screen(), Screen::Account);
        let out = m.apply(Action::AskAccountCode("138 0013 8000".into()));
        let [Out::Send(WidgetMsg::AskAccountCode(ask))] = out.as_slice() else {
            panic!("{out:?}")
        };
        assert_eq!(ask.purpose, CodePurpose::SignUp);
        assert_eq!(ask.lang.as_deref(), Some("en"));
        m.apply(Action::Frame(
            Some(Asked::AskAccountCode),
            sent("+8613800138000"),
        ));
        let notice = m.notice.clone().unwrap();
        assert!(notice.contains("138 0013 8000"), "{notice}");
        assert!(m.account.as_ref().unwrap().code_sent.is_some());

        let out = m.apply(Action::FinishAccount {
            code: "123456".into(),
            password: "short".into(),
            name: String::new(),
        });
        assert!(out.is_empty());
        assert!(m.error.as_deref().unwrap().contains("8"), "{:?}", m.error);

        let out = m.apply(Action::FinishAccount {
            code: " 123456 ".into(),
            password: "correct horse".into(),
            name: "Li Wei".into(),
        });
        let [Out::Send(WidgetMsg::SignUp(s))] = out.as_slice() else {
            panic!("{out:?}")
        };
        assert_eq!(
            (s.code.as_str(), s.name.as_deref()),
            ("123456", Some("Li Wei"))
        );
        let out = m.apply(Action::Frame(
            Some(Asked::SignUp),
            RelayToWidget::SignedIn(ringlink_protocol::widget::SignedIn {
                token: Secret::new("tok"),
                member: ringlink_protocol::E164::new("+8613800138000").unwrap(),
                expires_at: 1,
            }),
        ));
        assert!(out.contains(&Out::SaveToken("tok".into())), "{out:?}");
        assert!(m.account.is_none());
        assert!(matches!(m.session, Session::SignedIn { .. }));
    }

    #[test]
    fn a_refused_reset_keeps_the_form_with_the_reason() {
        let mut m = Model::new(Lang::Zh, None);
        m.apply(Action::StartAccount(CodePurpose::Reset));
        m.apply(Action::AskAccountCode("13800138000".into()));
        m.apply(Action::Frame(
            Some(Asked::AskAccountCode),
            sent("+8613800138000"),
        ));
        m.apply(Action::FinishAccount {
            code: "000000".into(),
            password: "new password".into(),
            name: String::new(),
        });
        m.apply(Action::Frame(
            Some(Asked::ResetPassword),
            RelayToWidget::Error(ErrorBody::new(
                ringlink_protocol::ErrorCode::CodeInvalid,
                "that code is not right; 4 tries left",
            )),
        ));
        let flow = m.account.as_ref().unwrap();
        assert_eq!(flow.busy, None);
        assert!(flow.code_sent.is_some(), "still on the code step");
        assert!(
            m.error.as_deref().unwrap().contains("验证码"),
            "{:?}",
            m.error
        );
    }
}
