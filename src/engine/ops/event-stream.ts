/**
 * `GET /events` as a stream of events: the retained history in `[since, until]`, then, while
 * `until` lies in the future (or is absent), live events until `until` passes or the reader
 * goes away. Events published while the history is being replayed are queued, not lost.
 */
import type { EngineEvent, EventBus } from '../events/bus.js';
import { eventFilter } from './event-filter.js';
import { parseTime } from '../../util/filters.js';
import { InvalidParameterError } from '../../util/errors.js';

export interface EventStreamOptions {
  since?: string;
  until?: string;
  filters: Map<string, string[]>;
}

export interface EventSink {
  /** The query is valid: the stream begins. */
  ready(): void;
  write(e: EngineEvent): void;
  end(): void;
  /** Resolves when the reader is gone. */
  closed: Promise<void>;
}

/** Streams events into `sink`; resolves when the stream ended (until reached or reader gone). */
export async function streamEvents(bus: EventBus, opts: EventStreamOptions, sink: EventSink): Promise<void> {
  const now = Date.now() / 1000;
  const since = opts.since ? parseTime(opts.since) : undefined;
  const until = opts.until ? parseTime(opts.until) : undefined;
  if (since !== undefined && until !== undefined && until < since) throw new InvalidParameterError('since time must be before until time');
  const matches = eventFilter(opts.filters);

  sink.ready();
  const follow = until === undefined || until > now;
  const queued: EngineEvent[] = [];
  let live: ((e: EngineEvent) => void) | undefined;
  const unsubscribe = follow
    ? bus.subscribe((e) => {
        if (!matches(e)) return;
        if (live) live(e);
        else queued.push(e);
      })
    : undefined;
  try {
    let lastNano = 0;
    if (since !== undefined || until !== undefined) {
      for (const e of bus.past(since ?? 0, until ?? Infinity)) {
        if (!matches(e)) continue;
        sink.write(e);
        lastNano = e.timeNano;
      }
    }
    if (!follow) return;
    // Live events already replayed from history are not sent twice.
    for (const e of queued) if (e.timeNano > lastNano) sink.write(e);
    queued.length = 0;
    await new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      live = (e) => {
        if (until !== undefined && e.timeNano / 1e9 > until) return resolve();
        sink.write(e);
      };
      if (until !== undefined) timer = setTimeout(resolve, Math.max(0, (until - Date.now() / 1000) * 1000));
      void sink.closed.then(() => {
        if (timer) clearTimeout(timer);
        resolve();
      });
    });
  } finally {
    unsubscribe?.();
    sink.end();
  }
}
