/**
 * Reader for the container log conmon writes with `-l k8s-file:PATH` (the CRI log format):
 *
 *   <timestamp RFC3339Nano> <stdout|stderr> <P|F> <content>\n
 *
 * `F` ends a line; `P` marks a partial chunk (conmon flushes a line longer than its buffer,
 * or output without a trailing newline at exit, in pieces), so a logical line is every `P`
 * chunk of one stream followed by its `F`. `readLogs` yields logical lines; with `follow`
 * it keeps reading appends (fs.watch, no polling) until `stop` resolves.
 *
 * With `--log-size-max` conmon discards the old content when the file is full (it keeps no
 * rotated copies); the reader starts over at the top of the new content, and a follower
 * that falls behind a truncation misses the lines it had not read yet.
 */
import { watch } from 'node:fs';
import { open, readdir, readFile, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { NotFoundError } from '../util/errors.js';

export type LogStream = 'stdout' | 'stderr';

export interface LogEntry {
  /** Parsed time (millisecond precision). */
  time: Date;
  /** The timestamp as conmon wrote it (nanoseconds, with zone). */
  timestamp: string;
  stream: LogStream;
  /** The line without its newline. */
  line: string;
  /** False when the output ended without a newline. */
  complete: boolean;
}

export interface ReadLogsOptions {
  path: string;
  follow?: boolean;
  /** Only entries at or after / before this time. */
  since?: Date;
  until?: Date;
  /** The last N lines (before following); undefined or negative = all. */
  tail?: number;
  stdout?: boolean;
  stderr?: boolean;
  /** Following stops (after reading what is left) when this resolves, e.g. on container exit. */
  stop?: Promise<unknown>;
  signal?: AbortSignal;
}

interface RawRecord {
  timestamp: string;
  stream: LogStream;
  partial: boolean;
  content: string;
}

export function parseLogRecord(line: string): RawRecord | undefined {
  const a = line.indexOf(' ');
  const b = line.indexOf(' ', a + 1);
  const c = line.indexOf(' ', b + 1);
  if (a < 0 || b < 0) return undefined;
  const stream = line.slice(a + 1, b);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const tag = c < 0 ? line.slice(b + 1) : line.slice(b + 1, c);
  const content = c < 0 ? '' : line.slice(c + 1);
  // The tag field may carry several flags separated by ':'; P is the one that matters.
  return { timestamp: line.slice(0, a), stream, partial: tag.split(':').includes('P'), content };
}

/** Formats one record the way conmon does (used by tests and by writers of imported logs). */
export function formatLogRecord(time: Date, stream: LogStream, content: string, partial = false): string {
  return `${time.toISOString().replace(/Z$/, '000000Z')} ${stream} ${partial ? 'P' : 'F'} ${content}\n`;
}

/** A log entry whose Date is only built when a since/until filter asks for it. */
class Entry implements LogEntry {
  constructor(
    readonly timestamp: string,
    readonly stream: LogStream,
    readonly line: string,
    readonly complete: boolean,
  ) {}
  get time(): Date {
    return new Date(this.timestamp);
  }
}

/** Assembles logical lines from records, one pending partial per stream. */
class LineAssembler {
  private pending: Partial<Record<LogStream, { timestamp: string; parts: string[] }>> = {};

  push(r: RawRecord): LogEntry | undefined {
    const p = this.pending[r.stream];
    if (r.partial) {
      if (p) p.parts.push(r.content);
      else this.pending[r.stream] = { timestamp: r.timestamp, parts: [r.content] };
      return undefined;
    }
    delete this.pending[r.stream];
    return new Entry(p?.timestamp ?? r.timestamp, r.stream, (p ? p.parts.join('') : '') + r.content, true);
  }

  /** Partial lines left when the log ends (the process wrote no final newline). */
  flush(): LogEntry[] {
    const out: LogEntry[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      const p = this.pending[stream];
      if (p) out.push(new Entry(p.timestamp, stream, p.parts.join(''), false));
    }
    this.pending = {};
    return out;
  }
}

/** Reads whole lines from a file handle, starting at `position`, remembering where it stopped. */
class LineCursor {
  position = 0;
  private rest = '';
  constructor(private fh: FileHandle) {}

  async readAvailable(): Promise<string[]> {
    const lines: string[] = [];
    const buf = Buffer.allocUnsafe(64 * 1024);
    for (;;) {
      const { bytesRead } = await this.fh.read(buf, 0, buf.length, this.position);
      if (bytesRead === 0) break;
      this.position += bytesRead;
      const text = this.rest + buf.toString('utf8', 0, bytesRead);
      const parts = text.split('\n');
      this.rest = parts.pop() ?? '';
      lines.push(...parts);
    }
    return lines;
  }

  reset(fh: FileHandle): void {
    this.fh = fh;
    this.position = 0;
    this.rest = '';
  }
}

/** One entry at a time (see readLogBatches for the cheap way to follow a chatty log). */
export async function* readLogs(opts: ReadLogsOptions): AsyncGenerator<LogEntry> {
  for await (const batch of readLogBatches(opts)) yield* batch;
}

/**
 * The log as batches of entries: everything readable at once comes as one array, so a
 * follower of a container printing 50,000 lines/s pays per read, not per line.
 */
export async function* readLogBatches(opts: ReadLogsOptions): AsyncGenerator<LogEntry[]> {
  const want = (s: LogStream) => (s === 'stdout' ? opts.stdout !== false : opts.stderr !== false);
  const inRange = (e: LogEntry) => (!opts.since || e.time >= opts.since) && (!opts.until || e.time <= opts.until);
  let fh: FileHandle;
  try {
    fh = await open(opts.path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && opts.follow) {
      // conmon creates the log when the container is created; nothing to read yet.
      fh = await waitForFile(opts.path, opts.signal);
    } else if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return;
    } else throw new NotFoundError(`cannot open log ${opts.path}: ${(err as Error).message}`);
  }
  const cursor = new LineCursor(fh);
  const assembler = new LineAssembler();
  const select = (lines: string[]): LogEntry[] => {
    const out: LogEntry[] = [];
    for (const l of lines) {
      const r = parseLogRecord(l);
      if (!r) continue;
      const e = assembler.push(r);
      if (e && want(e.stream) && inRange(e)) out.push(e);
    }
    return out;
  };

  try {
    // Rotated files (`<log>.N`, oldest first, `.gz` when compressed) come before the live one,
    // as `docker logs` shows everything json-file still keeps.
    let first: LogEntry[] = [];
    for (const lines of await readRotated(opts.path)) first.push(...select(lines));
    first.push(...select(await cursor.readAvailable()));
    if (!opts.follow) first.push(...assembler.flush().filter((e) => want(e.stream) && inRange(e)));
    if (opts.tail !== undefined && opts.tail >= 0) first = opts.tail === 0 ? [] : first.slice(-opts.tail);
    if (first.length) yield first;
    if (!opts.follow) return;

    let wake: (() => void) | undefined;
    // Read once right after the watch is set: appends made while we yielded above count.
    let changed = true;
    const notify = () => {
      changed = true;
      wake?.();
    };
    const watcher = watch(opts.path, { persistent: true }, notify);
    let stopped = false;
    opts.stop?.then(() => {
      stopped = true;
      notify();
    }, () => undefined);
    opts.signal?.addEventListener('abort', () => {
      stopped = true;
      notify();
    });
    try {
      for (;;) {
        if (!changed && !stopped) await new Promise<void>((r) => (wake = r));
        wake = undefined;
        changed = false;
        // Whatever was appended before the stop signal is still read below.
        const last = stopped || opts.signal?.aborted === true;
        // conmon rotates by renaming a fresh file into place: reopen when the file shrank or changed.
        const st = await stat(opts.path).catch(() => undefined);
        const cur = await fh.stat();
        if (st && (st.ino !== cur.ino || st.size < cursor.position)) {
          // Lines appended to the old file just before the rotation are still ours to send.
          if (st.ino !== cur.ino) {
            const tail = select(await cursor.readAvailable());
            if (tail.length) yield tail;
          }
          await fh.close();
          fh = await open(opts.path, 'r');
          cursor.reset(fh);
        }
        const batch = select(await cursor.readAvailable());
        if (opts.until) {
          const past = batch.findIndex((e) => e.time > opts.until!);
          if (past >= 0) {
            if (past > 0) yield batch.slice(0, past);
            return;
          }
        }
        if (batch.length) yield batch;
        if (last) {
          const rest = assembler.flush().filter((e) => want(e.stream) && inRange(e));
          if (rest.length) yield rest;
          return;
        }
      }
    } finally {
      watcher.close();
    }
  } finally {
    await fh.close().catch(() => undefined);
  }
}

async function waitForFile(file: string, signal?: AbortSignal): Promise<FileHandle> {
  const dir = file.slice(0, file.lastIndexOf('/')) || '/';
  const name = file.slice(file.lastIndexOf('/') + 1);
  return new Promise<FileHandle>((resolve, reject) => {
    const w = watch(dir, (_e, f) => {
      if (f?.toString() === name) tryOpen();
    });
    const tryOpen = () =>
      open(file, 'r').then(
        (fh) => {
          w.close();
          resolve(fh);
        },
        () => undefined,
      );
    signal?.addEventListener('abort', () => {
      w.close();
      reject(signal.reason);
    });
    tryOpen();
  });
}

/** The lines of `<log>.N` and `<log>.N.gz`, oldest file first; absent files are skipped. */
async function readRotated(path: string): Promise<string[][]> {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const rotated = names
    .map((n) => ({ n, m: /^\.(\d+)(\.gz)?$/.exec(n.startsWith(base) ? n.slice(base.length) : '') }))
    .filter((x): x is { n: string; m: RegExpExecArray } => x.m !== null)
    .sort((a, b) => Number(b.m[1]) - Number(a.m[1]));
  const out: string[][] = [];
  for (const { n, m } of rotated) {
    try {
      const raw = await readFile(join(dir, n));
      const text = (m[2] ? gunzipSync(raw) : raw).toString('utf8');
      out.push(text.split('\n').filter((l) => l !== ''));
    } catch {
      // rotated away or removed while we listed: nothing to show from it
    }
  }
  return out;
}
