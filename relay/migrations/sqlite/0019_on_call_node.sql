-- CHAT-4 (skip_on_call): which relay holds the live CALL call that put an agent "on a call".
-- When that relay dies (or restarts under the same node id) its calls are gone, and so is the
-- flag; before, a crash mid-call left the agent passed over by routing for good.
ALTER TABLE chat_staff ADD COLUMN on_call_node TEXT;
