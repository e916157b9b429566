import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';

export interface AccessEntry {
  time: string;
  method: string;
  path: string;
  status: number;
  bytes: number;
  bytesIn: number;
  duration: number;
  user?: string;
  remote?: string;
}

/** One JSON line per request, written to stdout, a file or a given stream. */
export function openAccessLog(target: boolean | string | Writable | undefined): ((e: AccessEntry) => void) | undefined {
  if (!target) return undefined;
  const out: Writable = target === true ? process.stdout : typeof target === 'string' ? createWriteStream(target, { flags: 'a' }) : target;
  return (e) => {
    out.write(`${JSON.stringify(e)}\n`);
  };
}
