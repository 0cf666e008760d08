import { afterEach } from "vitest";
import { startSimulator, type Simulator, type SimulatorOptions } from "../src/index.ts";

/** Returns a starter whose simulators are all closed after each test. */
export function simulatorFixture(): (opts?: SimulatorOptions) => Promise<Simulator> {
  const started: Simulator[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.close()));
  });
  return async (opts) => {
    const sim = await startSimulator(opts);
    started.push(sim);
    return sim;
  };
}

export function postJson(url: string, body: unknown, init: { headers?: Record<string, string>; signal?: AbortSignal } = {}) {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...init.headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal: init.signal,
  });
}

export interface SseEvent {
  event: string | undefined;
  data: string;
}

export function parseSse(text: string): SseEvent[] {
  return text
    .split("\n\n")
    .filter((block) => block.trim() !== "")
    .map((block) => {
      let event: string | undefined;
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
      }
      return { event, data: data.join("\n") };
    });
}

export const user = (content: string) => ({ role: "user", content });

// Response bodies are checked with runtime matchers, so a loose type keeps the tests readable.
export async function readJson(res: Response): Promise<any> {
  return res.json();
}
