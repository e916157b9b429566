import { InvalidParameterError } from './errors.js';
import { parseGoDuration } from './go-duration.js';

/** Rejects filter keys a list does not know, as Docker does ("invalid filter 'x'"). */
export function checkFilters(filters: Map<string, string[]>, allowed: readonly string[]): void {
  for (const key of filters.keys()) {
    if (!allowed.includes(key)) throw new InvalidParameterError(`invalid filter '${key}'`);
  }
}

/**
 * Go's path.Match: `*` matches any run of non-`/` characters, `?` one such character,
 * `[...]` a class. Used by Docker's reference filters.
 */
export function globMatch(pattern: string, value: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) return false;
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^')) cls = '!' + cls.slice(1);
      re += '[' + (cls.startsWith('!') ? '^' + cls.slice(1) : cls).replace(/\\/g, '\\\\') + ']';
      i = end;
    } else if (ch === '\\' && i + 1 < pattern.length) {
      re += '\\' + pattern[++i];
    } else re += ch.replace(/[.+^${}()|\]\\]/g, '\\$&');
  }
  return new RegExp(re + '$').test(value);
}

/**
 * Docker's time filters (`until`, `since` for events/logs): Unix seconds (with fraction),
 * RFC 3339 dates, or a Go duration relative to now (`10m`, `1h30m`). Returns Unix seconds;
 * anything else is refused in the words of moby's GetTimestamp.
 */
export function parseTime(value: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  try {
    return (now - parseGoDuration(value) / 1e6) / 1000;
  } catch {
    // not a duration: a date, then
  }
  const t = Date.parse(value);
  if (!Number.isNaN(t)) return t / 1000;
  throw new InvalidParameterError(`failed to parse value as time or duration: ${JSON.stringify(value)}`);
}
