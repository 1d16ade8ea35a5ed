-- The live layer's durable part (#10 §1). Streams: numbered events a reconnecting client resumes
-- with `since` (a member's call states and CALL progress); `seq` is one sequence for all streams,
-- so it only grows within each. Presence: which connection is on which relay node, with a state.
-- Nodes: each relay's lease; a node whose lease ran out is cleaned up by a surviving one.
-- Claims keep the first answer under a client id, so a retry through another relay gets it.
CREATE TABLE live_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    stream TEXT NOT NULL,
    body TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX live_events_stream ON live_events (stream, seq);
CREATE INDEX live_events_at ON live_events (at);

CREATE TABLE live_presence (
    conn_key TEXT PRIMARY KEY,
    node_id TEXT NOT NULL,
    member_id BIGINT NOT NULL,
    device TEXT NOT NULL,
    info TEXT NOT NULL,
    state TEXT NOT NULL,
    joined_ms BIGINT NOT NULL
);
CREATE INDEX live_presence_member ON live_presence (member_id);
CREATE INDEX live_presence_node ON live_presence (node_id);

CREATE TABLE live_nodes (
    node_id TEXT PRIMARY KEY,
    lease_until_ms BIGINT NOT NULL
);

ALTER TABLE live_claims ADD COLUMN answer TEXT;
