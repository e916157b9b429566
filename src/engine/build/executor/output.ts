/**
 * Build output in Dockerfile order even when independent stages run in parallel: a stage
 * that is not first in line buffers its lines until every stage before it has finished.
 */
export interface BuildOutput {
  /** Text for the classic `{"stream": ...}` message. */
  stream(text: string): void;
  aux(value: Record<string, unknown>): void;
}

export class OrderedOutput {
  private head = 0;
  private readonly buffers = new Map<number, string[]>();
  private readonly finished = new Set<number>();

  constructor(private readonly sink: BuildOutput, private readonly order: number[]) {}

  /** The writer for one stage (identified by its stage index). */
  writer(stage: number): (text: string) => void {
    return (text) => {
      if (this.order[this.head] === stage) this.sink.stream(text);
      else {
        const buf = this.buffers.get(stage) ?? [];
        buf.push(text);
        this.buffers.set(stage, buf);
      }
    };
  }

  finish(stage: number): void {
    this.finished.add(stage);
    while (this.head < this.order.length && this.finished.has(this.order[this.head]!)) {
      this.head++;
      const next = this.order[this.head];
      if (next === undefined) break;
      for (const text of this.buffers.get(next) ?? []) this.sink.stream(text);
      this.buffers.delete(next);
    }
  }

  /** Flushes everything (on failure, so no output is lost). */
  flushAll(): void {
    for (const stage of this.order) {
      for (const text of this.buffers.get(stage) ?? []) this.sink.stream(text);
      this.buffers.delete(stage);
    }
  }
}
