import { Writable } from 'node:stream';
import type { Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

/** Bytes gathered before one write: a few large writes instead of one per 64 KiB socket read. */
const BATCH = 1024 * 1024;
/** Bytes accepted but not yet on disk and hashed, before the writer pushes back on its source. */
const LIMIT = 8 * 1024 * 1024;

/**
 * A Writable that appends to an open file and feeds the same bytes to a hash. The hash is
 * updated only after a write succeeded, so `bytes` and the hash always describe exactly what
 * is on disk — which is what lets an interrupted upload resume at the right offset.
 *
 * An HTTP body arrives in 64 KiB chunks; writing each one costs a thread-pool round trip and a
 * promise, which on a 256 MiB push is a good share of the event loop's time. So chunks are
 * gathered (not copied) into batches of BATCH bytes, written with one writev each, while the
 * next batch is already being accepted: the socket keeps flowing as long as less than LIMIT
 * bytes wait for the disk. Writes never overlap (one file position). Whatever is gathered when
 * the stream ends or is destroyed (a client that went away) is still written.
 */
export class HashingFileWriter extends Writable {
  bytes = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private writingBytes = 0;
  private writing: Promise<void> | undefined;
  private error: Error | undefined;
  /** The source's callback, held back while LIMIT bytes are outstanding. */
  private held: ((error?: Error | null) => void) | undefined;

  constructor(
    private readonly file: FileHandle,
    private readonly hash: Hash,
    private position: number | null = null,
  ) {
    super({ highWaterMark: BATCH, decodeStrings: true });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.accept([chunk], callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.accept(
      chunks.map((c) => c.chunk),
      callback,
    );
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.drain().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Keep what arrived (a resumable upload continues from here); report the original error.
    this.drain().then(
      () => callback(error),
      () => callback(error),
    );
  }

  /** Resolves once no write is running (after an error, before trusting `bytes`). */
  async settled(): Promise<void> {
    while (this.writing) await this.writing.catch(() => undefined);
  }

  private accept(chunks: Buffer[], callback: (error?: Error | null) => void): void {
    if (this.error) return callback(this.error);
    for (const c of chunks) {
      this.pending.push(c);
      this.pendingBytes += c.length;
    }
    if (this.pendingBytes >= BATCH) this.kick();
    if (this.pendingBytes + this.writingBytes < LIMIT) callback();
    else this.held = callback;
  }

  /** Starts writing the gathered batch unless a write is running (its end starts the next). */
  private kick(): void {
    if (this.writing || this.pending.length === 0 || this.error) return;
    const buffers = this.pending;
    this.writingBytes = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    this.writing = this.writeAll(buffers).then(
      () => {
        this.writing = undefined;
        this.writingBytes = 0;
        if (this.pendingBytes >= BATCH) this.kick();
        this.release();
      },
      (err: unknown) => {
        this.writing = undefined;
        this.writingBytes = 0;
        this.error = err instanceof Error ? err : new Error(String(err));
        this.release();
        throw this.error;
      },
    );
    this.writing.catch(() => undefined);
  }

  private release(): void {
    const cb = this.held;
    if (!cb) return;
    if (this.error) {
      this.held = undefined;
      cb(this.error);
    } else if (this.pendingBytes + this.writingBytes < LIMIT) {
      this.held = undefined;
      cb();
    }
  }

  /** Writes everything gathered; resolves when it is on disk and hashed. */
  private async drain(): Promise<void> {
    while (this.writing || this.pending.length > 0) {
      if (this.error) throw this.error;
      if (!this.writing) this.kick();
      await this.writing;
    }
    if (this.error) throw this.error;
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
