-- A stored line moves its conversation in the same statement: `last_seq` (read marks are clamped
-- to it) and, for a visitor's line the visitor sees, the no-reply clock (CHAT-5) when it is not
-- running yet. Before, these were two more statements per line, each a round trip to the
-- database (BENCHMARKS.md, CHAT delivery), and a crash between them left the conversation behind.
CREATE FUNCTION chat_lines_move_conversation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE chat_conversations SET
        last_seq = GREATEST(last_seq, NEW.seq),
        awaiting_since_ms = CASE WHEN NEW.sender = 'visitor' AND NEW.internal = 0
            THEN COALESCE(awaiting_since_ms, NEW.at_ms) ELSE awaiting_since_ms END
    WHERE id = NEW.conversation_id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER chat_lines_move_conversation AFTER INSERT ON chat_lines
    FOR EACH ROW EXECUTE FUNCTION chat_lines_move_conversation();
