-- Cluster-wide claims of the live layer (#10 §1): a client id (a CallMe retried through another
-- relay after a reconnect) is taken by the first relay that inserts its key; the others see the
-- row and do not place or bill it again. `expires_at` is Unix seconds; an expired row is taken over.
CREATE TABLE live_claims (
    claim_key TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX live_claims_expiry ON live_claims (expires_at);
