-- CALL capacity and caps (#8 §5): a button's concurrent-call capacity (NULL: the relay's
-- [calls] button_capacity), and each member's daily share of calls a merchant or sponsor pays
-- for, counted in paid-for seconds per (payer account, member, UTC day).
ALTER TABLE call_buttons ADD COLUMN capacity BIGINT CHECK (capacity > 0);
CREATE TABLE member_call_shares (
    account_id BIGINT NOT NULL REFERENCES billing_accounts(id),
    member_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    day BIGINT NOT NULL,
    used_secs BIGINT NOT NULL CHECK (used_secs >= 0),
    PRIMARY KEY (account_id, member_id)
);
-- Seconds a reservation counts against its member's share (0 when the member pays).
ALTER TABLE billing_reservations ADD COLUMN share_secs BIGINT NOT NULL DEFAULT 0;
