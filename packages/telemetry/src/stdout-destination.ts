import { writeSync } from "node:fs";

/** How long one line may wait for a full pipe to drain before it is dropped. */
const FULL_PIPE_DEADLINE_MS = 1_000;
const FULL_PIPE_PAUSE_MS = 5;
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Where log lines go by default: file descriptor 1, written synchronously so that lines survive a
 * process.exit(). It replaces pino's default (sonic-boom), whose exit-time flush retries a failed
 * write every 100 ms for ever: when whoever read our stdout is gone (`npm run dev` killed outright,
 * a closed `| head`), every write fails with EPIPE and the process never exits. Here a line nobody
 * can read is dropped, and a full pipe is waited on for at most a second: logging never hangs the
 * process. Dropped lines are counted, for tests.
 */
export function stdoutDestination(fd = 1): { write(line: string): void; dropped(): number } {
  let dropped = 0;
  let gone = false;
  return {
    write(line: string) {
      if (gone) return void dropped++;
      let buf = Buffer.from(line, "utf8");
      const deadline = Date.now() + FULL_PIPE_DEADLINE_MS;
      while (buf.length > 0) {
        try {
          buf = buf.subarray(writeSync(fd, buf));
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          const full = code === "EAGAIN" || code === "EBUSY";
          if (full && Date.now() < deadline) {
            Atomics.wait(pause, 0, 0, FULL_PIPE_PAUSE_MS);
            continue;
          }
          // EPIPE, EBADF and the like do not get better: stop trying for the rest of the process.
          if (!full) gone = true;
          dropped++;
          return;
        }
      }
    },
    dropped: () => dropped,
  };
}
