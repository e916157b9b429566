/**
 * docker/go-units semantics, so sizes and ages print exactly as the docker CLI prints them
 * (`1.99MB`, `About a minute`), and flags parse the same way (`512m`, `1.5g`); durations are
 * util/go-duration.ts.
 */
import { goPrecisionG } from './gofmt.js';
import { humanDuration } from '../../util/human-duration.js';

const DECIMAL_ABBRS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY_ABBRS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

function customSize(size: number, precision: number, base: number, abbrs: string[]): string {
  let i = 0;
  while (size >= base && i < abbrs.length - 1) {
    size /= base;
    i++;
  }
  return `${goPrecisionG(size, precision)}${abbrs[i]}`;
}

/** units.HumanSizeWithPrecision: decimal (1000) units. */
export function humanSizeWithPrecision(size: number, precision: number): string {
  return customSize(size, precision, 1000, DECIMAL_ABBRS);
}

/** units.HumanSize: `%.4g` decimal units. */
export function humanSize(size: number): string {
  return humanSizeWithPrecision(size, 4);
}

/** units.BytesSize: `%.4g` binary units (KiB, MiB). */
export function bytesSize(size: number): string {
  return customSize(size, 4, 1024, BINARY_ABBRS);
}

export { humanDuration };

/** "2 minutes ago" for a unix time in seconds (what CREATED columns show). */
export function timeAgo(unixSeconds: number, now = Date.now()): string {
  return `${humanDuration(now - unixSeconds * 1000)} ago`;
}

const SIZE_RE = /^(\d+(?:\.\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$/;
const MULT: Record<string, number> = { k: 1, m: 2, g: 3, t: 4, p: 5 };

function parseSize(value: string, base: number): number {
  const m = SIZE_RE.exec(value.trim());
  if (!m) throw new Error(`invalid size: '${value}'`);
  const n = Number(m[1]);
  const unit = m[2]?.toLowerCase();
  return Math.trunc(n * (unit ? base ** MULT[unit]! : 1));
}

/** units.RAMInBytes: `512m` → 536870912 (binary multiples; used by -m, --shm-size, ...). */
export function ramInBytes(value: string): number {
  return parseSize(value, 1024);
}

/** units.FromHumanSize: decimal multiples. */
export function fromHumanSize(value: string): number {
  return parseSize(value, 1000);
}
