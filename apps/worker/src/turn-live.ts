import type { EventPublisher, FollowSignal, FollowSignals, LiveEvent } from "@turnq/queue";
import type { TurnEvent } from "./agent/turn-events.ts";

/**
 * One turn's live events on their way to its session's stream. While nobody follows the session
 * (follow-signals in @turnq/queue), the events only a follower could use as they happen, the turn's
 * `running` status and its text deltas, are held: the turn's next other event takes them along in its
 * stream entry, or its settle does with the closing events, each stamped with when it happened (a
 * turn's timeline reads those times). When a reader arrives, what is held goes out at once and every
 * later event as it comes. Nothing is dropped: a reader who comes after the turn still reads it all.
 */
export class TurnLive {
  private readonly publisher: EventPublisher;
  private readonly turn: { id: string; sessionId: string };
  private readonly signal: FollowSignal;
  private held: (LiveEvent & { event: TurnEvent })[] = [];

  constructor(publisher: EventPublisher, signals: FollowSignals, turn: { id: string; sessionId: string }) {
    this.publisher = publisher;
    this.turn = turn;
    this.signal = signals.open(turn.sessionId, () => this.followedNow());
  }

  /** Whether a reader follows the session: from then on every event is written as it comes. */
  followed(): boolean {
    return this.signal.followed();
  }

  /**
   * `seq` is the newest log seq the emitter knows is durable; a client resuming after the live stream
   * expired gets the log's messages after it, so nothing durable is ever missed.
   */
  emit(event: TurnEvent, seq?: number): void {
    if (this.signal.followed()) return this.write([{ seq, event }]);
    if (event.type === "message.delta" || (event.type === "turn.status" && event.status === "running")) return this.hold(event, seq);
    this.write([...this.take(), { seq, event }]);
  }

  /** What is held, for the turn's closing events (the settle writes them first). */
  take(): LiveEvent[] {
    const held = this.held;
    this.held = [];
    return held;
  }

  close(): void {
    this.signal.close();
  }

  private hold(event: TurnEvent, seq: number | undefined): void {
    const last = this.held.at(-1);
    // Text held back is one delta: what a reader would have got joined, from when it began.
    if (event.type === "message.delta" && last?.event.type === "message.delta") {
      last.event = { type: "message.delta", text: last.event.text + event.text };
      last.seq = seq ?? last.seq;
      return;
    }
    this.held.push({ seq, event, at: Date.now() });
  }

  private followedNow(): void {
    const held = this.take();
    if (held.length > 0) this.write(held);
  }

  private write(events: LiveEvent[]): void {
    const { id, sessionId } = this.turn;
    const sent =
      events.length === 1 && events[0]!.at === undefined
        ? this.publisher.publish(sessionId, id, events[0]!.event as TurnEvent, events[0]!.seq)
        : this.publisher.publishBatch(sessionId, id, events);
    sent.catch(() => {});
  }
}
