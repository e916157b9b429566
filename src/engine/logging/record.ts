/**
 * What a shipping log driver sends for one log line: the line and where it came from.
 * Every driver's wire format carries all of it (time in UTC with nanoseconds, container ID
 * and name, image, host).
 */
import type { LogStream } from '../../runtime/logs.js';

export interface ShippedRecord {
  /** Nanoseconds since the epoch, UTC. */
  timeNs: bigint;
  stream: LogStream;
  line: string;
}

/** The container a shipper works for (fixed for its life). */
export interface LogSource {
  containerId: string;
  containerName: string;
  imageName: string;
  imageId: string;
  host: string;
  /** The expanded `tag` option. */
  tag: string;
  daemonPid: number;
}

/** conmon's `2024-05-01T10:00:00.123456789+02:00` (or Z) as ns since the epoch. */
export function timestampToNs(ts: string): bigint {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  if (!m) return BigInt(Date.now()) * 1_000_000n;
  const seconds = BigInt(Math.floor(Date.parse(`${m[1]}${m[3]}`) / 1000));
  const frac = BigInt(((m[2] ?? '') + '000000000').slice(0, 9));
  return seconds * 1_000_000_000n + frac;
}

/** RFC 3339 in UTC with the given number of fraction digits (0, 6 or 9). */
export function formatUtc(ns: bigint, digits: 0 | 3 | 6 | 9): string {
  const ms = Number(ns / 1_000_000n);
  const base = new Date(ms).toISOString().slice(0, 19);
  if (digits === 0) return `${base}Z`;
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').slice(0, digits);
  return `${base}.${frac}Z`;
}

/**
 * Docker's `tag` log option: a Go template over the container. The fields Docker offers:
 * {{.ID}} (12 chars), {{.FullID}}, {{.Name}}, {{.ImageID}}, {{.ImageFullID}}, {{.ImageName}},
 * {{.DaemonName}}. Default `{{.ID}}`.
 */
export function expandTag(template: string | undefined, s: Omit<LogSource, 'tag' | 'host' | 'daemonPid'>): string {
  const fields: Record<string, string> = {
    ID: s.containerId.slice(0, 12),
    FullID: s.containerId,
    Name: s.containerName.replace(/^\//, ''),
    ImageID: s.imageId.replace(/^sha256:/, '').slice(0, 12),
    ImageFullID: s.imageId,
    ImageName: s.imageName,
    DaemonName: 'berth',
  };
  return (template || '{{.ID}}').replace(/\{\{\s*\.(\w+)\s*\}\}/g, (whole, name: string) => fields[name] ?? whole);
}
