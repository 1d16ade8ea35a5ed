-- Sign-up and password reset by SMS code (#9 §2). One code in flight per number, whatever it
-- is for: stored as a SHA-256 hash, with its expiry (Unix seconds) and the tries used so far.
-- `purpose` is what the code was asked for ('sign_up' or 'reset'); the code proves the number
-- either way. A member may give a display name at sign-up.
CREATE TABLE account_codes (
    number TEXT PRIMARY KEY,
    purpose TEXT NOT NULL CHECK (purpose IN ('sign_up', 'reset')),
    code_hash TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0)
);
ALTER TABLE members ADD COLUMN display_name TEXT;
