import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/**
 * What the kernel says about processes and sockets (Linux /proc): the leak check and the dev-runner
 * test ask it rather than trust the code under test to report on itself.
 */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** One letter: R, S, D, Z (exited, not yet reaped), … */
  state: string;
  command: string;
}

export function processInfo(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name is in parentheses and may itself hold spaces or parentheses.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const command = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
    return { pid, ppid: Number(rest[1]), state: rest[0]!, command };
  } catch {
    return undefined;
  }
}

/** A process that still runs: exists and has not exited (a zombie has exited, only its entry is left). */
export function isRunning(pid: number): boolean {
  const info = processInfo(pid);
  return info !== undefined && info.state !== "Z";
}

/** The running children of `pid`. */
export function runningChildren(pid: number): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const info = processInfo(Number(name));
    if (info && info.ppid === pid && info.state !== "Z") out.push(info);
  }
  return out;
}

/**
 * TCP connections this process holds open to any of `ports` (remote side), read from its own file
 * descriptors and the kernel's socket tables.
 */
export function openConnectionsTo(ports: number[]): { remotePort: number; state: string }[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // The descriptor closed while we looked.
    }
  }
  const found: { remotePort: number; state: string }[] = [];
  for (const table of ["/proc/self/net/tcp", "/proc/self/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const remotePort = parseInt(cols[2]!.split(":")[1]!, 16);
      // State 0A is LISTEN: a server of this process, not a connection to one.
      if (cols[3] === "0A" || !ports.includes(remotePort) || !inodes.has(cols[9]!)) continue;
      found.push({ remotePort, state: TCP_STATES[cols[3]!] ?? cols[3]! });
    }
  }
  return found;
}

const TCP_STATES: Record<string, string> = {
  "01": "ESTABLISHED",
  "02": "SYN_SENT",
  "04": "FIN_WAIT1",
  "05": "FIN_WAIT2",
  "06": "TIME_WAIT",
  "07": "CLOSE",
  "08": "CLOSE_WAIT",
  "09": "LAST_ACK",
  "0B": "CLOSING",
};
