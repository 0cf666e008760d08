import { readFile } from "node:fs/promises";
import type { AgentRequest } from "@turnq/contract";
import type { TurnqClient } from "../client.ts";
import { intFlag, UsageError, type CliArgs } from "./config.ts";
import { createRenderer, type Output } from "./render.ts";
import { exitCodeOf, send } from "./send.ts";

/** Runs one command; resolves with the exit code. */
export async function runCommand(client: TurnqClient, a: CliArgs, o: Output, signal: AbortSignal): Promise<number> {
  const [group, verb, ...rest] = a.positionals;
  const need = (value: string | undefined, what: string): string => {
    if (!value) throw new UsageError(`Missing ${what}; see turnq --help.`);
    return value;
  };
  const print = (value: unknown, text: string) => o.out(`${a.json ? JSON.stringify(value) : text}\n`);

  switch (group) {
    case "sessions": {
      if (verb === "create") {
        const budget = intFlag(a.values["token-budget"], "token-budget");
        const session = await client.sessions.create(
          {
            ...(a.values.agent ? { agentId: a.values.agent } : {}),
            ...(a.values.metadata ? { metadata: parseJson(a.values.metadata, "--metadata") as Record<string, never> } : {}),
            ...(budget !== undefined ? { tokenBudget: budget } : {}),
          },
          { signal },
        );
        print(session, session.id);
        return 0;
      }
      if (verb === "get") {
        const session = await client.sessions.get(need(rest[0], "the session id"), { signal });
        print(session, JSON.stringify(session, null, 2));
        return 0;
      }
      throw new UsageError(`Unknown command "sessions ${verb ?? ""}"; use sessions create or sessions get.`);
    }
    case "send":
      return send(client, o, { session: need(verb, "the session id"), text: need(rest[0], "the text to send"), onBusy: a.values["on-busy"], json: a.json, signal });
    case "tail": {
      const render = createRenderer(o, { showTurnIds: true });
      for await (const e of client.sessions.stream(need(verb, "the session id"), { signal })) {
        if (a.json) o.out(`${JSON.stringify(e)}\n`);
        else render.event(e);
      }
      return 0;
    }
    case "turns": {
      const id = need(rest[0], "the turn id");
      if (verb !== "get" && verb !== "cancel") throw new UsageError(`Unknown command "turns ${verb ?? ""}"; use turns get or turns cancel.`);
      const turn = verb === "get" ? await client.turns.get(id, { signal }) : await client.turns.cancel(id, { signal });
      const queued = turn.queuePosition !== undefined ? ` (${turn.queuePosition} ahead)` : "";
      const detail = turn.output ?? (turn.error ? `${turn.error.code}: ${turn.error.message ?? ""}` : "");
      print(turn, `${turn.id} ${turn.status}${queued}${detail ? `\n${detail}` : ""}`);
      return verb === "get" && ["completed", "failed", "cancelled"].includes(turn.status) ? exitCodeOf(turn) : 0;
    }
    case "agents": {
      if (verb !== "apply") throw new UsageError(`Unknown command "agents ${verb ?? ""}"; use agents apply -f agent.json.`);
      const file = need(a.values.file, "-f <agent.json>");
      const { id, ...body } = parseJson(await readFile(file, "utf8"), file) as AgentRequest & { id?: string };
      const agent = id ? await client.agents.update(id, body, { signal }) : await client.agents.create(body, { signal });
      print(agent, id ? `${agent.id} version ${agent.version}` : `${agent.id} version ${agent.version} (add "id": "${agent.id}" to ${file} so the next apply adds a version)`);
      return 0;
    }
    case "messages": {
      const session = need(verb, "the session id");
      const limit = intFlag(a.values.limit, "limit");
      let left = limit ?? Infinity;
      for await (const m of client.sessions.allMessages(session, { after: intFlag(a.values.after, "after") ?? 0 }, { signal })) {
        if (left-- <= 0) break;
        const text = m.content.text ?? (m.content.toolCalls ? m.content.toolCalls.map((c) => `${c.name}(${c.arguments})`).join(", ") : "");
        print(m, `#${m.seq} ${m.role}: ${text}`);
      }
      return 0;
    }
    default:
      throw new UsageError(group ? `Unknown command "${group}"; see turnq --help.` : "No command given; see turnq --help.");
  }
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}
