-- CALL ("call me now"): merchant call buttons (the number lives only here, server-side), the
-- callback numbers each member has verified by SMS code, and the codes in flight (hashed).
CREATE TABLE call_buttons (
    site_id BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    button_key TEXT NOT NULL,
    label TEXT NOT NULL,
    number TEXT NOT NULL,
    payer TEXT NOT NULL CHECK (payer IN ('member', 'merchant', 'sponsor')),
    sponsor TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (site_id, button_key)
);
CREATE TABLE callback_numbers (
    member_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    number TEXT NOT NULL,
    verified_at BIGINT NOT NULL,
    PRIMARY KEY (member_id, number)
);
CREATE TABLE number_codes (
    member_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    number TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (member_id, number)
);
