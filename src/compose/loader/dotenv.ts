import { substitute } from './interpolate.js';
import type { Lookup } from './interpolate.js';

export interface DotenvOptions {
  /** Variables from outside the file (the shell); they take precedence inside `${...}`. */
  lookup?: Lookup;
  /** Called on unset variables inside values. */
  onUnset?: (name: string) => void;
}

/** A syntax error in an env file, with the 1-based line. */
export class DotenvError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

const KEY_RE = /^[A-Za-z_][A-Za-z0-9_.\-]*$/;

/**
 * Parses an env file the way Compose does: `KEY=value`, `export KEY=value`, `#` comments,
 * single quotes (literal), double quotes (escapes, multi-line, interpolation), unquoted values
 * (trimmed, inline ` #` comment, interpolation) and a bare `KEY` that takes its value from the
 * lookup (and is left out if the lookup does not know it).
 */
export function parseDotenv(text: string, options: DotenvOptions = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const lookup: Lookup = (name) => options.lookup?.(name) ?? out[name];
  const expand = (value: string): string => substitute(value, { lookup, onUnset: options.onUnset });
  const src = text.replace(/\r\n?/g, '\n');
  let i = 0;
  let line = 1;
  while (i < src.length) {
    const eol = src.indexOf('\n', i);
    const lineEnd = eol < 0 ? src.length : eol;
    const raw = src.slice(i, lineEnd);
    const trimmed = raw.trim();
    const startLine = line;
    if (trimmed === '' || trimmed.startsWith('#')) {
      i = lineEnd + 1;
      line++;
      continue;
    }
    const body = trimmed.replace(/^export\s+/, '');
    const eq = body.indexOf('=');
    if (eq < 0) {
      if (!KEY_RE.test(body)) throw new DotenvError(startLine, `unexpected character in variable name "${body}"`);
      const inherited = options.lookup?.(body);
      if (inherited !== undefined) out[body] = inherited;
      i = lineEnd + 1;
      line++;
      continue;
    }
    const key = body.slice(0, eq).trim();
    if (!KEY_RE.test(key)) throw new DotenvError(startLine, `unexpected character in variable name "${key}"`);
    // Offset in `src` where the value starts, so quoted values may run over several lines.
    const valueStart = i + raw.indexOf(body) + eq + 1;
    let v = valueStart;
    while (v < lineEnd && (src[v] === ' ' || src[v] === '\t')) v++;
    const quote = src[v];
    if (quote === '"' || quote === "'") {
      const close = findClosingQuote(src, v + 1, quote);
      if (close < 0) throw new DotenvError(startLine, `unterminated quoted value for ${key}`);
      const inner = src.slice(v + 1, close);
      out[key] = quote === "'" ? inner : expand(unescapeDoubleQuoted(inner));
      const afterEol = src.indexOf('\n', close);
      line += countNewlines(src.slice(i, afterEol < 0 ? src.length : afterEol)) + 1;
      i = afterEol < 0 ? src.length : afterEol + 1;
      continue;
    }
    let value = src.slice(v, lineEnd);
    const comment = value.search(/\s#/);
    if (comment >= 0) value = value.slice(0, comment);
    out[key] = expand(value.trim());
    i = lineEnd + 1;
    line++;
  }
  return out;
}

function findClosingQuote(src: string, from: number, quote: string): number {
  for (let i = from; i < src.length; i++) {
    if (quote === '"' && src[i] === '\\') {
      i++;
      continue;
    }
    if (src[i] === quote) return i;
  }
  return -1;
}

function unescapeDoubleQuoted(value: string): string {
  return value.replace(/\\(.)/gs, (_m, ch: string) => {
    switch (ch) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case '$':
        // Keep it escaped for the interpolation pass that follows.
        return '$$';
      default:
        return ch;
    }
  });
}

function countNewlines(text: string): number {
  let n = 0;
  for (const ch of text) if (ch === '\n') n++;
  return n;
}
