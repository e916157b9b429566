/**
 * Compose variable interpolation: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?message}`, `${VAR?message}`, `${VAR:+alt}`, `${VAR+alt}` and `$$` for a literal `$`.
 * The default/alternative/message may contain further `${...}` and is only evaluated when used.
 */

export type Lookup = (name: string) => string | undefined;

export interface SubstituteOptions {
  lookup: Lookup;
  /** Called for a variable that is unset and has no default; it becomes the empty string. */
  onUnset?: (name: string) => void;
}

/** A `${VAR:?message}` whose variable is missing, or a malformed template. */
export class InterpolationError extends Error {}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

export function substitute(template: string, options: SubstituteOptions): string {
  if (!template.includes('$')) return template;
  let out = '';
  let i = 0;
  while (i < template.length) {
    const ch = template[i]!;
    if (ch !== '$') {
      out += ch;
      i++;
      continue;
    }
    const next = template[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next !== undefined && NAME_START.test(next)) {
      let j = i + 1;
      while (j < template.length && NAME_CHAR.test(template[j]!)) j++;
      out += resolve(template.slice(i + 1, j), options);
      i = j;
    } else if (next === '{') {
      const end = matchingBrace(template, i + 1);
      if (end < 0) throw new InterpolationError(`invalid interpolation format for "${template}": unclosed "\${"`);
      out += evaluateBraced(template.slice(i + 2, end), template, options);
      i = end + 1;
    } else {
      throw new InterpolationError(`invalid interpolation format for "${template}". You may need to escape any $ with another $`);
    }
  }
  return out;
}

/** Index of the `}` closing the `{` at `open`, skipping nested `${...}`. */
function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (ch === '$' && text[i + 1] === '$') {
      i++;
    } else if (ch === '{') {
      depth++;
    } else if (ch === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

const OPERATORS = [':-', ':?', ':+', '-', '?', '+'] as const;

function evaluateBraced(body: string, template: string, options: SubstituteOptions): string {
  let n = 0;
  while (n < body.length && NAME_CHAR.test(body[n]!)) n++;
  const name = body.slice(0, n);
  if (name === '' || !NAME_START.test(name[0]!)) {
    throw new InterpolationError(`invalid interpolation format for "${template}". You may need to escape any $ with another $`);
  }
  const rest = body.slice(n);
  if (rest === '') return resolve(name, options);
  const op = OPERATORS.find((o) => rest.startsWith(o));
  if (!op) throw new InterpolationError(`invalid interpolation format for "${template}". You may need to escape any $ with another $`);
  const arg = rest.slice(op.length);
  const value = options.lookup(name);
  const isSet = value !== undefined;
  const nonEmpty = isSet && value !== '';
  const argValue = (): string => substitute(arg, options);
  switch (op) {
    case ':-':
      return nonEmpty ? value : argValue();
    case '-':
      return isSet ? value : argValue();
    case ':?':
      if (!nonEmpty) throw new InterpolationError(`required variable ${name} is missing a value: ${argValue()}`);
      return value;
    case '?':
      if (!isSet) throw new InterpolationError(`required variable ${name} is missing a value: ${argValue()}`);
      return value;
    case ':+':
      return nonEmpty ? argValue() : '';
    case '+':
      return isSet ? argValue() : '';
  }
}

function resolve(name: string, options: SubstituteOptions): string {
  const value = options.lookup(name);
  if (value === undefined) {
    options.onUnset?.(name);
    return '';
  }
  return value;
}

/** The warning compose prints for an unset variable. */
export function unsetWarning(name: string): string {
  return `The "${name}" variable is not set. Defaulting to a blank string.`;
}
