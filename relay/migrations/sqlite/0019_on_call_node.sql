-- CHAT-4 (skip_on_call): an agent is "on a call" while a relay holds a live CALL call to their
-- number, and `on_call_node` names that relay (NULL: not on a call). When the relay dies (or
-- restarts under the same node id) its calls are gone, and so is the mark; the old flag alone
-- stayed set for good after a crash mid-call, so routing passed the agent over forever.
ALTER TABLE chat_staff ADD COLUMN on_call_node TEXT;
ALTER TABLE chat_staff DROP COLUMN on_call;
