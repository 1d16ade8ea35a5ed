-- Rate limits and live-call limits shared by every relay on this database (#10 §2).
--
-- limit_counters: one row per limited key (for example 'call:member:7'), counting hits in
-- the current bucket (c0) and the four before it (c1..c4); a bucket is a quarter of the
-- limit's window, so the five cover the whole window whatever the time. `bucket` is the
-- number of c0's bucket (Unix seconds / bucket length); `expires_at` (Unix seconds) is when
-- every counted hit has left the window and the row can be deleted.
CREATE TABLE limit_counters (
    limit_key TEXT PRIMARY KEY,
    bucket BIGINT NOT NULL,
    c0 BIGINT NOT NULL DEFAULT 0,
    c1 BIGINT NOT NULL DEFAULT 0,
    c2 BIGINT NOT NULL DEFAULT 0,
    c3 BIGINT NOT NULL DEFAULT 0,
    c4 BIGINT NOT NULL DEFAULT 0,
    expires_at BIGINT NOT NULL
);
CREATE INDEX limit_counters_expiry ON limit_counters (expires_at);

-- held_slots: places held by live calls under a cap (a member's live calls, a number's, a
-- call button's lines). A scope with capacity N has slots 0..N-1; a slot is free when its row
-- is absent or expired. `holder` names what holds it (one call holds one slot in each of
-- its scopes); `node_id` is the relay that took it, so the others free a dead relay's slots.
CREATE TABLE held_slots (
    scope TEXT NOT NULL,
    slot BIGINT NOT NULL,
    holder TEXT NOT NULL,
    node_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (scope, slot)
);
CREATE INDEX held_slots_holder ON held_slots (holder);
CREATE INDEX held_slots_node ON held_slots (node_id);
CREATE INDEX held_slots_expiry ON held_slots (expires_at);
