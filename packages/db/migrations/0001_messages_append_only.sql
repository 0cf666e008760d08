-- The message log can only grow: the database itself refuses to change or remove a row, and refuses
-- an insert that would leave a hole in a session's seq. Application bugs cannot get around this.
CREATE FUNCTION turnq_messages_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'messages is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'restrict_violation',
          HINT = 'Append a new message instead of changing or removing an old one.';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER messages_no_update_delete BEFORE UPDATE OR DELETE ON messages
  FOR EACH ROW EXECUTE FUNCTION turnq_messages_immutable();
--> statement-breakpoint
CREATE TRIGGER messages_no_truncate BEFORE TRUNCATE ON messages
  FOR EACH STATEMENT EXECUTE FUNCTION turnq_messages_immutable();
--> statement-breakpoint
-- seq must continue the session's log exactly: 1 for the first message, previous + 1 after that.
-- Earlier rows of the same INSERT statement are visible here, so a multi-row append passes.
CREATE FUNCTION turnq_messages_gapless() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.seq <> 1 AND NOT EXISTS (
    SELECT 1 FROM messages WHERE session_id = NEW.session_id AND seq = NEW.seq - 1
  ) THEN
    RAISE EXCEPTION 'messages.seq must be gapless: session % has no seq %', NEW.session_id, NEW.seq - 1
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER messages_gapless BEFORE INSERT ON messages
  FOR EACH ROW EXECUTE FUNCTION turnq_messages_gapless();
