import type { Writable } from 'node:stream';
import type { ProgressEvent, ProgressWriter } from './events.js';

/** `--progress plain` and non-terminals: one line per status change, like compose's plain mode. */
export class PlainWriter implements ProgressWriter {
  constructor(private readonly out: Writable) {}

  event(e: ProgressEvent): void {
    this.out.write(` ${e.id}  ${e.text}${e.details ? ` ${e.details}` : ''}\n`);
  }

  info(text: string): void {
    this.out.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  stop(): void {}
}
