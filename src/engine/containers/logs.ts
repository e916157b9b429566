/**
 * `docker logs`: the container's conmon log read back with Docker's options. Following ends
 * when the container stops (or the client goes away); it never polls (readLogs watches the
 * file). Formatting for the wire (frames, timestamps) is the API layer's job.
 */
import { readLogBatches, readLogs, type LogEntry, type ReadLogsOptions } from '../../runtime/logs.js';
import { InvalidParameterError } from '../../util/errors.js';
import type { ContainerService } from './service.js';

export interface ContainerLogsOptions {
  follow: boolean;
  stdout: boolean;
  stderr: boolean;
  since?: Date;
  until?: Date;
  /** Last N lines; undefined = all. */
  tail?: number;
  signal?: AbortSignal;
}

/** Log lines of a container; with `follow`, until it stops. */
export function containerLogs(service: ContainerService, id: string, o: ContainerLogsOptions): AsyncGenerator<LogEntry> {
  return readLogs(logOptions(service, id, o));
}

/** The same as batches (one per read of the log file): what `logs -f` streams. */
export function containerLogBatches(service: ContainerService, id: string, o: ContainerLogsOptions): AsyncGenerator<LogEntry[]> {
  return readLogBatches(logOptions(service, id, o));
}

function logOptions(service: ContainerService, id: string, o: ContainerLogsOptions): ReadLogsOptions {
  const c = service.store.mustFind(id);
  let stop: Promise<unknown> | undefined;
  if (o.follow) {
    const cur = service.store.get(c.id);
    stop = cur?.state.Running || cur?.state.Status === 'restarting' ? service.waiters.wait(c.id, 'exit', o.signal).catch(() => undefined) : Promise.resolve();
  }
  return { path: service.logPath(c.id), follow: o.follow, stop, since: o.since, until: o.until, tail: o.tail, stdout: o.stdout, stderr: o.stderr, signal: o.signal };
}

/**
 * Docker's `since`/`until` values: unix seconds with an optional fraction (what the docker
 * CLI sends), or an RFC 3339 time. Empty and 0 mean "no bound".
 */
export function parseLogTime(value: string | null, name: string): Date | undefined {
  if (value === null || value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) {
    const [sec = '0', frac = ''] = value.split('.');
    const ms = Number(sec) * 1000 + Number((frac + '000').slice(0, 3));
    return ms === 0 ? undefined : new Date(ms);
  }
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidParameterError(`invalid value for "${name}": ${value}`);
  return new Date(t);
}

/**
 * `tail`: a number of lines. As Docker's, anything that is not a whole number ("all", "",
 * "abc") and any negative number means every line.
 */
export function parseTail(value: string | null): number | undefined {
  if (value === null || !/^[+-]?\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n < 0 ? undefined : n;
}

/**
 * conmon's timestamp (RFC 3339 with nanoseconds and the local offset) in Docker's log form:
 * UTC with exactly nine fraction digits (RFC3339NanoFixed).
 */
export function dockerTimestamp(timestamp: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(timestamp);
  if (!m) return timestamp;
  const whole = new Date(`${m[1]}${m[3]}`).toISOString().slice(0, 19);
  return `${whole}.${(m[2] ?? '').padEnd(9, '0').slice(0, 9)}Z`;
}
