import { Writable } from 'node:stream';
import type { Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

/**
 * A Writable that appends to an open file and feeds the same bytes to a hash. The hash is
 * updated only after a write succeeded, so `bytes` and the hash always describe exactly what
 * is on disk — which is what lets an interrupted upload resume at the right offset.
 * Chunks are batched with writev to keep per-chunk overhead low on fast streams.
 */
export class HashingFileWriter extends Writable {
  bytes = 0;
  private inflight: Promise<void> = Promise.resolve();
  constructor(
    private readonly file: FileHandle,
    private readonly hash: Hash,
    private position: number | null = null,
  ) {
    super({ highWaterMark: 8 * 1024 * 1024, decodeStrings: true });
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    const buffers = chunks.map((c) => c.chunk);
    this.inflight = this.writeAll(buffers);
    this.inflight.then(() => callback(), callback);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.inflight = this.writeAll([chunk]);
    this.inflight.then(() => callback(), callback);
  }

  /** Resolves once no write is running (after an error, before trusting `bytes`). */
  async settled(): Promise<void> {
    await this.inflight.catch(() => undefined);
  }

  private async writeAll(buffers: Buffer[]): Promise<void> {
    let total = 0;
    for (const b of buffers) total += b.length;
    let done = 0;
    let pending = buffers;
    // writev may write partially; loop until everything is on disk.
    while (done < total) {
      const { bytesWritten } = await this.file.writev(pending, this.position ?? undefined);
      done += bytesWritten;
      if (this.position !== null) this.position += bytesWritten;
      if (done < total) pending = sliceFrom(buffers, done);
    }
    for (const b of buffers) this.hash.update(b);
    this.bytes += total;
  }
}

function sliceFrom(buffers: Buffer[], offset: number): Buffer[] {
  const out: Buffer[] = [];
  let skip = offset;
  for (const b of buffers) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    out.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}
