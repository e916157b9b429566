/**
 * The buffer between a container's log and a collector: bounded (the oldest records go when
 * it is full, and are counted as dropped), delivered in batches by one async loop, retried
 * with exponential backoff while the collector is down. Nothing here ever waits on the
 * container: the log is read from conmon's file, so a slow or dead collector costs memory
 * up to the bound and then dropped lines, never a blocked process.
 */
import type { ShippedRecord } from './record.js';

export interface DeliveryQueueOptions {
  /** Sends one batch; rejects when the collector did not take it. */
  deliver: (batch: ShippedRecord[]) => Promise<void>;
  /** Most records held (default 65536). */
  limit?: number;
  /** Largest batch per delivery (default 512). */
  batchSize?: number;
  /** First retry delay (default 1s), doubled per failure up to 30s. */
  retryWaitMs?: number;
  /** Failed attempts before a batch is dropped (default: retry forever). */
  maxRetries?: number;
  onDropped?: (count: number, reason: string) => void;
  onDelivered?: (count: number) => void;
  /** A delivery failed (once per outage) / recovered. */
  onFailure?: (err: unknown) => void;
  onRecovered?: () => void;
}

export class DeliveryQueue {
  private readonly items: ShippedRecord[] = [];
  private head = 0;
  private running = false;
  private closed = false;
  private failing = false;
  private wake?: () => void;
  private sleepTimer?: NodeJS.Timeout;
  dropped = 0;
  delivered = 0;

  constructor(private readonly o: DeliveryQueueOptions) {}

  get length(): number {
    return this.items.length - this.head;
  }

  push(r: ShippedRecord): void {
    if (this.closed) return;
    if (this.length >= (this.o.limit ?? 65536)) {
      this.head++;
      this.drop(1, 'buffer full');
    }
    this.items.push(r);
    if (!this.running) void this.loop();
  }

  private drop(n: number, reason: string): void {
    this.dropped += n;
    this.o.onDropped?.(n, reason);
  }

  private async loop(): Promise<void> {
    this.running = true;
    let attempt = 0;
    try {
      while (this.length > 0 && !this.closed) {
        const batch = this.items.slice(this.head, this.head + (this.o.batchSize ?? 512));
        try {
          await this.o.deliver(batch);
          this.consume(batch.length);
          this.delivered += batch.length;
          this.o.onDelivered?.(batch.length);
          attempt = 0;
          if (this.failing) {
            this.failing = false;
            this.o.onRecovered?.();
          }
        } catch (err) {
          if (!this.failing) {
            this.failing = true;
            this.o.onFailure?.(err);
          }
          attempt++;
          if (this.o.maxRetries !== undefined && attempt > this.o.maxRetries) {
            this.consume(batch.length);
            this.drop(batch.length, 'retries exhausted');
            attempt = 0;
            continue;
          }
          await this.sleep(Math.min(30_000, (this.o.retryWaitMs ?? 1000) * 2 ** Math.min(attempt - 1, 10)));
        }
      }
    } finally {
      this.running = false;
    }
  }

  private consume(n: number): void {
    this.head += n;
    // Compact now and then rather than shifting on every batch.
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.sleepTimer = setTimeout(resolve, ms);
      this.sleepTimer.unref();
    });
  }

  /** Stops delivering; what is still queued is counted as dropped. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.sleepTimer) clearTimeout(this.sleepTimer);
    this.wake?.();
    if (this.length > 0) this.drop(this.length, 'shipper closed');
    this.items.length = 0;
    this.head = 0;
  }

  /** Waits (up to `ms`) for the queue to empty, e.g. before a container's shipper is closed. */
  async flush(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.length > 0 && Date.now() < deadline && !this.closed) await new Promise((r) => setTimeout(r, 20));
  }
}
