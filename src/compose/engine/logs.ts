/**
 * Container output for `logs` and attached `up`: each container's stream (multiplexed unless
 * it has a TTY) split into lines and handed to a consumer with the container's name, which
 * prints them with a coloured `name  | ` prefix like compose.
 */
import type { Writable } from 'node:stream';
import { Writable as WritableStream } from 'node:stream';
import { FrameDemuxer } from '../../cli/containers/streams.js';
import type { ContainerSummary } from './api.js';
import type { ComposeContext } from './context.js';
import { nameOf, serviceOf } from './observed.js';

export interface LogConsumer {
  line(container: string, service: string, text: string, stream: 'stdout' | 'stderr'): void;
}

/** Splits written chunks into lines (the last partial line is flushed at the end). */
class LineSplitter extends WritableStream {
  private rest = '';
  constructor(private readonly onLine: (line: string) => void) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    const text = this.rest + chunk.toString('utf8');
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    for (const l of lines) this.onLine(l.replace(/\r$/, ''));
    done();
  }
  override _final(done: (err?: Error | null) => void): void {
    if (this.rest) this.onLine(this.rest);
    this.rest = '';
    done();
  }
}

export interface LogOptions {
  follow?: boolean;
  tail?: string;
  timestamps?: boolean;
  since?: string;
}

/** Streams one container's logs into the consumer; resolves when the stream ends. */
export async function streamContainerLogs(ctx: Pick<ComposeContext, 'api'>, c: ContainerSummary, o: LogOptions, consumer: LogConsumer): Promise<void> {
  const name = nameOf(c);
  const service = serviceOf(c);
  const info = await ctx.api.inspectContainer(c.Id);
  const res = await ctx.api.logs(c.Id, o);
  const stdout = new LineSplitter((l) => consumer.line(name, service, l, 'stdout'));
  const stderr = new LineSplitter((l) => consumer.line(name, service, l, 'stderr'));
  await new Promise<void>((resolve, reject) => {
    const sink: Writable = info.Config.Tty ? stdout : new FrameDemuxer(stdout, stderr);
    res.on('error', reject);
    res.on('end', () => {
      sink.end();
      stdout.end();
      stderr.end();
      resolve();
    });
    res.pipe(sink, { end: false });
  });
}

export async function streamLogs(ctx: Pick<ComposeContext, 'api'>, containers: ContainerSummary[], o: LogOptions, consumer: LogConsumer): Promise<void> {
  await Promise.all(containers.map((c) => streamContainerLogs(ctx, c, o, consumer)));
}

const COLORS = ['36', '33', '32', '35', '34', '96', '93', '92', '95', '94'];

export interface PrefixPrinterOptions {
  out: Writable;
  color: boolean;
  prefix: boolean;
  /** Names whose width sets the prefix column. */
  names: string[];
}

/** Prints `name  | line`, a colour per container, as compose does. */
export class PrefixPrinter implements LogConsumer {
  private width: number;
  private readonly colors = new Map<string, string>();

  constructor(private readonly o: PrefixPrinterOptions) {
    this.width = Math.max(0, ...o.names.map((n) => n.length));
  }

  private colorOf(name: string): string {
    let c = this.colors.get(name);
    if (!c) {
      c = COLORS[this.colors.size % COLORS.length]!;
      this.colors.set(name, c);
    }
    return c;
  }

  private prefixOf(name: string): string {
    if (!this.o.prefix) return '';
    this.width = Math.max(this.width, name.length);
    const p = `${name.padEnd(this.width)}  | `;
    return this.o.color ? `\x1b[${this.colorOf(name)}m${p}\x1b[0m` : p;
  }

  line(container: string, _service: string, text: string): void {
    this.o.out.write(`${this.prefixOf(container)}${text}\n`);
  }

  /** A line of compose's own. */
  message(text: string): void {
    this.o.out.write(`${text}\n`);
  }

  /** A status line about a container (`x-web-1 exited with code 0`). */
  status(container: string, text: string): void {
    const line = `${container} ${text}`;
    this.o.out.write(this.o.color ? `\x1b[${this.colorOf(container)}m${line}\x1b[0m\n` : `${line}\n`);
  }
}
