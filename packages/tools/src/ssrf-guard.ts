import { lookup as dnsLookup } from "node:dns/promises";
import { isIP } from "node:net";
import { Agent, buildConnector } from "undici";
import { publicAddressesOnly, type AddressPolicy, type ConnectTarget } from "./address-policy.ts";

/**
 * Server-side request forgery guard for tools that make outbound HTTP requests on the model's behalf.
 *
 * The address check lives inside the connector of a dedicated undici Agent, right before the socket is
 * opened, and is applied to the very address we then connect to. Checking the URL's hostname up front
 * is not enough: a name can resolve to a public address when checked and to 127.0.0.1 when connected
 * (DNS rebinding), and every redirect hop opens a new connection that must be judged again.
 */

export type Lookup = (hostname: string) => Promise<readonly { address: string; family: number }[]>;

export interface GuardedAgentOptions {
  /** Decides whether an address may be connected to. Default: public unicast addresses only. */
  isAllowedAddress?: AddressPolicy;
  /** Name resolution; injectable so tests can simulate names resolving to private addresses. */
  lookup?: Lookup;
  /** Bounds for connect and for waiting on headers/body, in ms. */
  timeoutMs?: number;
}

/** Raised (never sent anywhere) when a request would reach a refused address or URL. */
export class OutboundRequestBlockedError extends Error {
  readonly code = "ERR_OUTBOUND_REQUEST_BLOCKED";
  constructor(message: string) {
    super(message);
    this.name = "OutboundRequestBlockedError";
  }
}

const defaultLookup: Lookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export function createGuardedAgent(opts: GuardedAgentOptions = {}): Agent {
  const policy = opts.isAllowedAddress ?? publicAddressesOnly;
  const lookup = opts.lookup ?? defaultLookup;
  const base = buildConnector({ timeout: opts.timeoutMs ?? 10_000 });

  const connect: buildConnector.connector = (options, callback) => {
    let done = false;
    const reply: buildConnector.Callback = (...args) => {
      if (done) return;
      done = true;
      callback(...args);
    };
    const protocol = options.protocol === "https:" ? "https:" : "http:";
    const target: ConnectTarget = {
      hostname: options.hostname,
      port: Number(options.port) || (protocol === "https:" ? 443 : 80),
      protocol,
    };
    resolve(options.hostname, lookup)
      .then((addresses) => {
        const refused = addresses.find((a) => !policy(a.address, target));
        if (refused !== undefined) throw blocked(target.hostname, refused.address);
        const chosen = addresses[0];
        if (chosen === undefined) throw new Error(`could not resolve host "${target.hostname}"`);
        // Connect to the address we just approved, not to the name (which could resolve differently now).
        // For https the original host stays the TLS server name, taken by undici from `options.host`.
        base({ ...options, hostname: chosen.address }, (err, socket) => {
          if (err !== null) return reply(err, null);
          // Defence in depth: judge the peer the socket is actually connected to.
          const peer = socket.remoteAddress;
          if (peer === undefined || !policy(peer, target)) {
            socket.destroy();
            return reply(blocked(target.hostname, peer ?? "unknown address"), null);
          }
          reply(null, socket);
        });
      })
      .catch((err: unknown) => reply(err instanceof Error ? err : new Error(String(err)), null));
  };

  const timeout = opts.timeoutMs ?? 10_000;
  return new Agent({ connect, headersTimeout: timeout, bodyTimeout: timeout });
}

async function resolve(hostname: string, lookup: Lookup): Promise<readonly { address: string; family: number }[]> {
  // IP literals are judged as they are; only names go through DNS.
  const family = isIP(hostname);
  if (family !== 0) return [{ address: hostname, family }];
  return lookup(hostname);
}

function blocked(hostname: string, address: string): OutboundRequestBlockedError {
  const shown = hostname === address ? address : `${hostname} (${address})`;
  return new OutboundRequestBlockedError(
    `refusing to connect to ${shown}: private, loopback, link-local and other non-public addresses are not allowed`,
  );
}

// The URL rule is shared with the API, which refuses such URLs when an agent is created.
export { urlProblem } from "@turnq/core";
