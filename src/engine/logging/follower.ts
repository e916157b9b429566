/**
 * Follows one container's local log file (conmon's k8s-file format) across rotation.
 *
 * Rotation is conmon's: with `--log-size-max` it writes a fresh `<log>.tmp` and renames it
 * over `<log>` when the next write would pass the limit, so the live file never grows past
 * max-size whether or not berthd runs. The follower holds the old file open, so when the
 * rename happens it still reads the old file to its end (nothing is lost for shippers),
 * keeps it as `<log>.1` (`.1.gz` compressed), shifting older ones up to max-file, then goes
 * on with the new file. A `docker logs -f` reader does the same: it drains its open handle
 * before reopening.
 */
import { watch, type FSWatcher } from 'node:fs';
import { open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { basename, dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { parseLogRecord, type LogStream } from '../../runtime/logs.js';

export interface FollowedLine {
  /** conmon's RFC 3339 timestamp with nanoseconds. */
  timestamp: string;
  stream: LogStream;
  line: string;
}

export interface LogFollowerOptions {
  path: string;
  /** Byte offset to begin at in the current file (default: its end). */
  startAt?: number;
  /** Files kept in all, the live one included; 1 = rotated content is dropped. */
  maxFiles: number;
  compress: boolean;
  /** Called for each complete logical line (undefined: archive only). */
  onLine?: (l: FollowedLine) => void;
  onError?: (err: unknown) => void;
}

const CHUNK = 256 * 1024;

export class LogFollower {
  private fh?: FileHandle;
  private ino = 0;
  private position = 0;
  private rest = '';
  private partial: Partial<Record<LogStream, { timestamp: string; parts: string[] }>> = {};
  private watcher?: FSWatcher;
  private running = false;
  private again = false;
  private closed = false;
  private readonly buf = Buffer.allocUnsafe(CHUNK);

  constructor(private readonly o: LogFollowerOptions) {}

  async start(): Promise<void> {
    const name = basename(this.o.path);
    // Watching the directory sees both appends and conmon's rename of a fresh file into place.
    this.watcher = watch(dirname(this.o.path), (_event, file) => {
      if (file === null || file.toString() === name) this.kick();
    });
    this.watcher.on('error', (err) => this.o.onError?.(err));
    await this.openCurrent(this.o.startAt);
    this.kick();
  }

  /** Reads what is new; serialised, and re-run if more arrived meanwhile. */
  private kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void (async () => {
      try {
        do {
          this.again = false;
          await this.step();
        } while (this.again && !this.closed);
      } catch (err) {
        this.o.onError?.(err);
      } finally {
        this.running = false;
      }
    })();
  }

  private async openCurrent(startAt?: number): Promise<void> {
    try {
      const fh = await open(this.o.path, 'r');
      const st = await fh.stat();
      this.fh = fh;
      this.ino = st.ino;
      this.position = startAt === undefined ? st.size : Math.min(startAt, st.size);
      this.rest = '';
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.fh = undefined;
    }
  }

  private async step(): Promise<void> {
    if (!this.fh) {
      await this.openCurrent(0);
      if (!this.fh) return;
    }
    await this.drain();
    const st = await stat(this.o.path).catch(() => undefined);
    if (st && st.ino !== this.ino) {
      // conmon rotated: the old file is complete; drain it (done above), keep it, move on.
      const old = this.fh;
      await this.drain();
      await this.archive(old);
      await old.close().catch(() => undefined);
      await this.openCurrent(0);
      await this.drain();
    }
  }

  private async drain(): Promise<void> {
    const fh = this.fh;
    if (!fh) return;
    for (;;) {
      const { bytesRead } = await fh.read(this.buf, 0, CHUNK, this.position);
      if (bytesRead === 0) return;
      this.position += bytesRead;
      if (!this.o.onLine) continue;
      const text = this.rest + this.buf.toString('utf8', 0, bytesRead);
      const lines = text.split('\n');
      this.rest = lines.pop() ?? '';
      for (const l of lines) this.record(l);
    }
  }

  private record(raw: string): void {
    const r = parseLogRecord(raw);
    if (!r) return;
    const p = this.partial[r.stream];
    if (r.partial) {
      if (p) p.parts.push(r.content);
      else this.partial[r.stream] = { timestamp: r.timestamp, parts: [r.content] };
      return;
    }
    delete this.partial[r.stream];
    this.o.onLine!({ timestamp: p?.timestamp ?? r.timestamp, stream: r.stream, line: (p ? p.parts.join('') : '') + r.content });
  }

  /** Keeps the rotated file as `.1` (or `.1.gz`), shifting older files; drops beyond max-file. */
  private async archive(old: FileHandle): Promise<void> {
    const keep = this.o.maxFiles - 1;
    if (keep < 1) return;
    const ext = this.o.compress ? '.gz' : '';
    const name = (n: number) => `${this.o.path}.${n}${ext}`;
    await rm(name(keep), { force: true });
    for (let n = keep - 1; n >= 1; n--) await rename(name(n), name(n + 1)).catch(() => undefined);
    const source = old.createReadStream({ start: 0, autoClose: false });
    const target = createWriteStream(name(1) + '.tmp', { mode: 0o640 });
    if (this.o.compress) await pipeline(source, createGzip(), target);
    else await pipeline(source, target);
    await rename(name(1) + '.tmp', name(1));
  }

  /** Reads what is left (the container has exited, conmon wrote everything), then closes. */
  async finish(): Promise<void> {
    while (this.running) await new Promise((r) => setTimeout(r, 5));
    try {
      await this.step();
    } catch (err) {
      this.o.onError?.(err);
    }
    await this.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watcher?.close();
    await this.fh?.close().catch(() => undefined);
    this.fh = undefined;
  }
}
