import { InvalidParameterError } from '../../../util/errors.js';

/**
 * Any error in a Dockerfile: syntax, unknown instruction, bad flag, bad stage reference.
 * The message reads `Dockerfile:7: unknown instruction: FOOBAR`; `detail` holds the part after
 * the location so callers can format it their own way (BuildKit's "dockerfile parse error on line 7").
 */
export class DockerfileParseError extends InvalidParameterError {
  readonly fileName: string;
  /** 1-based first line of the offending instruction; 0 when the error concerns no line. */
  readonly line: number;
  readonly endLine: number;
  readonly detail: string;

  constructor(options: { fileName: string; line: number; endLine?: number; detail: string; cause?: unknown }) {
    const where = options.line > 0 ? `${options.fileName}:${options.line}` : options.fileName;
    super(`${where}: ${options.detail}`, { cause: options.cause });
    this.fileName = options.fileName;
    this.line = options.line;
    this.endLine = options.endLine ?? options.line;
    this.detail = options.detail;
  }
}

/** Levenshtein distance, for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  let prev = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[y.length]!;
}

/**
 * The closest option within an edit distance of 2 (BuildKit's rule), or undefined. An exact
 * match means the value was fine and the error is about something else, so no hint.
 * Without caseSensitive the hint takes the value's case style (FOOBAR -> FROM, foobar -> from).
 */
export function suggest(value: string, options: readonly string[], caseSensitive: boolean): string | undefined {
  const needle = caseSensitive ? value : value.toLowerCase();
  let best: string | undefined;
  let bestDistance = 3;
  for (const option of options) {
    const candidate = caseSensitive ? option : option.toLowerCase();
    if (candidate === needle) return undefined;
    const d = editDistance(needle, candidate);
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  if (best === undefined || caseSensitive) return best;
  if (value === value.toLowerCase()) return best.toLowerCase();
  if (value === value.toUpperCase()) return best.toUpperCase();
  return best;
}

/** `message (did you mean x?)` when a close option exists. */
export function withSuggestion(message: string, value: string, options: readonly string[], caseSensitive: boolean): string {
  const hint = suggest(value, options, caseSensitive);
  return hint === undefined ? message : `${message} (did you mean ${hint}?)`;
}
