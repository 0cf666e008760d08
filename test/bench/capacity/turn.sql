-- One plain turn's Postgres work, shaped like turnq's four statements (packages/db/src/turns):
-- submit (position under the session row lock + insert), the long-poll's read, the claim (lease++,
-- committed with synchronous_commit off, as claim-turn.ts does) and the finish (seq under the row
-- lock, two messages through the append-only triggers, the turn completed), against the real schema.
\set s random(1, :sessions)
with bumped as (
  update sessions set last_position = last_position + 1 where id = 'ses_' || :s returning last_position
)
insert into turns (id, session_id, tenant_id, position, input, request_hash)
select gen_random_uuid()::text, 'ses_' || :s, 'ten_capacity', last_position, 'hello', 'h' from bumped
returning id as tid \gset
select id, status, output, attempts from turns where id = :tid;
update turns set status = 'running', lease = lease + 1, attempts = attempts + 1, started_at = now()
where id = :tid
returning lease, set_config('synchronous_commit', 'off', true);
with seq as (
  update sessions set last_seq = last_seq + 2 where id = 'ses_' || :s returning last_seq
), appended as (
  insert into messages (session_id, seq, turn_id, role, content)
  select 'ses_' || :s, last_seq - 1, :tid, 'user', '{"text":"hello"}'::jsonb from seq
  union all
  select 'ses_' || :s, last_seq, :tid, 'assistant', '{"text":"Hi!"}'::jsonb from seq
  returning seq
)
update turns set status = 'completed', output = 'Hi!', finished_at = now()
where id = :tid and exists (select 1 from appended);
