/**
 * Signals as the Engine API takes them (`9`, `KILL`, `SIGKILL`, `RTMIN+2`), checked as moby
 * checks them and numbered for events.
 */
import os from 'node:os';
import { InvalidParameterError } from '../../util/errors.js';

const SIGNALS = new Set([
  'HUP', 'INT', 'QUIT', 'ILL', 'TRAP', 'ABRT', 'BUS', 'FPE', 'KILL', 'USR1', 'SEGV', 'USR2', 'PIPE', 'ALRM', 'TERM', 'STKFLT', 'CHLD', 'CONT',
  'STOP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'XCPU', 'XFSZ', 'VTALRM', 'PROF', 'WINCH', 'IO', 'PWR', 'SYS',
]);

/** A valid signal's number: `9`, `KILL`, `SIGKILL`, `RTMIN+2` (glibc's RTMIN is 34). */
export function signalNumber(s: string): number {
  if (/^\d+$/.test(s)) return Number(s);
  const name = s.toUpperCase().replace(/^SIG/, '');
  const rt = /^RT(MIN|MAX)(?:([+-])(\d+))?$/.exec(name);
  if (rt) return (rt[1] === 'MIN' ? 34 : 64) + (rt[2] === '-' ? -1 : 1) * Number(rt[3] ?? 0);
  return os.constants.signals[`SIG${name}` as keyof typeof os.constants.signals];
}

export function isValidSignal(s: string): boolean {
  if (/^\d+$/.test(s)) return Number(s) > 0 && Number(s) <= 64;
  const name = s.toUpperCase().replace(/^SIG/, '');
  return SIGNALS.has(name) || /^RTMIN(\+\d+)?$|^RTMAX(-\d+)?$/.test(name);
}

/** Docker's checks of a signal to send (moby's ParseSignal, then ValidSignalForPlatform). */
export function checkSignal(s: string): void {
  if (/^-?\d+$/.test(s)) {
    const n = Number(s);
    if (n === 0) throw new InvalidParameterError(`Invalid signal: ${s}`);
    // Linux's signals: 1-31, and the real-time ones glibc leaves to programs, 34-64.
    if (!((n >= 1 && n <= 31) || (n >= 34 && n <= 64))) throw new InvalidParameterError(`the linux daemon does not support signal ${n}`);
    return;
  }
  if (!isValidSignal(s)) throw new InvalidParameterError(`Invalid signal: ${s}`);
}
