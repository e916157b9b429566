/**
 * docker/go-units semantics, so sizes and ages print exactly as the docker CLI prints them
 * (`1.99MB`, `About a minute`), and flags parse the same way (`512m`, `1.5g`, `30s`).
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

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration, in milliseconds: `1h30m`, `1.5s`, `300ms`. */
export function parseGoDuration(value: string): number {
  const orig = value;
  let s = value;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    sign = s.startsWith('-') ? -1 : 1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (!s) throw new Error(`time: invalid duration "${orig}"`);
  let total = 0;
  while (s) {
    const m = /^(\d*\.?\d*)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/.exec(s); // µs and μs, escaped: the CLI's bundle is ASCII
    if (!m || m[1] === '' || m[1] === '.') {
      if (/^(\d*\.?\d*)$/.test(s)) throw new Error(`time: missing unit in duration "${orig}"`);
      const unit = /^\d*\.?\d*([^\d.]+)/.exec(s)?.[1];
      throw new Error(unit && !/^[\d.]/.test(unit) && /^\d/.test(s) ? `time: unknown unit "${unit}" in duration "${orig}"` : `time: invalid duration "${orig}"`);
    }
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    s = s.slice(m[0].length);
  }
  return sign * total;
}

/** Go's time.Duration.String() for milliseconds: `1m30s`, `500ms`, `0s`. */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const neg = ms < 0;
  let rest = Math.abs(ms);
  let out: string;
  if (rest < 1000) out = `${rest}ms`;
  else {
    const h = Math.floor(rest / 3_600_000);
    rest -= h * 3_600_000;
    const m = Math.floor(rest / 60_000);
    rest -= m * 60_000;
    const s = `${Number((rest / 1000).toFixed(9))}s`;
    out = h ? `${h}h${m}m${s}` : m ? `${m}m${s}` : s;
  }
  return neg ? `-${out}` : out;
}
