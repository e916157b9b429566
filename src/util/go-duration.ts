/**
 * Durations as Go writes them (time.ParseDuration, Duration.String), which is how Docker's
 * flags, filters (`until=10m`), Dockerfile flags, Compose files and log options take them:
 * `1h30m`, `1.5s`, `300ms`, `-2m`, `0`. One parser for all of berth, in nanoseconds.
 */
import { InvalidParameterError } from './errors.js';

const MICRO_SIGN = '\u00b5'; // µ
const GREEK_MU = '\u03bc'; // μ: Go takes both for microseconds

const NANOSECONDS_PER: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  [`${MICRO_SIGN}s`]: 1e3,
  [`${GREEK_MU}s`]: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's limit: a Duration is an int64 of nanoseconds (~292 years). */
const MAX_NANOSECONDS = 2 ** 63 - 1;

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

/** time.ParseDuration, in nanoseconds; an InvalidParameterError with Go's message otherwise. */
export function parseGoDuration(text: string): number {
  const invalid = () => new InvalidParameterError(`time: invalid duration "${text}"`);
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw invalid();
  let total = 0;
  while (rest !== '') {
    // A number: digits, a fraction, or both ("1", "1.", ".5"), then a unit.
    let i = 0;
    while (isDigit(rest[i])) i++;
    const wholeDigits = i;
    let fractionDigits = 0;
    if (rest[i] === '.') {
      const start = ++i;
      while (isDigit(rest[i])) i++;
      fractionDigits = i - start;
    }
    if (wholeDigits + fractionDigits === 0) throw invalid();
    const value = Number(rest.slice(0, i));
    let j = i;
    while (j < rest.length && rest[j] !== '.' && !isDigit(rest[j])) j++;
    const unit = rest.slice(i, j);
    if (unit === '') throw new InvalidParameterError(`time: missing unit in duration "${text}"`);
    const per = NANOSECONDS_PER[unit];
    if (per === undefined) throw new InvalidParameterError(`time: unknown unit "${unit}" in duration "${text}"`);
    total += value * per;
    if (total > MAX_NANOSECONDS) throw invalid();
    rest = rest.slice(j);
  }
  return sign * Math.round(total);
}

/** Duration.String(): `1h0m0s`, `1m30s`, `1.5s`, `300ms`, `2µs`, `0s`. */
export function formatGoDuration(nanoseconds: number): string {
  if (nanoseconds === 0) return '0s';
  const sign = nanoseconds < 0 ? '-' : '';
  let rest = Math.abs(nanoseconds);
  if (rest < 1e3) return `${sign}${rest}ns`;
  if (rest < 1e6) return `${sign}${trimFloat(rest / 1e3)}${MICRO_SIGN}s`;
  if (rest < 1e9) return `${sign}${trimFloat(rest / 1e6)}ms`;
  const hours = Math.floor(rest / 3600e9);
  rest -= hours * 3600e9;
  const minutes = Math.floor(rest / 60e9);
  rest -= minutes * 60e9;
  const seconds = `${trimFloat(rest / 1e9)}s`;
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}`;
  return sign + seconds;
}

/** A float without the noise of binary fractions: 1.5, not 1.5000000000000002. */
function trimFloat(value: number): string {
  return String(Number(value.toFixed(9)));
}
