/**
 * Attach/exec I/O over a hijacked connection. Without a TTY the daemon multiplexes stdout and
 * stderr in frames: [stream type, 0, 0, 0, big-endian uint32 length] + payload. With a TTY the
 * bytes are raw; the local terminal goes into raw mode, window size changes are forwarded as
 * resize requests, and the detach key sequence (default ctrl-p,ctrl-q) ends the session.
 */
import { Transform, type Duplex, type TransformCallback, type Writable } from 'node:stream';
import type { Cli } from '../cli.js';
import { CliError } from '../errors.js';

/** Splits the multiplexed stream into stdout (1) and stderr (2) writes; stdin frames (0) go to stdout. */
export class FrameDemuxer extends Transform {
  private buf: Buffer = Buffer.alloc(0);
  constructor(
    private readonly stdout: Writable,
    private readonly stderr: Writable,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + len) break;
      const payload = this.buf.subarray(8, 8 + len);
      (this.buf[0] === 2 ? this.stderr : this.stdout).write(payload);
      this.buf = this.buf.subarray(8 + len);
    }
    done();
  }
}

const KEY_NAMES: Record<string, number> = { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 };

/** `ctrl-p,ctrl-q` → [16, 17]; docker's format (ctrl-<letter> or a single character). */
export function parseDetachKeys(spec: string): number[] {
  return spec.split(',').map((key) => {
    const k = key.trim().toLowerCase();
    if (k.length === 1) return k.charCodeAt(0);
    const m = /^ctrl-(.)$/.exec(k);
    if (m) {
      const c = m[1]!;
      if (c >= 'a' && c <= 'z') return c.charCodeAt(0) - 96;
      if (c in KEY_NAMES) return KEY_NAMES[c]!;
    }
    throw new CliError(`Unrecognized input: ${key}`);
  });
}

/** Passes stdin through until the detach sequence has been typed; then calls onDetach. */
export class DetachKeyFilter extends Transform {
  private matched = 0;
  constructor(
    private readonly keys: number[],
    private readonly onDetach: () => void,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === this.keys[this.matched]) {
        this.matched++;
        if (this.matched === this.keys.length) {
          if (out.length) this.push(Buffer.from(out));
          this.onDetach();
          return done();
        }
        continue;
      }
      // Not the sequence after all: let the held-back bytes through.
      out.push(...this.keys.slice(0, this.matched), byte);
      this.matched = 0;
    }
    if (out.length) this.push(Buffer.from(out));
    done();
  }
}

export interface StreamOptions {
  socket: Duplex;
  head: Buffer;
  tty: boolean;
  /** Send local stdin to the container. */
  stdin: boolean;
  detachKeys?: string;
  /** Sends the local terminal size: `/containers/{id}/resize` or `/exec/{id}/resize`. */
  resizePath?: string;
}

export type StreamEnd = 'eof' | 'detached';

/** The local terminal's size, for ConsoleSize ([rows, columns]) in create/exec bodies. */
export function consoleSize(cli: Cli): [number, number] | undefined {
  const { rows, columns } = cli.stdout as NodeJS.WriteStream;
  return cli.stdout.isTTY && rows && columns ? [rows, columns] : undefined;
}

/**
 * Sends the local terminal size to `path` (`/containers/{id}/resize`, `/exec/{id}/resize`).
 * Resolves to whether the daemon took it: a container that is not started yet refuses it.
 */
export async function resizeTty(cli: Cli, path: string): Promise<boolean> {
  const size = consoleSize(cli);
  if (!size) return false;
  try {
    const r = await cli.client.request('POST', path, { query: { h: size[0], w: size[1] } });
    r.resume();
    return (r.statusCode ?? 500) < 300;
  } catch {
    return false;
  }
}

/** Runs one attach/exec session until the output ends or the user detaches. */
export async function streamSession(cli: Cli, opts: StreamOptions): Promise<StreamEnd> {
  const { socket } = opts;
  const restores: Array<() => void> = [];
  const output: Writable = opts.tty ? cli.stdout : new FrameDemuxer(cli.stdout, cli.stderr);
  if (opts.head.length) output.write(opts.head);
  socket.pipe(output, { end: false });

  let detached = false;
  const ended = new Promise<StreamEnd>((resolve) => {
    socket.on('end', () => resolve(detached ? 'detached' : 'eof'));
    socket.on('close', () => resolve(detached ? 'detached' : 'eof'));
    socket.on('error', () => resolve('eof'));
  });

  if (opts.tty && opts.resizePath) {
    const resize = () => void resizeTty(cli, opts.resizePath!);
    resize();
    process.on('SIGWINCH', resize);
    restores.push(() => process.off('SIGWINCH', resize));
  }

  if (opts.stdin) {
    const stdin = cli.stdin as NodeJS.ReadStream;
    if (opts.tty && stdin.isTTY && typeof stdin.setRawMode === 'function') {
      stdin.setRawMode(true);
      restores.push(() => stdin.setRawMode(false));
    }
    const filter = new DetachKeyFilter(parseDetachKeys(opts.detachKeys || 'ctrl-p,ctrl-q'), () => {
      detached = true;
      socket.destroy();
    });
    stdin.pipe(filter).pipe(socket, { end: false });
    // End of local input half-closes the connection so the container sees EOF on its stdin.
    filter.on('end', () => (socket as Duplex & { end(): void }).end());
    restores.push(() => {
      stdin.unpipe(filter);
      stdin.pause();
    });
  }

  try {
    return await ended;
  } finally {
    for (const r of restores.reverse()) r();
    if (output !== cli.stdout) output.end();
  }
}
