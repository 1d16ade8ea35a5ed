-- Sign-in hardening: the janitor deletes pairings and tokens by expiry, so both are indexed by it.
CREATE INDEX pairings_expiry ON pairings(expires_at);
CREATE INDEX tokens_expiry ON tokens(expires_at);
