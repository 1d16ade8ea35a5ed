//! Payer accounts and their ledger: finding or creating the account of a member, merchant or
//! sponsor, credits and adjustments, daily caps, tariffs, and reading call records.

use super::{
    AccountId, AccountKind, AccountRow, Billing, BillingError, LedgerEntry, Payer, Tariff,
};
use crate::store::billing::{CallRecord, EntryKind};

/// The longest note kept on a ledger entry, in characters.
const MAX_NOTE_CHARS: usize = 200;

fn clip(note: &str) -> String {
    note.chars().take(MAX_NOTE_CHARS).collect()
}

impl Billing {
    /// The account that pays for `payer`, created (with balance 0) on first use for members and
    /// merchants. Sponsors must exist: they are created by an operator.
    pub async fn account_for(&self, payer: &Payer) -> Result<AccountId, BillingError> {
        let row = match payer {
            Payer::Member(id) => {
                if !self.store.owner_exists(AccountKind::Member, *id).await? {
                    return Err(BillingError::NotFound(format!("there is no member {id}")));
                }
                self.store.ensure_account(AccountKind::Member, *id).await?
            }
            Payer::Merchant(site) => {
                if !self
                    .store
                    .owner_exists(AccountKind::Merchant, *site)
                    .await?
                {
                    return Err(BillingError::NotFound(format!(
                        "there is no merchant site {site}"
                    )));
                }
                self.store
                    .ensure_account(AccountKind::Merchant, *site)
                    .await?
            }
            Payer::Sponsor(id) => self
                .store
                .account(*id)
                .await?
                .filter(|a| a.kind == AccountKind::Sponsor)
                .ok_or_else(|| {
                    BillingError::NotFound(format!("there is no sponsor account {id}"))
                })?,
            Payer::SponsorNamed(name) => self.sponsor(name).await?,
        };
        Ok(AccountId(row.id))
    }

    /// A sponsor's account by name.
    pub async fn sponsor(&self, name: &str) -> Result<AccountRow, BillingError> {
        self.store.sponsor_account(name).await?.ok_or_else(|| {
            BillingError::NotFound(format!(
                "there is no sponsor named '{name}': create it with `ringlink-relay admin sponsor create --name {name}`"
            ))
        })
    }

    /// Every sponsor account, by name.
    pub async fn sponsors(&self) -> Result<Vec<AccountRow>, BillingError> {
        Ok(self.store.sponsor_accounts().await?)
    }

    /// Creates a named sponsor account (balance 0).
    pub async fn create_sponsor(&self, name: &str) -> Result<AccountId, BillingError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NOTE_CHARS {
            return Err(BillingError::Invalid(format!(
                "a sponsor needs a name of 1 to {MAX_NOTE_CHARS} characters"
            )));
        }
        crate::names::check_name("sponsor name", name)
            .map_err(|e| BillingError::Invalid(e.to_string()))?;
        Ok(AccountId(self.store.create_sponsor(name).await?.id))
    }

    /// The account's current figures.
    pub async fn account(&self, id: AccountId) -> Result<AccountRow, BillingError> {
        self.store
            .account(id.0)
            .await?
            .ok_or_else(|| BillingError::NotFound(format!("there is no billing account {id}")))
    }

    /// Adds credit (a top-up, a sponsor's budget). Returns the entry id.
    pub async fn credit(
        &self,
        id: AccountId,
        amount: i64,
        note: &str,
    ) -> Result<i64, BillingError> {
        if amount <= 0 {
            return Err(BillingError::BadAmount(
                "a positive number of fen (1 CNY = 100)",
            ));
        }
        self.post(id, EntryKind::Credit, amount, note).await
    }

    /// Corrects a balance up or down (a refund, a goodwill credit, a mistake undone). Refused when
    /// it would leave less than the credit held by calls in progress.
    pub async fn adjust(
        &self,
        id: AccountId,
        amount: i64,
        note: &str,
    ) -> Result<i64, BillingError> {
        if amount == 0 {
            return Err(BillingError::BadAmount("a non-zero number of fen"));
        }
        self.post(id, EntryKind::Adjustment, amount, note).await
    }

    async fn post(
        &self,
        id: AccountId,
        kind: EntryKind,
        amount: i64,
        note: &str,
    ) -> Result<i64, BillingError> {
        let account = self.account(id).await?;
        match self
            .store
            .post_entry(id.0, kind, amount, &clip(note))
            .await?
        {
            Some(entry) => Ok(entry),
            None => Err(BillingError::BelowHeld {
                amount,
                held: account.reserved,
            }),
        }
    }

    /// The newest ledger entries of an account first.
    pub async fn ledger(
        &self,
        id: AccountId,
        limit: i64,
    ) -> Result<Vec<LedgerEntry>, BillingError> {
        Ok(self.store.ledger_entries(id.0, limit).await?)
    }

    /// The sum of every ledger entry of the account: always equal to its balance.
    pub async fn ledger_sum(&self, id: AccountId) -> Result<i64, BillingError> {
        Ok(self.store.ledger_sum(id.0).await?)
    }

    /// Sets the account's own daily cap (`None`: back to the default for its kind).
    pub async fn set_daily_cap(&self, id: AccountId, cap: Option<i64>) -> Result<(), BillingError> {
        if cap.is_some_and(|c| c < 0) {
            return Err(BillingError::BadAmount("zero or a positive number of fen"));
        }
        self.account(id).await?;
        Ok(self.store.set_daily_cap(id.0, cap).await?)
    }

    /// Creates or replaces the tariff of its prefix (checked again here).
    pub async fn set_tariff(&self, t: &Tariff) -> Result<(), BillingError> {
        let t = Tariff::new(&t.prefix, t.connect_fee, t.per_minute, t.increments)?;
        Ok(self.store.set_tariff(&t).await?)
    }

    pub async fn remove_tariff(&self, prefix: &str) -> Result<bool, BillingError> {
        Ok(self.store.remove_tariff(prefix).await?)
    }

    pub async fn tariffs(&self) -> Result<Vec<Tariff>, BillingError> {
        Ok(self.store.list_tariffs().await?)
    }

    /// The tariff of the longest prefix of `number`, or [`BillingError::NoTariff`].
    pub async fn tariff_for(&self, number: &str) -> Result<Tariff, BillingError> {
        self.store
            .tariff_for(number)
            .await?
            .ok_or_else(|| BillingError::NoTariff(number.into()))
    }

    pub async fn call_record(&self, public_id: &str) -> Result<Option<CallRecord>, BillingError> {
        Ok(self.store.call_record(public_id).await?)
    }

    /// The newest call records first, of one member or of everyone.
    pub async fn call_records(
        &self,
        member: Option<i64>,
        limit: i64,
    ) -> Result<Vec<CallRecord>, BillingError> {
        Ok(self.store.call_records(member, limit).await?)
    }
}
