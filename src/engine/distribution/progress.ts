/**
 * Progress messages of pull and push, in the shape of Docker's JSON message stream:
 * `{status, id, progressDetail: {current, total}, progress}`. The engine writes them to a
 * sink; the API layer decides where they go (a response, a test array).
 */
export interface ProgressMessage {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  aux?: Record<string, unknown>;
}

export interface ProgressSink {
  write(message: ProgressMessage): void;
}

/** Docker's HumanSize: decimal units, four significant digits (`2.13MB`). */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < units.length - 1) {
    size /= 1000;
    i++;
  }
  return `${Number(size.toPrecision(4))}${units[i]}`;
}

/** Docker's progress string: `[=====>      ]  1.2MB/2.1MB`. */
export function progressBar(current: number, total: number): string {
  if (total <= 0) return `${humanSize(current)}`;
  const filled = Math.min(50, Math.floor(((current / total) * 100) / 2));
  const bar = `[${'='.repeat(filled)}>${' '.repeat(50 - filled)}] `;
  return `${bar}${humanSize(current).padStart(8)}/${humanSize(total)}`;
}

/**
 * Per-layer progress with throttling: byte counts arrive for every chunk, but a message goes
 * out at most every `intervalMs` (and always for the last byte).
 */
export class LayerProgress {
  private lastSent = 0;

  constructor(
    private readonly sink: ProgressSink,
    readonly id: string,
    private readonly intervalMs = 100,
  ) {}

  status(status: string): void {
    this.sink.write({ status, progressDetail: {}, id: this.id });
  }

  bytes(status: string, current: number, total: number): void {
    const now = Date.now();
    if (current < total && now - this.lastSent < this.intervalMs) return;
    this.lastSent = now;
    this.sink.write({ status, progressDetail: { current, total }, progress: progressBar(current, total), id: this.id });
  }
}

/** Runs `fn` over `items` with at most `limit` at a time; rejects with the first failure. */
export async function forEachLimited<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async (): Promise<void> => {
    while (next < items.length && failed === undefined) {
      const i = next++;
      try {
        await fn(items[i]!, i);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed !== undefined) throw failed;
}
