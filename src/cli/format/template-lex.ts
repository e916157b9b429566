/**
 * Lexer for Go's text/template syntax: text between actions, and the tokens inside `{{ }}`.
 * Trim markers (`{{- ` and ` -}}`) are resolved here, so the parser only sees clean text.
 */

export type TokenKind =
  | 'text'
  | 'open' // {{
  | 'close' // }}
  | 'field' // .Foo (value: "Foo")
  | 'dot' // .
  | 'variable' // $x or $
  | 'ident' // function name or keyword
  | 'string'
  | 'number'
  | 'bool'
  | 'nil'
  | 'lparen'
  | 'rparen'
  | 'pipe'
  | 'declare' // :=
  | 'assign' // =
  | 'comma'
  | 'eof';

export interface Token {
  kind: TokenKind;
  value: string;
  pos: number;
}

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

const KEYWORDS_AS_BOOL = new Set(['true', 'false']);

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

function isAlnum(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9_]/.test(c);
}

/** Splits a template into tokens. Text tokens already have trim markers applied. */
export function lex(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let trimNextText = false;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = open < 0 ? src.slice(i) : src.slice(i, open);
    const trimLeft = open >= 0 && src[open + 2] === '-' && isSpace(src[open + 3]);
    if (trimNextText) text = text.replace(/^[ \t\r\n]+/, '');
    if (trimLeft) text = text.replace(/[ \t\r\n]+$/, '');
    if (text) tokens.push({ kind: 'text', value: text, pos: i });
    if (open < 0) break;
    i = open + 2 + (trimLeft ? 2 : 0);
    // Comments: {{/* ... */}}
    const afterSpace = src.slice(i).match(/^\s*/)?.[0].length ?? 0;
    if (src.startsWith('/*', i + afterSpace)) {
      const end = src.indexOf('*/', i + afterSpace);
      if (end < 0) throw new TemplateError('unclosed comment');
      let j = end + 2;
      while (isSpace(src[j])) j++;
      const trimRight = src.startsWith('-}}', j);
      if (!trimRight && !src.startsWith('}}', end + 2)) throw new TemplateError('comment ends before closing delimiter');
      i = trimRight ? j + 3 : end + 4;
      trimNextText = trimRight;
      continue;
    }
    tokens.push({ kind: 'open', value: '{{', pos: open });
    trimNextText = false;
    i = lexAction(src, i, tokens, (trim) => (trimNextText = trim));
  }
  tokens.push({ kind: 'eof', value: '', pos: src.length });
  return tokens;
}

/** Lexes the inside of one action; returns the index after its closing `}}`. */
function lexAction(src: string, start: number, out: Token[], setTrim: (trim: boolean) => void): number {
  let i = start;
  for (;;) {
    const c = src[i];
    if (c === undefined) throw new TemplateError('unclosed action');
    if (isSpace(c)) {
      // " -}}" closes with right trim.
      let j = i;
      while (isSpace(src[j])) j++;
      if (src.startsWith('-}}', j)) {
        out.push({ kind: 'close', value: '}}', pos: j });
        setTrim(true);
        return j + 3;
      }
      i = j;
      continue;
    }
    if (src.startsWith('}}', i)) {
      out.push({ kind: 'close', value: '}}', pos: i });
      setTrim(false);
      return i + 2;
    }
    if (c === '(') out.push({ kind: 'lparen', value: c, pos: i++ });
    else if (c === ')') out.push({ kind: 'rparen', value: c, pos: i++ });
    else if (c === '|') out.push({ kind: 'pipe', value: c, pos: i++ });
    else if (c === ',') out.push({ kind: 'comma', value: c, pos: i++ });
    else if (c === ':' && src[i + 1] === '=') {
      out.push({ kind: 'declare', value: ':=', pos: i });
      i += 2;
    } else if (c === '=') out.push({ kind: 'assign', value: c, pos: i++ });
    else if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      if (j >= src.length) throw new TemplateError('unterminated quoted string');
      out.push({ kind: 'string', value: JSON.parse(src.slice(i, j + 1).replace(/\\'/g, "'")) as string, pos: i });
      i = j + 1;
    } else if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j < 0) throw new TemplateError('unterminated raw quoted string');
      out.push({ kind: 'string', value: src.slice(i + 1, j), pos: i });
      i = j + 1;
    } else if (c === "'") {
      const m = src.slice(i).match(/^'(\\.|[^'])'/);
      if (!m) throw new TemplateError('bad character constant');
      const ch = m[1]!.startsWith('\\') ? (JSON.parse(`"${m[1]}"`) as string) : m[1]!;
      out.push({ kind: 'number', value: String(ch.codePointAt(0)), pos: i });
      i += m[0].length;
    } else if (c === '.' && isAlnum(src[i + 1]) && !/[0-9]/.test(src[i + 1]!)) {
      let j = i + 1;
      while (isAlnum(src[j])) j++;
      out.push({ kind: 'field', value: src.slice(i + 1, j), pos: i });
      i = j;
    } else if (c === '.') out.push({ kind: 'dot', value: '.', pos: i++ });
    else if (c === '$') {
      // A variable carries its field chain: `$x.A.B`.
      let j = i + 1;
      while (isAlnum(src[j]) || (src[j] === '.' && isAlnum(src[j + 1]))) j++;
      out.push({ kind: 'variable', value: src.slice(i, j), pos: i });
      i = j;
    } else if (/[0-9+-]/.test(c)) {
      const m = src.slice(i).match(/^[+-]?(0x[0-9a-fA-F_]+|[0-9_]*\.?[0-9_]+([eE][+-]?[0-9]+)?)/);
      if (!m || !m[0] || m[0] === '-' || m[0] === '+') throw new TemplateError(`bad number syntax: "${src.slice(i, i + 5)}"`);
      out.push({ kind: 'number', value: m[0].replace(/_/g, ''), pos: i });
      i += m[0].length;
    } else if (isAlnum(c)) {
      let j = i;
      while (isAlnum(src[j])) j++;
      const word = src.slice(i, j);
      const kind: TokenKind = KEYWORDS_AS_BOOL.has(word) ? 'bool' : word === 'nil' ? 'nil' : 'ident';
      out.push({ kind, value: word, pos: i });
      i = j;
    } else throw new TemplateError(`unexpected "${c}" in command`);
  }
}
