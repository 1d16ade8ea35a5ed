-- Billing for CALL (CALL-4, CALL-7): payer accounts, the ledger, tariffs, call records and the
-- credit reservations of calls in progress. Money is integer minor units of the deployment's one
-- currency (CNY fen). Times are Unix seconds (UTC), except columns ending in _ms (Unix ms).
CREATE TABLE billing_accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('member', 'merchant', 'sponsor')),
    member_id BIGINT UNIQUE REFERENCES members(id),
    site_id BIGINT UNIQUE REFERENCES sites(id),
    sponsor_name TEXT UNIQUE,
    -- The sum of this account's ledger entries, updated in the same transaction as each entry.
    balance BIGINT NOT NULL DEFAULT 0,
    -- Credit held by calls in progress: the sum of the account's open reservations.
    reserved BIGINT NOT NULL DEFAULT 0,
    -- Spend cap per UTC day; NULL: the relay's default for the account's kind.
    daily_cap BIGINT CHECK (daily_cap >= 0),
    -- The UTC day (days since 1970-01-01) that cap_used counts: credit charged or held that day.
    cap_day BIGINT NOT NULL DEFAULT 0,
    cap_used BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    -- Never below zero, never more held than owned.
    CHECK (reserved >= 0 AND reserved <= balance),
    CHECK ((kind = 'member' AND member_id IS NOT NULL AND site_id IS NULL AND sponsor_name IS NULL)
        OR (kind = 'merchant' AND site_id IS NOT NULL AND member_id IS NULL AND sponsor_name IS NULL)
        OR (kind = 'sponsor' AND sponsor_name IS NOT NULL AND member_id IS NULL AND site_id IS NULL))
);
-- Destination prefixes ('+86', '+86138'); the longest prefix of a number wins.
CREATE TABLE tariffs (
    prefix TEXT PRIMARY KEY,
    connect_fee BIGINT NOT NULL CHECK (connect_fee >= 0),
    per_minute BIGINT NOT NULL CHECK (per_minute >= 0),
    first_increment BIGINT NOT NULL CHECK (first_increment > 0),
    next_increment BIGINT NOT NULL CHECK (next_increment > 0),
    updated_at BIGINT NOT NULL
);
-- One row per CALL: who called whom through which button, who paid, how it ended, what it cost.
CREATE TABLE call_records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id TEXT NOT NULL UNIQUE,
    member_id BIGINT NOT NULL REFERENCES members(id),
    site_id BIGINT NOT NULL REFERENCES sites(id),
    button_key TEXT NOT NULL,
    payer_account_id BIGINT NOT NULL REFERENCES billing_accounts(id),
    member_number TEXT NOT NULL,
    merchant_number TEXT NOT NULL,
    tariff_prefix TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('started', 'bridged', 'ended')),
    created_at BIGINT NOT NULL,
    bridged_at BIGINT,
    ended_at BIGINT,
    end_reason TEXT,
    billed_seconds BIGINT,
    charge BIGINT
);
CREATE INDEX call_records_member ON call_records(member_id, id);
-- Signed amounts: a credit adds, a charge takes away, an adjustment either.
CREATE TABLE ledger_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES billing_accounts(id),
    kind TEXT NOT NULL CHECK (kind IN ('credit', 'charge', 'adjustment')),
    amount BIGINT NOT NULL,
    call_id BIGINT REFERENCES call_records(id),
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CHECK ((kind = 'credit' AND amount > 0) OR (kind = 'charge' AND amount < 0)
        OR (kind = 'adjustment' AND amount <> 0))
);
CREATE INDEX ledger_entries_account ON ledger_entries(account_id, id);
-- The credit a call holds, with the tariff it was priced at and its heartbeat. Settled rows stay
-- (settled_at set) as the audit trail of what was held.
CREATE TABLE billing_reservations (
    call_id BIGINT PRIMARY KEY REFERENCES call_records(id),
    account_id BIGINT NOT NULL REFERENCES billing_accounts(id),
    connect_fee BIGINT NOT NULL,
    per_minute BIGINT NOT NULL,
    first_increment BIGINT NOT NULL,
    next_increment BIGINT NOT NULL,
    reserved BIGINT NOT NULL CHECK (reserved >= 0),
    paid_until BIGINT NOT NULL,
    cap_day BIGINT NOT NULL,
    bridged_at_ms BIGINT,
    alive_at_ms BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    settled_at BIGINT
);
CREATE INDEX billing_reservations_open ON billing_reservations(alive_at_ms) WHERE settled_at IS NULL;
