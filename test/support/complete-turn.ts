import { finishTurn, type Db, type MessageRow, type NewMessage, type TurnRow } from "@turnq/db";

/** Tests' shorthand for a turn that completes with no usage (the worker always passes its usage). */
export function completeTurn(
  db: Db,
  args: { turnId: string; lease: number; messages: NewMessage[]; output: string },
): Promise<{ turn: TurnRow; messages: MessageRow[] }> {
  return finishTurn(db, { ...args, status: "completed", usage: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 } });
}
