/**
 * Detach keys: a key sequence in the client's input (default ctrl-p ctrl-q) that ends the
 * attach session without touching the process. Bytes that start the sequence are held
 * back until it is clear whether the sequence follows; otherwise they go through.
 */
import { InvalidParameterError } from '../../util/errors.js';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

const CTRL_SPECIAL: Record<string, number> = { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 };

/** `ctrl-p,ctrl-q` → [0x10, 0x11]; single characters stand for themselves (Docker's term.ToBytes). */
export function parseDetachKeys(spec: string): Buffer {
  const out: number[] = [];
  for (const key of spec.split(',')) {
    const k = key.trim();
    const ctrl = /^ctrl-(.)$/i.exec(k);
    if (ctrl) {
      const c = ctrl[1]!;
      if (/[a-z]/i.test(c)) out.push(c.toLowerCase().charCodeAt(0) - 96);
      else if (c in CTRL_SPECIAL) out.push(CTRL_SPECIAL[c]!);
      else throw new InvalidParameterError(`Invalid detach keys (${spec}) provided`);
    } else if (k.length === 1) {
      out.push(k.charCodeAt(0));
    } else {
      throw new InvalidParameterError(`Invalid detach keys (${spec}) provided`);
    }
  }
  return Buffer.from(out);
}

export class DetachScanner {
  private matched = 0;

  constructor(private readonly keys: Buffer) {}

  /** The bytes to forward, and whether the sequence completed (the rest is dropped). */
  push(chunk: Buffer): { data: Buffer; detached: boolean } {
    if (this.keys.length === 0) return { data: chunk, detached: false };
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.matched]) {
        this.matched++;
        if (this.matched === this.keys.length) return { data: Buffer.from(out), detached: true };
        continue;
      }
      // Not the sequence after all: what was held back is ordinary input.
      for (let i = 0; i < this.matched; i++) out.push(this.keys[i]!);
      this.matched = 0;
      if (b !== this.keys[0]) {
        out.push(b);
        continue;
      }
      this.matched = 1;
      if (this.matched === this.keys.length) return { data: Buffer.from(out), detached: true };
    }
    return { data: Buffer.from(out), detached: false };
  }
}
