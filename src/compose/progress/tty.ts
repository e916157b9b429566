import type { Writable } from 'node:stream';
import type { ProgressEvent, ProgressWriter } from './events.js';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const MARK = { done: '✔', error: '✘', warning: '!' } as const;

interface Line extends ProgressEvent {
  started: number;
  ended?: number;
}

export interface TtyWriterOptions {
  out: Writable & { columns?: number };
  /** `Running`, `Stopping`, `Removing` … shown in the `[+]` header. */
  title: string;
  color: boolean;
}

/**
 * The live block Docker Compose draws on a terminal:
 *   [+] Running 2/3
 *    ✔ Network x_default  Created     0.1s
 *    ⠙ Container x-web-1  Starting    0.4s
 * It is redrawn in place (cursor up + clear) on every change and on a short timer.
 */
export class TtyWriter implements ProgressWriter {
  private readonly lines = new Map<string, Line>();
  private drawn = 0;
  private frame = 0;
  private readonly timer: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly o: TtyWriterOptions) {
    this.timer = setInterval(() => this.draw(), 100);
    this.timer.unref();
  }

  event(e: ProgressEvent): void {
    if (this.stopped) return;
    const now = Date.now();
    const prev = this.lines.get(e.id);
    const line: Line = { ...e, started: prev && prev.state === 'working' ? prev.started : prev?.started ?? now };
    if (e.state !== 'working') line.ended = now;
    this.lines.set(e.id, line);
    this.draw();
  }

  info(text: string): void {
    this.clear();
    this.o.out.write(text.endsWith('\n') ? text : `${text}\n`);
    this.drawn = 0;
    this.draw();
  }

  stop(): void {
    if (this.stopped) return;
    clearInterval(this.timer);
    this.draw();
    this.stopped = true;
  }

  private clear(): void {
    if (this.drawn) this.o.out.write(`\x1b[${this.drawn}A\x1b[0J`);
  }

  private paint(code: string, text: string): string {
    return this.o.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  private draw(): void {
    if (this.stopped || this.lines.size === 0) return;
    this.frame = (this.frame + 1) % SPINNER.length;
    const all = [...this.lines.values()];
    const finished = all.filter((l) => l.state !== 'working').length;
    const width = this.o.out.columns ?? 80;
    const idWidth = Math.max(...all.map((l) => l.id.length + l.text.length + 2));
    const out: string[] = [this.paint('34', `[+] ${this.o.title} ${finished}/${all.length}`)];
    for (const l of all) {
      const mark = l.state === 'working' ? SPINNER[this.frame]! : MARK[l.state];
      const colorCode = l.state === 'done' ? '32' : l.state === 'error' ? '31' : l.state === 'warning' ? '33' : '34';
      const seconds = `${(((l.ended ?? Date.now()) - l.started) / 1000).toFixed(1)}s`;
      const left = ` ${this.paint(colorCode, mark)} ${l.id}  ${this.paint(colorCode, l.text)}`;
      const pad = Math.max(1, idWidth - (l.id.length + l.text.length + 2) + 4);
      let text = `${left}${' '.repeat(pad)}${l.details ?? ''}`;
      const visible = text.replace(/\x1b\[[0-9;]*m/g, '').length;
      const timePad = Math.max(1, width - visible - seconds.length - 1);
      text = `${text}${' '.repeat(timePad)}${this.paint('34', seconds)}`;
      out.push(text);
    }
    this.clear();
    this.o.out.write(`${out.join('\n')}\n`);
    this.drawn = out.length;
  }
}
