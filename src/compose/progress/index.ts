/** Progress display for compose operations: pick a writer for the terminal and flags. */
import type { Writable } from 'node:stream';
import { quietWriter, type ProgressWriter } from './events.js';
import { PlainWriter } from './plain.js';
import { TtyWriter } from './tty.js';

export * from './events.js';
export { PlainWriter } from './plain.js';
export { TtyWriter } from './tty.js';

export type ProgressMode = 'auto' | 'tty' | 'plain' | 'quiet' | 'json';

export interface WriterOptions {
  mode: ProgressMode;
  out: Writable & { isTTY?: boolean; columns?: number };
  title: string;
  color: boolean;
}

export function createProgressWriter(o: WriterOptions): ProgressWriter {
  if (o.mode === 'quiet') return quietWriter;
  const tty = o.mode === 'tty' || (o.mode === 'auto' && Boolean(o.out.isTTY));
  if (tty) return new TtyWriter({ out: o.out, title: o.title, color: o.color });
  return new PlainWriter(o.out);
}
