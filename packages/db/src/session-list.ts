import { sql, type SQL } from "drizzle-orm";
import type { Db } from "./client.ts";

export interface SessionListFilter {
  tenantId: string;
  /** Keyset cursor: only sessions with an id below this one (the previous page's last id). */
  before?: string | undefined;
  agentId?: string | undefined;
  /** Matches a session id prefix, or a metadata value containing it (case-insensitive). */
  q?: string | undefined;
  /** Only sessions with a queued or running turn. */
  active?: boolean | undefined;
  limit: number;
}

export interface SessionListRow {
  id: string;
  agentId: string | null;
  metadata: Record<string, unknown>;
  tokensUsed: number;
  costMicros: number;
  createdAt: Date;
  /** When its latest turn was submitted (null: no turn yet), and that turn's status. */
  lastTurnAt: Date | null;
  lastTurnStatus: string | null;
  openTurns: number;
}

/**
 * A page of a tenant's sessions, newest first. Walks sessions_tenant_id_idx backwards from the
 * cursor and stops after `limit` matches; each row's latest turn is one probe of the
 * (session, position) key and its open turns one probe of the pending index, so a page costs the
 * same with 10 or 10,000,000 sessions (a filter that matches rarely walks further).
 */
export async function listSessions(db: Db, f: SessionListFilter): Promise<SessionListRow[]> {
  const where: SQL[] = [sql`s.tenant_id = ${f.tenantId}`];
  if (f.before) where.push(sql`s.id < ${f.before}`);
  if (f.agentId) where.push(sql`s.agent_id = ${f.agentId}`);
  if (f.q) {
    const like = `%${f.q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    where.push(sql`(starts_with(s.id, ${f.q}) or s.agent_id = ${f.q} or exists (
      select 1 from jsonb_each_text(s.metadata) m where m.key ilike ${like} or m.value ilike ${like}))`);
  }
  if (f.active) where.push(sql`exists (select 1 from turns p where p.session_id = s.id and p.status in ('queued', 'running'))`);
  const rows = await db.execute<{
    id: string;
    agent_id: string | null;
    metadata: Record<string, unknown>;
    tokens_used: string;
    cost_micros: string;
    created_at: string;
    last_turn_at: string | null;
    last_turn_status: string | null;
    open_turns: number;
  }>(sql`
    select s.id, s.agent_id, s.metadata, s.tokens_used, s.cost_micros, s.created_at,
      l.created_at as last_turn_at, l.status as last_turn_status,
      (select count(*)::int from turns p where p.session_id = s.id and p.status in ('queued', 'running')) as open_turns
    from sessions s
    left join lateral (select t.created_at, t.status from turns t where t.session_id = s.id order by t.position desc limit 1) l on true
    where ${sql.join(where, sql` and `)}
    order by s.tenant_id desc, s.id desc
    limit ${f.limit}`);
  return [...rows].map((r) => ({
    id: r.id,
    agentId: r.agent_id,
    metadata: r.metadata,
    tokensUsed: Number(r.tokens_used),
    costMicros: Number(r.cost_micros),
    createdAt: new Date(r.created_at),
    lastTurnAt: r.last_turn_at === null ? null : new Date(r.last_turn_at),
    lastTurnStatus: r.last_turn_status,
    openTurns: r.open_turns,
  }));
}
