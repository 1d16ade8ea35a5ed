-- CHAT (#11): staff accounts a merchant admin issues (CHAT-6) and their console sessions,
-- agent states (CHAT-5), visitors, conversations of both kinds and their lines (CHAT-1..3),
-- read marks, attachments kept in the database so every relay can serve them, messages left
-- while no agent was free, per-site settings, canned responses, and which chat sockets are
-- connected on which relay node (so a node's death is cleaned up like its phone agents).
-- Times ending in _ms are Unix milliseconds; the rest are Unix seconds.
CREATE TABLE chat_staff (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    account TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    name TEXT NOT NULL,
    number TEXT,
    role TEXT NOT NULL,
    sms_offline BIGINT NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'offline',
    state_since_ms BIGINT NOT NULL DEFAULT 0,
    open_count BIGINT NOT NULL DEFAULT 0,
    idle_since_ms BIGINT NOT NULL DEFAULT 0,
    away_since_ms BIGINT,
    on_call BIGINT NOT NULL DEFAULT 0,
    disabled_at BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (site_id, account)
);
CREATE TABLE chat_staff_sessions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_id BIGINT NOT NULL REFERENCES chat_staff(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE TABLE chat_connections (
    conn_key TEXT PRIMARY KEY,
    node_id TEXT NOT NULL,
    who TEXT NOT NULL,
    joined_ms BIGINT NOT NULL
);
CREATE INDEX chat_connections_who ON chat_connections (who);
CREATE INDEX chat_connections_node ON chat_connections (node_id);
CREATE TABLE chat_visitors (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    public_id TEXT NOT NULL UNIQUE,
    token_hash TEXT NOT NULL UNIQUE,
    page TEXT,
    referrer TEXT,
    lang TEXT,
    ip TEXT NOT NULL DEFAULT '',
    member TEXT,
    created_ms BIGINT NOT NULL,
    last_seen_ms BIGINT NOT NULL
);
CREATE TABLE chat_conversations (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id TEXT NOT NULL UNIQUE,
    site_id BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    visitor_id BIGINT REFERENCES chat_visitors(id) ON DELETE CASCADE,
    agent_id BIGINT REFERENCES chat_staff(id) ON DELETE SET NULL,
    colleague_id BIGINT REFERENCES chat_staff(id) ON DELETE SET NULL,
    state TEXT NOT NULL,
    info TEXT,
    queued_ms BIGINT,
    assigned_ms BIGINT,
    first_response_ms BIGINT,
    awaiting_since_ms BIGINT,
    transfer_to BIGINT,
    transfer_note TEXT,
    transfer_until_ms BIGINT,
    rating BIGINT,
    comment TEXT,
    last_seq BIGINT NOT NULL DEFAULT 0,
    created_ms BIGINT NOT NULL,
    ended_ms BIGINT
);
CREATE INDEX chat_conversations_queue ON chat_conversations (site_id, state, queued_ms);
CREATE INDEX chat_conversations_agent ON chat_conversations (agent_id, state);
CREATE INDEX chat_conversations_colleague ON chat_conversations (colleague_id, state);
CREATE INDEX chat_conversations_visitor ON chat_conversations (visitor_id, state);
CREATE TABLE chat_lines (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id BIGINT NOT NULL REFERENCES chat_conversations(id) ON DELETE CASCADE,
    sender TEXT NOT NULL,
    author_staff BIGINT,
    author_name TEXT,
    text TEXT NOT NULL,
    attachment_id BIGINT,
    internal BIGINT NOT NULL DEFAULT 0,
    at_ms BIGINT NOT NULL,
    client_id TEXT,
    UNIQUE (conversation_id, sender, client_id)
);
CREATE INDEX chat_lines_conversation ON chat_lines (conversation_id, seq);
CREATE TABLE chat_reads (
    conversation_id BIGINT NOT NULL REFERENCES chat_conversations(id) ON DELETE CASCADE,
    reader TEXT NOT NULL,
    upto BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, reader)
);
CREATE TABLE chat_attachments (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id TEXT NOT NULL UNIQUE,
    site_id BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    conversation_id BIGINT REFERENCES chat_conversations(id) ON DELETE CASCADE,
    uploader TEXT NOT NULL,
    name TEXT NOT NULL,
    mime TEXT NOT NULL,
    size BIGINT NOT NULL,
    body BYTEA NOT NULL,
    created_ms BIGINT NOT NULL
);
CREATE TABLE chat_left_messages (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id TEXT NOT NULL UNIQUE,
    site_id BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    number TEXT NOT NULL,
    text TEXT NOT NULL,
    reply_by_sms BIGINT NOT NULL,
    ip TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    answered_by BIGINT,
    answered_ms BIGINT
);
CREATE INDEX chat_left_messages_site ON chat_left_messages (site_id, at_ms);
CREATE TABLE chat_settings (
    site_id BIGINT PRIMARY KEY REFERENCES sites(id) ON DELETE CASCADE,
    body TEXT NOT NULL
);
CREATE TABLE chat_canned (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    attachment_id BIGINT
);
CREATE TABLE chat_pageviews (
    public_id TEXT PRIMARY KEY,
    site_id BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    node_id TEXT NOT NULL,
    page TEXT NOT NULL,
    referrer TEXT,
    lang TEXT,
    since_ms BIGINT NOT NULL,
    invite TEXT
);
CREATE INDEX chat_pageviews_site ON chat_pageviews (site_id);
CREATE INDEX chat_pageviews_node ON chat_pageviews (node_id);
