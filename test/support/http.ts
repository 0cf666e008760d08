/** Small JSON helpers over real HTTP (global fetch is fine for tests; the apps use undici). */
export async function post(base: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(base + path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json().catch(() => null)) as any };
}

export async function get(base: string, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(base + path, { headers });
  return { status: res.status, headers: res.headers, body: (await res.json().catch(() => null)) as any };
}

export async function createSession(base: string): Promise<string> {
  const r = await post(base, "/v1/sessions", {});
  if (r.status !== 201) throw new Error(`create session: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id as string;
}

/** Polls the turn with Prefer: wait until it is terminal. */
export async function waitTurn(base: string, turnId: string, seconds = 30) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const r = await get(base, `/v1/turns/${turnId}`, { prefer: "wait=10" });
    if (["completed", "failed", "cancelled"].includes(r.body?.status)) return r.body;
    if (Date.now() > deadline) throw new Error(`turn ${turnId} not terminal after ${seconds}s: ${JSON.stringify(r.body)}`);
  }
}
