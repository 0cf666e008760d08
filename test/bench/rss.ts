import { readFileSync } from "node:fs";

/** Resident set size of a process in MiB, from /proc/<pid>/status (VmRSS, in kB); undefined once gone. */
export function readRssMiB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export interface RssSampler {
  /** Takes a last sample, stops, and returns the largest and the last sample over all processes. */
  stop(): { max: number; final: number };
}

/**
 * Samples every pid's RSS every `intervalMs`. "final" is the largest process's last sample, so with
 * several workers both figures describe the heaviest one.
 */
export function sampleRss(pids: number[], intervalMs = 500): RssSampler {
  let max = 0;
  let last: number[] = [];
  const sample = () => {
    last = pids.map((p) => readRssMiB(p) ?? 0);
    max = Math.max(max, ...last);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { max, final: Math.max(...last) };
    },
  };
}
