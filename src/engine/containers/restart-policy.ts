import type { Container } from './model.js';

/** Docker's restart backoff: 100 ms doubling to 1 minute, reset after 10 s of good running. */
export const INITIAL_BACKOFF_MS = 100;
export const MAX_BACKOFF_MS = 60_000;
export const RESET_AFTER_MS = 10_000;

/** Whether a container that just exited should be restarted, per its policy. */
export function shouldRestart(c: Container, exitCode: number): boolean {
  const rp = c.hostConfig.RestartPolicy;
  const name = rp?.Name ?? 'no';
  if (c.book.manuallyStopped) return false;
  switch (name) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure': {
      if (exitCode === 0) return false;
      const max = rp?.MaximumRetryCount ?? 0;
      return max === 0 || c.book.restartCount < max;
    }
    default:
      return false;
  }
}

/** Whether a container should be started when berthd starts (it was running, or policy says so). */
export function startsWithDaemon(c: Container): boolean {
  const name = c.hostConfig.RestartPolicy?.Name;
  if (name === 'always') return true;
  if (name === 'unless-stopped') return !c.book.manuallyStopped;
  return false;
}

/** Per-container backoff state, kept in memory like Docker's restart manager. */
export class RestartBackoff {
  private readonly delays = new Map<string, number>();

  next(id: string, ranForMs: number): number {
    const prev = this.delays.get(id);
    const delay = prev === undefined || ranForMs >= RESET_AFTER_MS ? INITIAL_BACKOFF_MS : Math.min(prev * 2, MAX_BACKOFF_MS);
    this.delays.set(id, delay);
    return delay;
  }

  forget(id: string): void {
    this.delays.delete(id);
  }
}
