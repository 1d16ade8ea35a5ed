-- DIAL fraud controls (#8 §3). A client id reused after the relay's memory window is a new dial
-- and must get its own row: the unique index silently dropped it from `admin calls`.
DROP INDEX dial_calls_client;
CREATE INDEX dial_calls_client ON dial_calls(member_id, client_id);
