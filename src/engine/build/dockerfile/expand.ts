/**
 * Shell-word processing for Dockerfiles, with the semantics of BuildKit's shell lexer
 * (frontend/dockerfile/shell/lex.go): quote removal, escapes and `$VAR` / `${VAR...}` expansion.
 *
 * Vocabulary:
 * - processWord: one word in, one string out; spaces are kept (ENV values, WORKDIR, USER...).
 * - processWords: the same expansion, then split on unquoted whitespace (EXPOSE, VOLUME, COPY
 *   sources, heredoc detection). Splitting happens after expansion, so `$A` holding "x y" gives
 *   two words while `"$A"` gives one.
 * - rawQuotes / rawEscapes keep quote and escape characters in the output; the parser uses them
 *   to find heredoc words without changing them.
 * - skipUnsetEnv leaves references to unknown variables as written (`$X` stays `$X`).
 *
 * Supported forms: $VAR ${VAR} ${VAR:-w} ${VAR-w} ${VAR:+w} ${VAR+w} ${VAR:?msg} ${VAR?msg}
 * ${VAR#pat} ${VAR##pat} ${VAR%pat} ${VAR%%pat} ${VAR/pat/repl} ${VAR//pat/repl}.
 * Patterns know `*`, `?` and `\` escapes (no bracket expressions), as in BuildKit.
 */
import { InvalidParameterError } from '../../../util/errors.js';

/** Instructions whose arguments go through variable expansion (ONBUILD, RUN, CMD... do not). */
export const EXPANDING_INSTRUCTIONS: ReadonlySet<string> = new Set([
  'ADD', 'ARG', 'COPY', 'ENV', 'EXPOSE', 'FROM', 'LABEL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
]);

/** Variables visible to expansion; later definitions replace earlier ones. */
export type ShellEnv = ReadonlyMap<string, string>;

export type EscapeToken = '\\' | '`';

export interface ShellLexerOptions {
  escapeToken?: EscapeToken;
  rawQuotes?: boolean;
  rawEscapes?: boolean;
  skipUnsetEnv?: boolean;
  skipProcessQuotes?: boolean;
}

export interface ProcessWordResult {
  result: string;
  words: string[];
  /** Variable names that were found in the environment. */
  matched: Set<string>;
  /** Variable names referenced but not set (useful for "unused/undefined arg" warnings). */
  unmatched: Set<string>;
}

/** Raised for malformed substitutions and `${VAR:?}` failures. */
export class ShellExpansionError extends InvalidParameterError {
  constructor(message: string) {
    super(message);
  }
}

const EOF = '';

/** Build an environment from `KEY=value` strings (a container's Env list). */
export function envFromList(list: readonly string[]): Map<string, string> {
  const env = new Map<string, string>();
  for (const entry of list) {
    const eq = entry.indexOf('=');
    if (eq < 0) env.set(entry, '');
    else env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return env;
}

export class ShellLexer {
  readonly escapeToken: EscapeToken;
  readonly rawQuotes: boolean;
  readonly rawEscapes: boolean;
  readonly skipUnsetEnv: boolean;
  readonly skipProcessQuotes: boolean;

  constructor(options: ShellLexerOptions = {}) {
    this.escapeToken = options.escapeToken ?? '\\';
    this.rawQuotes = options.rawQuotes ?? false;
    this.rawEscapes = options.rawEscapes ?? false;
    this.skipUnsetEnv = options.skipUnsetEnv ?? false;
    this.skipProcessQuotes = options.skipProcessQuotes ?? false;
  }

  /** Expand one word, keeping inner whitespace. */
  processWord(word: string, env: ShellEnv): string {
    return this.process(word, env).result;
  }

  /** Expand, then split into words on unquoted whitespace. */
  processWords(word: string, env: ShellEnv): string[] {
    return this.process(word, env).words;
  }

  process(word: string, env: ShellEnv): ProcessWordResult {
    const run = new WordRun(this, word, env);
    try {
      const { result, words } = run.processStopOn(EOF, this.rawEscapes);
      return { result, words, matched: run.matched, unmatched: run.unmatched };
    } catch (err) {
      if (err instanceof ShellExpansionError) {
        throw new ShellExpansionError(`failed to process "${word}": ${err.message}`);
      }
      throw err;
    }
  }
}

const isSpace = (ch: string): boolean => /^\s$/u.test(ch);
const isLetter = (ch: string): boolean => /^\p{L}$/u.test(ch);
const isDigit = (ch: string): boolean => /^\p{Nd}$/u.test(ch);

/** Collects output characters into whitespace-separated words, as the lexer emits them. */
class WordCollector {
  private buf = '';
  private inWord = false;
  readonly words: string[] = [];

  addChar(ch: string): void {
    if (isSpace(ch)) {
      if (this.inWord && this.buf.length > 0) {
        this.words.push(this.buf);
        this.buf = '';
        this.inWord = false;
      }
    } else {
      this.addRawChar(ch);
    }
  }
  addRawChar(ch: string): void {
    this.buf += ch;
    this.inWord = true;
  }
  addString(s: string): void {
    for (const ch of s) this.addChar(ch);
  }
  addRawString(s: string): void {
    this.buf += s;
    this.inWord = true;
  }
  finish(): string[] {
    if (this.buf.length > 0) {
      this.words.push(this.buf);
      this.buf = '';
      this.inWord = false;
    }
    return this.words;
  }
}

/** One pass of the lexer over one input string. */
class WordRun {
  private readonly chars: string[];
  private pos = 0;
  private rawEscapes: boolean;
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();

  constructor(private readonly lex: ShellLexer, input: string, private readonly env: ShellEnv) {
    this.chars = Array.from(input);
    this.rawEscapes = lex.rawEscapes;
  }

  private peek(): string {
    return this.pos < this.chars.length ? this.chars[this.pos]! : EOF;
  }
  private next(): string {
    return this.pos < this.chars.length ? this.chars[this.pos++]! : EOF;
  }

  processStopOn(stop: string, rawEscapes: boolean): { result: string; words: string[] } {
    let result = '';
    const words = new WordCollector();
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      while (this.peek() !== EOF) {
        const ch = this.peek();
        if (stop !== EOF && ch === stop) {
          this.next();
          return { result, words: words.finish() };
        }
        const special = this.specialHandler(ch);
        if (special) {
          const piece = special();
          result += piece;
          // Expanded variables are split on whitespace; quoted text stays one word.
          if (ch === '$') words.addString(piece);
          else words.addRawString(piece);
          continue;
        }
        let c = this.next();
        if (c === this.lex.escapeToken) {
          if (this.rawEscapes) {
            words.addRawChar(c);
            result += c;
          }
          c = this.next();
          if (c === EOF) break;
          words.addRawChar(c);
        } else {
          words.addChar(c);
        }
        result += c;
      }
      if (stop !== EOF) {
        throw new ShellExpansionError(`unexpected end of statement while looking for matching ${stop}`);
      }
      return { result, words: words.finish() };
    } finally {
      this.rawEscapes = saved;
    }
  }

  private specialHandler(ch: string): (() => string) | undefined {
    if (ch === '$') return () => this.processDollar();
    if (ch === '<') return () => this.processPossibleHeredoc();
    if (!this.lex.skipProcessQuotes) {
      if (ch === "'") return () => this.processSingleQuote();
      if (ch === '"') return () => this.processDoubleQuote();
    }
    return undefined;
  }

  private processSingleQuote(): string {
    // Everything up to the next ' is literal; a ' cannot be escaped inside.
    let out = '';
    const open = this.next();
    if (this.lex.rawQuotes) out += open;
    for (;;) {
      const ch = this.next();
      if (ch === EOF) throw new ShellExpansionError('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") {
        if (this.lex.rawQuotes) out += ch;
        return out;
      }
      out += ch;
    }
  }

  private processDoubleQuote(): string {
    // Literal except $ (expands) and the escape token, which only escapes " $ and itself.
    let out = '';
    const open = this.next();
    if (this.lex.rawQuotes) out += open;
    for (;;) {
      const ch = this.peek();
      if (ch === EOF) throw new ShellExpansionError('unexpected end of statement while looking for matching double-quote');
      if (ch === '"') {
        this.next();
        if (this.lex.rawQuotes) out += ch;
        return out;
      }
      if (ch === '$') {
        out += this.processDollar();
        continue;
      }
      let c = this.next();
      if (c === this.lex.escapeToken) {
        if (this.rawEscapes) out += c;
        const after = this.peek();
        if (after === EOF) continue;
        if (after === '"' || after === '$' || after === this.lex.escapeToken) c = this.next();
      }
      out += c;
    }
  }

  private processPossibleHeredoc(): string {
    // Keep `<<` and any spaces after it glued to the following word, so `<< EOF` is one word.
    this.next();
    if (this.peek() !== '<') return '<';
    this.next();
    let space = '';
    while (this.peek() === ' ' || this.peek() === '\t' || this.peek() === '\r') space += this.next();
    return '<<' + space;
  }

  private processName(): string {
    let name = '';
    while (this.peek() !== EOF) {
      const ch = this.peek();
      if (name.length === 0 && isDigit(ch)) {
        while (this.peek() !== EOF && isDigit(this.peek())) name += this.next();
        return name;
      }
      if (name.length === 0 && '@*#?-$!0'.includes(ch)) return this.next();
      if (!isLetter(ch) && !isDigit(ch) && ch !== '_') break;
      name += this.next();
    }
    return name;
  }

  private getEnv(name: string): string | undefined {
    const value = this.env.get(name);
    if (value !== undefined) this.matched.add(name);
    else this.unmatched.add(name);
    return value;
  }

  private processDollar(): string {
    this.next(); // $
    if (this.peek() !== '{') {
      const name = this.processName();
      if (name === '') return '$';
      const value = this.getEnv(name);
      if (value === undefined && this.lex.skipUnsetEnv) return '$' + name;
      return value ?? '';
    }
    this.next(); // {
    const first = this.peek();
    if (first === EOF) throw new ShellExpansionError("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') throw new ShellExpansionError('syntax error: bad substitution');
    const name = this.processName();
    let ch = this.next();
    let modifier = ch;
    if (ch === EOF) throw new ShellExpansionError("syntax error: missing '}'");
    if (ch === '}') {
      const value = this.getEnv(name);
      if (value === undefined && this.lex.skipUnsetEnv) return `\${${name}}`;
      return value ?? '';
    }
    if (ch === '/') return this.processReplace(name);

    let nullIsUnset = false;
    if (ch === ':') {
      nullIsUnset = true;
      ch = this.next();
      modifier += ch;
    }
    if (!['+', '-', '?', '#', '%'].includes(ch)) {
      throw new ShellExpansionError(`unsupported modifier (${modifier}) in substitution`);
    }
    // Patterns keep their escapes so `\*` stays a literal star.
    const isPattern = ch === '#' || ch === '%';
    if (nullIsUnset && isPattern) throw new ShellExpansionError(`unsupported modifier (${modifier}) in substitution`);
    let word: string;
    try {
      word = this.processStopOn('}', isPattern).result;
    } catch (err) {
      if (this.peek() === EOF) throw new ShellExpansionError("syntax error: missing '}'");
      throw err;
    }
    const value = this.getEnv(name);
    if (value === undefined && this.lex.skipUnsetEnv) return `\${${name}${modifier}${word}}`;
    const isUnset = value === undefined || (nullIsUnset && value === '');
    switch (ch) {
      case '-':
        return isUnset ? word : (value ?? '');
      case '+':
        return isUnset ? '' : word;
      case '?':
        if (value === undefined) throw new ShellExpansionError(`${name}: ${word || 'is not allowed to be unset'}`);
        if (nullIsUnset && value === '') throw new ShellExpansionError(`${name}: ${word || 'is not allowed to be empty'}`);
        return value;
      default: {
        // `#`/`%` remove the shortest match; doubled (`##`/`%%`) the longest.
        let pattern = word;
        let greedy = false;
        if (pattern.startsWith(ch)) {
          greedy = true;
          pattern = pattern.slice(1);
        }
        const subject = value ?? '';
        return ch === '%' ? trimSuffix(pattern, subject, greedy) : trimPrefix(pattern, subject, greedy);
      }
    }
  }

  private processReplace(name: string): string {
    const all = this.peek() === '/';
    if (all) this.next();
    let pattern: string;
    try {
      pattern = this.processStopOn('/', true).result;
    } catch (err) {
      if (this.peek() === EOF) throw new ShellExpansionError("syntax error: missing '/' in ${}");
      throw err;
    }
    let replacement: string;
    try {
      replacement = this.processStopOn('}', true).result;
    } catch (err) {
      if (this.peek() === EOF) throw new ShellExpansionError("syntax error: missing '}'");
      throw err;
    }
    const value = this.getEnv(name);
    if (value === undefined && this.lex.skipUnsetEnv) return `\${${name}/${pattern}/${replacement}}`;
    const re = shellPatternToRegExp(pattern, { greedy: true, anchored: false, global: all });
    const subject = value ?? '';
    // The `g` flag (set for `//`) decides first vs all; a function keeps `$&` in the replacement literal.
    return subject.replace(re, () => replacement);
  }
}

/**
 * A shell wildcard pattern (`*`, `?`, `\x`) as a RegExp. Non-greedy stars find the shortest
 * match; the longest needs greedy ones. Bracket expressions are literal, as in BuildKit.
 */
function shellPatternToRegExp(pattern: string, opts: { greedy: boolean; anchored: boolean; global?: boolean }): RegExp {
  const chars = Array.from(pattern);
  let out = opts.anchored ? '^' : '';
  const star = opts.greedy ? '.*' : '.*?';
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '*') out += star;
    else if (ch === '?') out += '.';
    else if (ch === '\\') {
      const nextCh = chars[i + 1];
      // `\}` and `\/` only protected the ${} syntax; the backslash is not part of the pattern.
      if (nextCh === '}' || nextCh === '/') continue;
      if (nextCh !== '*' && nextCh !== '?' && nextCh !== '\\') {
        throw new ShellExpansionError(`invalid pattern (${pattern}) in substitution: invalid escape '\\${nextCh ?? ''}'`);
      }
      out += '\\' + nextCh;
      i++;
    } else out += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(out, opts.global ? 'gsu' : 'su');
}

function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const m = shellPatternToRegExp(pattern, { greedy, anchored: true }).exec(value);
  return m ? value.slice(m[0].length) : value;
}

/** Reverse a pattern but keep each `\x` escape in front of its character. */
function reversePattern(pattern: string): string {
  const chars = Array.from(pattern);
  const out: string[] = new Array<string>(chars.length);
  const last = chars.length - 1;
  for (let i = 0; i <= last; ) {
    const ch = chars[i]!;
    const at = last - i;
    if (ch === '\\' && i !== last) {
      out[at - 1] = ch;
      out[at] = chars[i + 1]!;
      i += 2;
    } else {
      out[at] = ch;
      i++;
    }
  }
  return out.join('');
}

const reverse = (s: string): string => Array.from(s).reverse().join('');

function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  // Shortest rightmost match == shortest leftmost match on the reversed strings.
  return reverse(trimPrefix(reversePattern(pattern), reverse(value), greedy));
}
