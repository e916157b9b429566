/** Units Compose borrows from Go: durations (`1m30s`) and byte sizes (`64m`). */

const DURATION_UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3,
  'μs': 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's time.ParseDuration, returning nanoseconds; like Go, a bare number other than 0 is rejected. */
export function parseDuration(text: string): number {
  const input = text.trim();
  if (input === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/gy; // µs and μs, escaped: the CLI's bundle is ASCII
  let total = 0;
  let consumed = 0;
  let sign = 1;
  let body = input;
  if (body.startsWith('-') || body.startsWith('+')) {
    sign = body.startsWith('-') ? -1 : 1;
    body = body.slice(1);
  }
  re.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = re.exec(body)) !== null) {
    total += parseFloat(match[1]!) * DURATION_UNITS[match[2]!]!;
    consumed = re.lastIndex;
  }
  if (body === '' || consumed !== body.length) throw new Error(`invalid duration "${text}"`);
  return sign * Math.round(total);
}

/** Go's Duration.String(): `1m30s`, `500ms`, `0s`. */
export function formatDuration(ns: number): string {
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  let rest = Math.abs(ns);
  if (rest < 1e9) {
    if (rest < 1e3) return `${sign}${rest}ns`;
    if (rest < 1e6) return `${sign}${trimFloat(rest / 1e3)}µs`;
    return `${sign}${trimFloat(rest / 1e6)}ms`;
  }
  let out = '';
  const hours = Math.floor(rest / 3600e9);
  rest -= hours * 3600e9;
  const minutes = Math.floor(rest / 60e9);
  rest -= minutes * 60e9;
  if (hours > 0) out += `${hours}h`;
  if (hours > 0 || minutes > 0) out += `${minutes}m`;
  out += `${trimFloat(rest / 1e9)}s`;
  return sign + out;
}

function trimFloat(value: number): string {
  return String(parseFloat(value.toFixed(9)));
}

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** docker/go-units RAMInBytes: `64m`, `1.5g`, `512kb`, `1GiB`, or a plain number of bytes. */
export function parseBytes(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new Error(`invalid size ${value}`);
    return Math.floor(value);
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?\s*$/i.exec(value);
  if (!match) throw new Error(`invalid size "${value}"`);
  const unit = match[2]!.toLowerCase();
  if (unit === '' && match[3] && match[3].toLowerCase() === 'ib') throw new Error(`invalid size "${value}"`);
  return Math.floor(parseFloat(match[1]!) * BYTE_UNITS[unit]!);
}
