//! The grammar of a socket's routing table: one line per request, naming the request, who may
//! send it and the domain call that answers it. The table expands to an exhaustive `match`, so
//! the compiler refuses a request without a route, a route without a role, and an answer of
//! the wrong type (each request's `Response` is fixed in the protocol crate). A `member` route's
//! code gets the signed-in member's [`Identity`](crate::accounts::Identity) and runs only when
//! there is one: the signed-in check is written once, here.
//!
//! ```text
//! routes! { WidgetConn: WidgetMsg => RelayToWidget, WIDGET_ROUTES;
//!     Ping: guest |_c, _req| async { Ok(Pong {}) };
//!     Dial: member |c, m, req| dial::place(&c.relay, m, req);
//! }
//! ```

/// Who may send a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Anyone with the socket open (signing in, asking for a sign-up code, pings).
    Guest,
    /// A signed-in member of the socket's site.
    Member,
    /// A visitor who opened the chat panel (`chat_open`), signed in or not.
    Visitor,
    /// A staff member signed in to the site's console (CHAT-6).
    Staff,
}

/// A socket whose routes may require a signed-in member, a visitor or a staff member.
pub trait Caller {
    fn member(&self) -> Option<&crate::accounts::Identity> {
        None
    }
    fn visitor(&self) -> Option<&crate::chat::visitor::VisitorSession> {
        None
    }
    fn staff(&self) -> Option<&crate::chat::staff::StaffIdentity> {
        None
    }
}

pub fn not_staff() -> ringlink_protocol::ErrorBody {
    ringlink_protocol::ErrorBody::new(
        ringlink_protocol::ErrorCode::NotStaff,
        "sign in to the console with your staff account first",
    )
}

pub fn not_signed_in() -> ringlink_protocol::ErrorBody {
    ringlink_protocol::ErrorBody::new(
        ringlink_protocol::ErrorCode::NotSignedIn,
        "sign in with your number and password first",
    )
}

macro_rules! route_role {
    (guest) => {
        $crate::http::routes::Role::Guest
    };
    (member) => {
        $crate::http::routes::Role::Member
    };
    (visitor) => {
        $crate::http::routes::Role::Visitor
    };
    (staff) => {
        $crate::http::routes::Role::Staff
    };
}

macro_rules! route_arm {
    ($this:ident, $req:ident, guest |$c:ident, $r:ident| $body:expr) => {{
        let $c = &mut *$this;
        let $r = $req;
        $body.await
    }};
    ($this:ident, $req:ident, member |$c:ident, $m:ident, $r:ident| $body:expr) => {{
        let $c = &*$this;
        match $crate::http::routes::Caller::member($c) {
            Some($m) => {
                let $r = $req;
                $body.await
            }
            None => Err($crate::http::routes::not_signed_in()),
        }
    }};
    ($this:ident, $req:ident, visitor |$c:ident, $v:ident, $r:ident| $body:expr) => {{
        let $c = &*$this;
        match $crate::http::routes::Caller::visitor($c) {
            Some($v) => {
                let $r = $req;
                $body.await
            }
            None => Err($crate::chat::visitor::not_open()),
        }
    }};
    ($this:ident, $req:ident, staff |$c:ident, $s:ident, $r:ident| $body:expr) => {{
        let $c = &*$this;
        match $crate::http::routes::Caller::staff($c) {
            Some($s) => {
                let $r = $req;
                $body.await
            }
            None => Err($crate::http::routes::not_staff()),
        }
    }};
}

/// Declares a socket's routing table: `REQUEST: ROLE |ARGS| CALL;` per request (see the module
/// docs). Generates `$conn::route` and `$table`, the list of (request, role) for tests.
macro_rules! routes {
    ($conn:ty: $msg:ident => $reply:ident, $table:ident;
     $($variant:ident: $role:ident |$($arg:ident),+| $body:expr;)+) => {
        /// Every request this socket takes, with who may send it.
        pub const $table: &[(&str, $crate::http::routes::Role)] =
            &[$((stringify!($variant), $crate::http::routes::route_role!($role))),+];

        impl $conn {
            /// Answers one request by the table.
            async fn route(
                &mut self,
                re: Option<u64>,
                msg: $msg,
            ) -> ringlink_protocol::Envelope<$reply> {
                let this = self;
                match msg {
                    $($msg::$variant(req) => {
                        let result: Result<
                            <$variant as ringlink_protocol::request::Request>::Response,
                            ringlink_protocol::ErrorBody,
                        > = $crate::http::routes::route_arm!(this, req, $role |$($arg),+| $body);
                        ringlink_protocol::Envelope::reply(
                            re,
                            result.map(Into::into).unwrap_or_else($reply::Error),
                        )
                    })+
                }
            }
        }
    };
}

pub(crate) use {route_arm, route_role, routes};
