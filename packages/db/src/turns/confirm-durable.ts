import type { Db } from "../client.ts";
import { prepared, type Statement } from "../raw-rows.ts";

/**
 * A write that commits synchronously, so its commit flushes the WAL up to itself and with it every
 * earlier commit, among them a submit that deferred its flush. A transaction that writes no WAL
 * (a read, even one that takes a transaction id) commits without a flush, hence the UPDATE: it
 * rewrites the turn's status unchanged. Returns no row when the turn is gone, which only a Postgres
 * crash between the deferred commit and its flush can do.
 */
const confirmStatement: Statement = {
  operation: "UPDATE",
  collection: "turns",
  name: "confirm_durable",
  text: "update turns set status = status where id = $1 returning id",
};

/**
 * Makes a turn submitted with `deferFlush` durable before anyone is told it was accepted. False when
 * the turn was lost (the client must send it again; with its Idempotency-Key that is safe).
 */
export async function confirmTurnDurable(db: Db, turnId: string): Promise<boolean> {
  const rows = await prepared<{ id: string }>(db, confirmStatement, [turnId]);
  return rows.length === 1;
}
