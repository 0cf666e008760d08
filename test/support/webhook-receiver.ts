import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { once } from "node:events";
import type { AddressInfo } from "node:net";

export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** What this receiver answered (null while held or when it hung up without answering). */
  status: number | null;
}

/** What the receiver does with a request: answer with a status, or hold it open until released. */
export type Reply = number | "hang";

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Decides each request's reply (default 200); `n` counts the requests to that path so far, from 1. */
  respond: (req: ReceivedWebhook, n: number) => Reply;
  /** Requests held open right now. */
  held(): number;
  /** Answers every held request with `status`. */
  release(status?: number): void;
  /** Polls until `predicate` holds on the received list, or fails after `ms`. */
  waitFor(predicate: (all: ReceivedWebhook[]) => boolean, ms?: number, what?: string): Promise<void>;
  close(): Promise<void>;
}

/** A loopback HTTP server playing a customer's webhook receiver, scripted per request. */
export async function startWebhookReceiver(respond: WebhookReceiver["respond"] = () => 200): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const counts = new Map<string, number>();
  const heldResponses = new Set<{ res: ServerResponse; rec: ReceivedWebhook }>();
  const sockets = new Set<Socket>();
  const receiver: WebhookReceiver = {
    url: "",
    received,
    respond,
    held: () => heldResponses.size,
    release(status = 200) {
      for (const h of heldResponses) {
        h.rec.status = status;
        h.res.writeHead(status).end();
      }
      heldResponses.clear();
    },
    async waitFor(predicate, ms = 60_000, what = "the expected webhooks") {
      const deadline = Date.now() + ms;
      while (!predicate(received)) {
        if (Date.now() > deadline) throw new Error(`${what} did not arrive within ${ms} ms; received ${JSON.stringify(received.map((r) => [r.path, r.headers["webhook-id"], r.status]))}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: async () => {
      receiver.release(503);
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, "close");
    },
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const rec: ReceivedWebhook = { path: req.url ?? "/", headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), status: null };
      received.push(rec);
      const n = (counts.get(rec.path) ?? 0) + 1;
      counts.set(rec.path, n);
      const reply = receiver.respond(rec, n);
      if (reply === "hang") {
        const h = { res, rec };
        heldResponses.add(h);
        res.on("close", () => heldResponses.delete(h));
        return;
      }
      rec.status = reply;
      res.writeHead(reply, { "content-type": "text/plain" }).end(reply < 300 ? "ok" : "not now");
    });
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}
