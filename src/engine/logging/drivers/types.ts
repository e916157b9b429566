import type { DeliveryQueue, DeliveryQueueOptions } from '../queue.js';
import type { LogSource, ShippedRecord } from '../record.js';

/** A shipping driver for one container: `push` never blocks; delivery is asynchronous. */
export interface LogShipper {
  push(r: ShippedRecord): void;
  /** Tries to deliver what is queued (up to `graceMs`), then closes connections. */
  close(graceMs?: number): Promise<void>;
  readonly dropped: number;
  readonly delivered: number;
}

/** Callbacks a shipper reports through (counters, daemon log, events). */
export type ShipperHooks = Pick<DeliveryQueueOptions, 'onDropped' | 'onDelivered' | 'onFailure' | 'onRecovered'>;

export type ShipperFactory = (source: LogSource, opts: Record<string, string>, hooks: ShipperHooks) => LogShipper;

/** A shipper made of a delivery queue in front of a transport: flush, then close both. */
export function queuedShipper(queue: DeliveryQueue, transport: { close(): void }): LogShipper {
  return {
    push: (r) => queue.push(r),
    close: async (graceMs = 2000) => {
      await queue.flush(graceMs);
      queue.close();
      transport.close();
    },
    get dropped() {
      return queue.dropped;
    },
    get delivered() {
      return queue.delivered;
    },
  };
}
