/**
 * The event bus behind `GET /events`: every service publishes here; subscribers get live
 * events, and a bounded history answers `--since`/`--until` queries.
 */
export type EventType = 'container' | 'image' | 'network' | 'volume' | 'daemon' | 'plugin' | 'builder' | 'service' | 'node' | 'secret' | 'config';

export interface EngineEvent {
  Type: EventType;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local' | 'swarm';
  time: number;
  timeNano: number;
  /** Deprecated fields the docker CLI still reads for container/image events. */
  status?: string;
  id?: string;
  from?: string;
}

export type EventListener = (e: EngineEvent) => void;

export class EventBus {
  private readonly history: EngineEvent[] = [];
  private readonly listeners = new Set<EventListener>();

  constructor(private readonly capacity = 10_000) {}

  publish(type: EventType, action: string, id: string, attributes: Record<string, string> = {}): EngineEvent {
    const nowNs = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
    const e: EngineEvent = {
      Type: type,
      Action: action,
      Actor: { ID: id, Attributes: attributes },
      scope: 'local',
      time: Number(nowNs / 1_000_000_000n),
      timeNano: Number(nowNs),
    };
    if (type === 'container' || type === 'image') {
      e.status = action;
      e.id = id;
      if (attributes.image) e.from = attributes.image;
    }
    this.history.push(e);
    if (this.history.length > this.capacity) this.history.splice(0, this.history.length - this.capacity);
    for (const l of this.listeners) l(e);
    return e;
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Retained events with `since <= time(s) <= until`. */
  past(sinceSec: number, untilSec = Infinity): EngineEvent[] {
    return this.history.filter((e) => e.timeNano / 1e9 >= sinceSec && e.timeNano / 1e9 <= untilSec);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}
