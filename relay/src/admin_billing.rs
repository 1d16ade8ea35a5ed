//! Billing tasks behind `ringlink-relay admin`: credit, adjust and show payer accounts, daily
//! caps (`account cap`), sponsors, tariffs, and call records. The clap commands live here so `main` only names
//! them; each runner returns the text to print, so tests can check it.
//!
//! Amounts are integer minor units of [`CURRENCY`] (fen: `--amount 1000` is 10.00 CNY).

use clap::{Args, Subcommand};
use ringlink_protocol::number::NumberError;

use crate::billing::{
    money, AccountId, Billing, BillingError, Increments, Payer, Tariff, TariffError, CURRENCY,
};
use crate::store::StoreError;
use crate::Relay;

/// Ledger entries `account show` lists unless told otherwise.
const SHOW_ENTRIES: i64 = 10;
/// Call records `calls records` lists unless told otherwise.
const RECORDS_LIMIT: i64 = 20;

#[derive(Debug, thiserror::Error)]
pub enum AdminBillingError {
    #[error(transparent)]
    Billing(#[from] BillingError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Number(#[from] NumberError),
    #[error(transparent)]
    Tariff(#[from] TariffError),
    #[error("{0}")]
    Input(String),
}

type Result<T, E = AdminBillingError> = std::result::Result<T, E>;

/// Whose account: exactly one of a member, a site or a sponsor.
#[derive(Args, Clone, Debug)]
#[group(required = true, multiple = false)]
pub struct Holder {
    /// A member's mobile number (E.164, or as typed in the relay's default region).
    #[arg(long, value_name = "NUMBER")]
    pub member: Option<String>,
    /// A merchant site's key (the merchant's account).
    #[arg(long, value_name = "KEY")]
    pub site: Option<String>,
    /// A sponsor's name.
    #[arg(long, value_name = "NAME")]
    pub sponsor: Option<String>,
}

#[derive(Subcommand, Clone, Debug)]
pub enum AccountCmd {
    /// Add credit (a top-up, a sponsor's budget): a positive amount in fen.
    Credit {
        #[command(flatten)]
        holder: Holder,
        #[arg(long, value_name = "MINOR", allow_negative_numbers = true)]
        amount: i64,
        #[arg(long, default_value = "credit by operator")]
        note: String,
    },
    /// Correct a balance up or down (a refund, a mistake undone): a non-zero amount in fen.
    Adjust {
        #[command(flatten)]
        holder: Holder,
        #[arg(long, value_name = "MINOR", allow_negative_numbers = true)]
        amount: i64,
        #[arg(long)]
        note: String,
    },
    /// Balance, credit held by calls in progress, daily cap and the latest ledger entries.
    Show {
        #[command(flatten)]
        holder: Holder,
        #[arg(long, default_value_t = SHOW_ENTRIES)]
        entries: i64,
    },
    /// Set the account's daily spend cap in fen, or `default` for the relay's default.
    #[command(alias = "set-cap")]
    Cap {
        #[command(flatten)]
        holder: Holder,
        #[arg(long, alias = "daily", value_name = "MINOR|default")]
        amount: String,
    },
}

#[derive(Subcommand, Clone, Debug)]
pub enum SponsorCmd {
    /// Create a sponsor account (an advertiser paying for calls: "see an ad, call free").
    Create {
        #[arg(long)]
        name: String,
    },
    /// Every sponsor with its balance and the credit its calls hold.
    List,
}

#[derive(Subcommand, Clone, Debug)]
pub enum TariffCmd {
    /// Set the price of calls to a destination prefix (the longest matching prefix wins).
    Set {
        /// `+` and digits, e.g. +86 or +86138.
        #[arg(long)]
        prefix: String,
        /// Charged once per bridged call, in fen.
        #[arg(long, allow_negative_numbers = true)]
        connect_fee: i64,
        /// Fen per minute of billable time.
        #[arg(long, allow_negative_numbers = true)]
        per_minute: i64,
        /// FIRST/NEXT billing increments in seconds: 60/60, 1/1, 30/6.
        #[arg(long, default_value = "60/60")]
        increments: String,
    },
    /// Every tariff, by prefix.
    List,
    /// Remove a prefix's tariff (calls to it are refused unless a shorter prefix matches).
    Remove {
        #[arg(long)]
        prefix: String,
    },
}

#[derive(Subcommand, Clone, Debug)]
pub enum CallsCmd {
    /// CALL records, newest first: state, duration billed and charge, and each leg's tariff
    /// prefix and cost (leg A the member's number, leg B the merchant's).
    Records {
        /// Only this member's calls.
        #[arg(long, value_name = "NUMBER")]
        member: Option<String>,
        #[arg(long, default_value_t = RECORDS_LIMIT)]
        limit: i64,
    },
}

fn billing(relay: &Relay) -> &Billing {
    &relay.calls.billing
}

/// The account of a holder, created on first use for members and sites.
async fn account_of(relay: &Relay, h: &Holder) -> Result<(AccountId, String)> {
    let b = billing(relay);
    if let Some(number) = &h.member {
        let number = relay.accounts.parse_number(number)?;
        let member = relay.store.member_by_number(&number).await?.ok_or_else(|| {
            AdminBillingError::Input(format!(
                "there is no member with number {number}: create one with `ringlink-relay admin member create --number {number}`"
            ))
        })?;
        let id = b.account_for(&Payer::Member(member.id)).await?;
        return Ok((id, format!("member {number}")));
    }
    if let Some(key) = &h.site {
        let site = relay.store.site_by_key(key).await?.ok_or_else(|| {
            AdminBillingError::Input(format!(
                "there is no site with key '{key}': `ringlink-relay admin site list` shows them"
            ))
        })?;
        let id = b.account_for(&Payer::Merchant(site.id)).await?;
        return Ok((id, format!("merchant site {key} ({})", site.name)));
    }
    if let Some(name) = &h.sponsor {
        let id = AccountId(b.sponsor(name).await?.id);
        return Ok((id, format!("sponsor {name}")));
    }
    Err(AdminBillingError::Input(
        "name the account with --member NUMBER, --site KEY or --sponsor NAME".into(),
    ))
}

pub async fn account(relay: &Relay, cmd: AccountCmd) -> Result<String> {
    let b = billing(relay);
    match cmd {
        AccountCmd::Credit {
            holder,
            amount,
            note,
        } => {
            let (id, who) = account_of(relay, &holder).await?;
            b.credit(id, amount, &note).await?;
            let balance = b.account(id).await?.balance;
            Ok(format!(
                "credited {} to {who}; balance {}\n",
                money(amount),
                money(balance)
            ))
        }
        AccountCmd::Adjust {
            holder,
            amount,
            note,
        } => {
            let (id, who) = account_of(relay, &holder).await?;
            b.adjust(id, amount, &note).await?;
            let balance = b.account(id).await?.balance;
            Ok(format!(
                "adjusted {who} by {}; balance {}\n",
                money(amount),
                money(balance)
            ))
        }
        AccountCmd::Show { holder, entries } => {
            let (id, who) = account_of(relay, &holder).await?;
            show(b, id, &who, entries).await
        }
        AccountCmd::Cap { holder, amount } => {
            let (id, who) = account_of(relay, &holder).await?;
            let cap = match amount.trim() {
                "default" | "none" => None,
                n => Some(n.parse::<i64>().ok().filter(|c| *c >= 0).ok_or_else(|| {
                    AdminBillingError::Input(format!(
                        "--amount '{n}' must be zero or a positive number of fen, or `default`"
                    ))
                })?),
            };
            b.set_daily_cap(id, cap).await?;
            Ok(match cap {
                Some(c) => format!("daily cap of {who} set to {}\n", money(c)),
                None => format!("daily cap of {who} back to the default\n"),
            })
        }
    }
}

async fn show(b: &Billing, id: AccountId, who: &str, entries: i64) -> Result<String> {
    let a = b.account(id).await?;
    let sum = b.ledger_sum(id).await?;
    let calls = b.store().open_reservations(Some(id.0)).await?;
    let today = crate::billing::utc_day(crate::billing::now_ms());
    let used = if a.cap_day == today { a.cap_used } else { 0 };
    let cap = match a.daily_cap {
        Some(c) => money(c),
        None => match b.policy().default_cap(a.kind) {
            Some(c) => format!("{} (default)", money(c)),
            None => "none (default)".into(),
        },
    };
    let mut out = format!("account {id}: {who}\n");
    out += &format!("balance     {} ({} fen)\n", money(a.balance), a.balance);
    out += &format!(
        "held        {} by {calls} call(s) in progress\n",
        money(a.reserved)
    );
    out += &format!("available   {}\n", money(a.balance - a.reserved));
    out += &format!("daily cap   {cap}; {} used today (UTC)\n", money(used));
    let check = if sum == a.balance {
        "equals the balance"
    } else {
        "DIFFERS FROM THE BALANCE"
    };
    out += &format!("ledger sum  {} ({check})\n", money(sum));
    let list = b.ledger(id, entries).await?;
    if !list.is_empty() {
        out += "entry\ttime\tkind\tamount\tcall\tnote\n";
    }
    for e in list {
        let call = e
            .call_id
            .map(|c| c.to_string())
            .unwrap_or_else(|| "-".into());
        out += &format!(
            "{}\t{}\t{}\t{:+}\t{call}\t{}\n",
            e.id,
            e.created_at,
            e.kind.as_str(),
            e.amount,
            e.note
        );
    }
    Ok(out)
}

pub async fn sponsor(relay: &Relay, cmd: SponsorCmd) -> Result<String> {
    match cmd {
        SponsorCmd::Create { name } => {
            let id = billing(relay).create_sponsor(&name).await?;
            Ok(format!(
                "sponsor '{}' created (account {id}); credit it with `ringlink-relay admin account credit --sponsor '{}' --amount FEN`\n",
                name.trim(),
                name.trim()
            ))
        }
        SponsorCmd::List => {
            let mut out = String::from("account\tname\tbalance\theld\t(fen)\n");
            for a in billing(relay).sponsors().await? {
                out += &format!(
                    "{}\t{}\t{}\t{}\n",
                    a.id,
                    a.sponsor_name.unwrap_or_default(),
                    a.balance,
                    a.reserved
                );
            }
            Ok(out)
        }
    }
}

pub async fn tariff(relay: &Relay, cmd: TariffCmd) -> Result<String> {
    let b = billing(relay);
    match cmd {
        TariffCmd::Set {
            prefix,
            connect_fee,
            per_minute,
            increments,
        } => {
            let inc: Increments = increments.parse()?;
            let t = Tariff::new(prefix.trim(), connect_fee, per_minute, inc)?;
            b.set_tariff(&t).await?;
            Ok(format!(
                "tariff {}: connect fee {}, {} a minute, increments {} (a 1-minute call leg to it costs {}; a call is charged for the member's leg and the merchant's)\n",
                t.prefix,
                money(t.connect_fee),
                money(t.per_minute),
                t.increments,
                money(t.charge(60))
            ))
        }
        TariffCmd::List => {
            let mut out = format!(
                "prefix\tconnect_fee\tper_minute\tincrements\t(amounts in {CURRENCY} fen)\n"
            );
            for t in b.tariffs().await? {
                out += &format!(
                    "{}\t{}\t{}\t{}\n",
                    t.prefix, t.connect_fee, t.per_minute, t.increments
                );
            }
            Ok(out)
        }
        TariffCmd::Remove { prefix } => {
            if b.remove_tariff(prefix.trim()).await? {
                Ok(format!("tariff {} removed\n", prefix.trim()))
            } else {
                Err(AdminBillingError::Input(format!(
                    "there is no tariff for prefix '{}': `ringlink-relay admin tariff list` shows them",
                    prefix.trim()
                )))
            }
        }
    }
}

pub async fn calls(relay: &Relay, cmd: CallsCmd) -> Result<String> {
    let CallsCmd::Records { member, limit } = cmd;
    if limit <= 0 {
        return Err(AdminBillingError::Input(
            "--limit must be a positive number".into(),
        ));
    }
    let member_id = match member {
        Some(n) => {
            let number = relay.accounts.parse_number(&n)?;
            let m = relay
                .store
                .member_by_number(&number)
                .await?
                .ok_or_else(|| {
                    AdminBillingError::Input(format!("there is no member with number {number}"))
                })?;
            Some(m.id)
        }
        None => None,
    };
    let mut out = String::from(
        "call\tstate\tmember\tmerchant\tbutton\tpayer\tcreated\tbridged\tended\tbilled_s\tcharge\t\
         member_tariff\tmember_cost\tmerchant_tariff\tmerchant_cost\treason\n",
    );
    let opt = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_else(|| "-".into());
    for c in billing(relay).call_records(member_id, limit).await? {
        out += &format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            c.public_id,
            c.state,
            c.member_number,
            c.merchant_number,
            c.button_key,
            c.payer_account_id,
            c.created_at,
            opt(c.bridged_at),
            opt(c.ended_at),
            opt(c.billed_seconds),
            opt(c.charge),
            c.member_tariff_prefix.as_deref().unwrap_or("-"),
            opt(c.member_charge),
            c.tariff_prefix,
            opt(c.merchant_charge),
            c.end_reason.unwrap_or_default()
        );
    }
    Ok(out)
}
