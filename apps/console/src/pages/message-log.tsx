import type { Message } from "@turnq/client";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { href } from "../route.ts";

/** What a row shows of a message: a page of the log and a live `message` event both give this much. */
export type LogEntry = Pick<Message, "seq" | "role" | "content" | "turnId">;

const rowHeight = 60;
const pageSize = 200;
const overscan = 10;

/**
 * The session's log as a virtualised list: only the rows in view (plus a few) exist in the DOM, and
 * the log is fetched by seq in pages of 200 as they scroll into view (seq is gapless from 1, so the
 * page holding any row is known without asking). 10,000 messages cost what 30 do. Rows have one
 * height and clamp their text; a click shows the whole message below.
 */
export function MessageLog(props: {
  total: number;
  cache: Map<number, LogEntry>;
  version: number;
  loadPage: (afterSeq: number, limit: number) => Promise<void>;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(480);
  const [selected, setSelected] = useState<number | null>(null);
  const stick = useRef(true);
  const requested = useRef(new Set<number>());

  useLayoutEffect(() => {
    const el = box.current!;
    setHeight(el.clientHeight);
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  // New rows keep the view at the bottom while the operator has not scrolled up.
  useLayoutEffect(() => {
    const el = box.current!;
    if (stick.current) el.scrollTop = el.scrollHeight;
  }, [props.total]);

  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(props.total, Math.ceil((scrollTop + height) / rowHeight) + overscan);
  useEffect(() => {
    for (let i = first; i < last; i++) {
      const seq = i + 1;
      if (props.cache.has(seq)) continue;
      const page = Math.floor(i / pageSize);
      if (requested.current.has(page)) continue;
      requested.current.add(page);
      void props.loadPage(page * pageSize, pageSize).catch(() => requested.current.delete(page));
    }
  }, [first, last, props.version]);

  const rows = [];
  for (let i = first; i < last; i++) {
    const m = props.cache.get(i + 1);
    rows.push(
      <div key={i} class={`row ${m?.role ?? "loading"} ${selected === i + 1 ? "sel" : ""}`} style={{ top: `${i * rowHeight}px`, height: `${rowHeight}px` }} data-seq={i + 1} onClick={() => setSelected(i + 1)}>
        {m ? <MessageRow m={m} /> : <span class="muted">#{i + 1} …</span>}
      </div>,
    );
  }
  const chosen = selected === null ? undefined : props.cache.get(selected);
  return (
    <div class="log-wrap">
      <div
        class="log"
        ref={box}
        data-testid="log"
        onScroll={(e) => {
          const el = e.currentTarget;
          setScrollTop(el.scrollTop);
          stick.current = el.scrollTop + el.clientHeight >= el.scrollHeight - rowHeight;
        }}
      >
        <div class="log-inner" style={{ height: `${props.total * rowHeight}px` }}>{rows}</div>
      </div>
      {props.total === 0 && <p class="muted">No messages yet: send the first turn below.</p>}
      {chosen && (
        <div class="detail">
          <MessageRow m={chosen} full />
        </div>
      )}
    </div>
  );
}

export function MessageRow({ m, full = false }: { m: LogEntry; full?: boolean }) {
  const c = m.content;
  return (
    <div class={full ? "msg full" : "msg"}>
      <div class="msg-head">
        <span class="seq">#{m.seq}</span>
        <span class={`role ${m.role}`}>{c.summary ? "summary" : m.role}</span>
        {c.interrupted && <span class="badge warn">interrupted</span>}
        {c.summary && <span class="badge">covers #{c.summary.fromSeq}–#{c.summary.toSeq}</span>}
        {c.toolCallId && <span class="mono muted">result of {c.toolCallId}</span>}
        <a class="turn-link mono" href={href.turn(m.turnId)} onClick={(e) => e.stopPropagation()}>{m.turnId}</a>
      </div>
      <div class="msg-body">
        {c.text && <span class="text">{c.text}</span>}
        {c.toolCalls?.map((t) => (
          <span key={t.id} class="call mono">→ {t.name}({t.arguments})</span>
        ))}
      </div>
    </div>
  );
}
