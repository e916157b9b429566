/**
 * Dockerfile text -> AST (the first stage of the builder pipeline; see BuildKit's
 * frontend/dockerfile/parser for the reference behaviour).
 *
 * A Dockerfile is a list of logical lines. A logical line starts with an instruction keyword
 * and may span several physical lines:
 *
 *   RUN apt-get update \      <- escape char at the end continues the line
 *   # a comment               <- comments inside a continuation are dropped
 *                             <- so are empty lines (with a warning)
 *       && apt-get install x
 *
 * Parser directives (`# syntax=`, `# escape=`, `# check=`) are only recognised in the comment
 * block at the very top; any other line ends that block. Heredocs (`RUN <<EOF ... EOF`) attach
 * the following physical lines to the instruction that names them.
 *
 * The AST does no variable expansion and knows nothing about stages; it only records what each
 * line says, in the shape its instruction needs (JSON array, words, key/value pairs, ...).
 */
import { DockerfileParseError, withSuggestion } from './errors.js';
import { ShellLexer, type EscapeToken } from './expand.js';

export interface Heredoc {
  /** The delimiter word with quotes removed (`EOF` for `<<"EOF"`). */
  name: string;
  /** The file descriptor prefix of `3<<EOF`, 0 when absent. */
  fileDescriptor: number;
  /** False when any part of the delimiter was quoted: the content is then taken literally. */
  expand: boolean;
  /** `<<-`: leading tabs are stripped from the content and from the terminator line. */
  chomp: boolean;
  /** The body, every line with its newline, as written (tabs are not yet chomped). */
  content: string;
}

export interface KeyValue {
  key: string;
  value: string;
  /** False for the legacy `ENV key value` form. */
  hasEquals: boolean;
}

export interface DockerfileNode {
  /** The keyword in upper case (`RUN`), whatever the case it was written in. */
  keyword: string;
  /** Flags as written before the arguments, quotes and escapes removed: `--from=build`. */
  flags: string[];
  /** The arguments after the flags, as one trimmed string. */
  rest: string;
  /** The arguments split the way the instruction needs (JSON items, words or a single string). */
  args: string[];
  /** True when the arguments were a JSON array (exec form). */
  json: boolean;
  /** ENV and LABEL only. */
  keyValues?: KeyValue[];
  /** ONBUILD only: the trigger instruction. */
  child?: DockerfileNode;
  heredocs: Heredoc[];
  /** The logical line: physical lines joined with continuations removed. */
  original: string;
  /** 1-based line range in the file, heredoc bodies included. */
  startLine: number;
  endLine: number;
  /** Comment lines right above the instruction, without `#`. */
  comments: string[];
}

export interface ParseWarning {
  message: string;
  line: number;
}

export interface Directives {
  syntax?: string;
  escape: EscapeToken;
  check?: string;
}

export interface DockerfileAst {
  directives: Directives;
  escapeToken: EscapeToken;
  nodes: DockerfileNode[];
  warnings: ParseWarning[];
}

export interface ParseOptions {
  /** Used in error messages; defaults to `Dockerfile`. */
  fileName?: string;
}

export const INSTRUCTIONS = [
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL',
  'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
] as const;
export type InstructionKeyword = (typeof INSTRUCTIONS)[number];

const HEREDOC_INSTRUCTIONS = new Set(['ADD', 'COPY', 'RUN']);
const DIRECTIVE_RE = /^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const HEREDOC_RE = /^(\d*)<<(-?)\s*([^<]*)$/;
const WHITESPACE_RE = /[\t\v\f\r ]+/;

/** An error with a line location, turned into DockerfileParseError by parseDockerfile. */
class LineError extends Error {
  constructor(message: string, readonly line: number, readonly endLine = line) {
    super(message);
  }
}

/** Tracks the directive block at the top of the file. */
class DirectiveState {
  private done = false;
  private readonly seen = new Set<string>();
  readonly values: Directives = { escape: '\\' };

  /** Looks at one physical line (left-trimmed); returns true when it was a directive. */
  consider(line: string): boolean {
    if (this.done) return false;
    if (!line.startsWith('#')) {
      this.done = true;
      return false;
    }
    const m = DIRECTIVE_RE.exec(line.slice(1).replace(/^\s+/, ''));
    const key = m?.[1]?.toLowerCase();
    if (!m || (key !== 'syntax' && key !== 'escape' && key !== 'check')) {
      this.done = true;
      return false;
    }
    if (this.seen.has(key)) throw new Error(`only one ${key} parser directive can be used`);
    this.seen.add(key);
    const value = m[2]!;
    if (key === 'escape') {
      if (value !== '`' && value !== '\\') throw new Error(`invalid escape token '${value}' does not match \` or \\`);
      this.values.escape = value;
    } else {
      this.values[key] = value;
    }
    return true;
  }
}

/** Physical lines, each with its line ending, like BuildKit's scanLines. */
function splitLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) {
      if (start < text.length) lines.push(text.slice(start));
      return lines;
    }
    lines.push(text.slice(start, nl + 1));
    start = nl + 1;
  }
}

const trimNewline = (s: string): string => s.replace(/[\r\n]+$/, '');
const trimLeft = (s: string): string => s.replace(/^\s+/, '');
const isComment = (s: string): boolean => trimLeft(s).startsWith('#');

/** Removes a trailing escape token (optionally followed by blanks); reports whether the line ends here. */
function trimContinuation(line: string, escape: EscapeToken): { text: string; ends: boolean } {
  const e = escape === '\\' ? '\\\\' : '`';
  const re = new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`);
  if (re.test(line)) return { text: line.replace(re, '$1'), ends: false };
  return { text: line, ends: true };
}

export function parseDockerfile(text: string, options: ParseOptions = {}): DockerfileAst {
  const fileName = options.fileName ?? 'Dockerfile';
  try {
    return parseLines(text);
  } catch (err) {
    if (err instanceof LineError) {
      throw new DockerfileParseError({ fileName, line: err.line, endLine: err.endLine, detail: err.message });
    }
    throw err;
  }
}

function parseLines(text: string): DockerfileAst {
  const lines = splitLines(text.replace(/^\uFEFF/, ''));
  const directives = new DirectiveState();
  const nodes: DockerfileNode[] = [];
  const warnings: ParseWarning[] = [];
  let comments: string[] = [];
  let i = 0; // index of the next physical line; also the count of lines consumed

  /** Strips the newline, feeds the directive block, and drops comment lines. */
  const processLine = (raw: string, stripLeft: boolean): { text: string; directive: boolean } => {
    let line = trimNewline(raw);
    if (stripLeft) line = trimLeft(line);
    let directive: boolean;
    try {
      directive = directives.consider(line);
    } catch (err) {
      throw new LineError((err as Error).message, i + 1);
    }
    return { text: isComment(line) ? '' : line, directive };
  };

  while (i < lines.length) {
    const raw = lines[i]!;
    if (isComment(raw)) {
      const comment = trimLeft(raw).slice(1).trim();
      if (comment === '') comments = [];
      else comments.push(comment);
    }
    const first = processLine(raw, true);
    if (first.directive) comments.pop();
    i++;
    const startLine = i;
    let { text: chunk, ends } = trimContinuation(first.text, directives.values.escape);
    if (ends && chunk.length === 0) continue;

    let logical = chunk;
    let hadEmptyContinuation = false;
    while (!ends && i < lines.length) {
      const physical = lines[i]!;
      const next = processLine(physical, false);
      i++;
      if (isComment(physical)) continue;
      if (trimLeft(next.text).length === 0) {
        hadEmptyContinuation = true;
        continue;
      }
      ({ text: chunk, ends } = trimContinuation(next.text, directives.values.escape));
      logical += chunk;
    }
    if (hadEmptyContinuation) {
      warnings.push({ message: `Empty continuation line found in: ${logical}`, line: i });
    }

    let node: DockerfileNode;
    try {
      node = nodeFromLine(logical, directives.values.escape, comments);
    } catch (err) {
      if (err instanceof Error && !(err instanceof LineError)) throw new LineError(err.message, startLine, i);
      throw err;
    }

    if (canContainHeredoc(node) && logical.includes('<<')) {
      let found: Heredoc[];
      try {
        found = heredocsFromLine(logical);
      } catch (err) {
        throw new LineError((err as Error).message, startLine, i);
      }
      for (const doc of found) {
        let terminated = false;
        let content = doc.content;
        while (i < lines.length) {
          const bodyLine = lines[i]!;
          i++;
          let candidate = trimNewline(bodyLine);
          if (doc.chomp) candidate = candidate.replace(/^\t+/, '');
          if (candidate === doc.name) {
            terminated = true;
            break;
          }
          content += bodyLine;
        }
        if (!terminated) throw new LineError('unterminated heredoc', startLine, i);
        node.heredocs.push({ ...doc, content });
      }
    }

    node.startLine = startLine;
    node.endLine = i;
    if (node.child) {
      node.child.startLine = startLine;
      node.child.endLine = i;
    }
    nodes.push(node);
    comments = [];
  }

  if (nodes.length === 0) throw new LineError('file with no instructions', i);
  return { directives: directives.values, escapeToken: directives.values.escape, nodes, warnings };
}

function canContainHeredoc(node: DockerfileNode): boolean {
  const target = node.keyword === 'ONBUILD' && node.child ? node.child : node;
  return HEREDOC_INSTRUCTIONS.has(target.keyword) && !target.json;
}

/** Splits `KEYWORD --flags args` and shapes the arguments for that keyword. */
function nodeFromLine(line: string, escape: EscapeToken, comments: string[]): DockerfileNode {
  const trimmed = line.trim();
  const m = WHITESPACE_RE.exec(trimmed);
  const word = m ? trimmed.slice(0, m.index) : trimmed;
  const afterKeyword = m ? trimmed.slice(m.index + m[0].length) : '';
  const { flags, rest: restRaw } = afterKeyword ? extractFlags(afterKeyword, escape) : { flags: [], rest: '' };
  const rest = restRaw.trim();
  const keyword = word.toUpperCase();

  const node: DockerfileNode = {
    keyword, flags, rest, args: [], json: false, heredocs: [], original: line,
    startLine: 0, endLine: 0, comments: [...comments],
  };

  switch (keyword) {
    case 'RUN':
    case 'CMD':
    case 'ENTRYPOINT':
    case 'SHELL':
      Object.assign(node, maybeJson(rest));
      break;
    case 'ADD':
    case 'COPY':
    case 'VOLUME':
      Object.assign(node, maybeJsonToList(rest));
      break;
    case 'EXPOSE':
    case 'FROM':
      node.args = splitWhitespace(rest);
      break;
    case 'MAINTAINER':
    case 'STOPSIGNAL':
    case 'USER':
    case 'WORKDIR':
      node.args = rest === '' ? [] : [rest];
      break;
    case 'ENV':
    case 'LABEL':
      node.keyValues = parseNameValue(rest, keyword, escape);
      break;
    case 'ARG':
      node.args = parseWords(rest, escape);
      break;
    case 'HEALTHCHECK':
      Object.assign(node, parseHealthcheckArgs(rest));
      break;
    case 'ONBUILD':
      if (rest !== '') node.child = nodeFromLine(rest, escape, []);
      break;
    default:
      throw new Error(withSuggestion(`unknown instruction: ${word}`, word, INSTRUCTIONS, false));
  }
  return node;
}

/**
 * Leading `--flag[=value]` words; quotes and escapes inside them are removed. A bare `--` ends
 * the flags. Returns the remaining text untouched.
 */
export function extractFlags(line: string, escape: EscapeToken): { flags: string[]; rest: string } {
  const flags: string[] = [];
  let pos = 0;
  const n = line.length;
  for (;;) {
    while (pos < n && /\s/.test(line[pos]!)) pos++;
    if (pos >= n) return { flags, rest: '' };
    if (!(line[pos] === '-' && line[pos + 1] === '-')) return { flags, rest: line.slice(pos) };
    let word = '';
    let blankOk = false;
    let quote = '';
    for (; pos < n; pos++) {
      let ch = line[pos]!;
      if (quote) {
        if (ch === quote) {
          quote = '';
          continue;
        }
        if (ch === escape) {
          if (pos + 1 === n) {
            quote = '';
            continue;
          }
          ch = line[++pos]!;
        }
        word += ch;
        continue;
      }
      if (/\s/.test(ch)) break;
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOk = true;
        continue;
      }
      if (ch === escape) {
        if (pos + 1 === n) continue;
        ch = line[++pos]!;
      }
      word += ch;
    }
    if (word === '--') return { flags, rest: line.slice(pos) };
    if (blankOk || word.length > 0) flags.push(word);
  }
}

function splitWhitespace(rest: string): string[] {
  return rest === '' ? [] : rest.split(/[\t\v\f\r ]+/);
}

/** A JSON array of strings, or undefined when the text is not a JSON array at all. */
function parseJsonArray(rest: string): string[] | undefined {
  const text = trimLeft(rest);
  if (!text.startsWith('[')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  if (!parsed.every((item): item is string => typeof item === 'string')) {
    throw new Error('when using JSON array syntax, arrays must be comprised of strings only');
  }
  return parsed;
}

function maybeJson(rest: string): { args: string[]; json: boolean } {
  if (rest === '') return { args: [], json: false };
  const items = parseJsonArray(rest);
  return items ? { args: items, json: true } : { args: [rest], json: false };
}

function maybeJsonToList(rest: string): { args: string[]; json: boolean } {
  const items = parseJsonArray(rest);
  return items ? { args: items, json: true } : { args: splitWhitespace(rest), json: false };
}

function parseHealthcheckArgs(rest: string): { args: string[]; json: boolean } {
  const m = /\s/.exec(rest);
  const type = m ? rest.slice(0, m.index) : rest;
  if (type === '') return { args: [], json: false };
  const command = m ? trimLeft(rest.slice(m.index)) : '';
  const parsed = maybeJson(command);
  return { args: [type, ...parsed.args], json: parsed.json };
}

/**
 * Words separated by unquoted whitespace, quotes and escapes kept (they are removed later by
 * expansion). Used for ARG and the `key=value` form of ENV and LABEL.
 */
export function parseWords(rest: string, escape: EscapeToken): string[] {
  const words: string[] = [];
  const chars = Array.from(rest);
  let word = '';
  let inWord = false;
  let quote = '';
  let blankOk = false;
  for (let pos = 0; pos < chars.length; pos++) {
    let ch = chars[pos]!;
    if (!inWord) {
      if (/\s/.test(ch)) continue;
      inWord = true;
    }
    if (quote === '') {
      if (/\s/.test(ch)) {
        if (blankOk || word.length > 0) words.push(word);
        word = '';
        blankOk = false;
        inWord = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOk = true;
      } else if (ch === escape) {
        if (pos + 1 === chars.length) continue;
        word += ch;
        ch = chars[++pos]!;
      }
      word += ch;
      continue;
    }
    if (ch === quote) quote = '';
    // Inside single quotes the escape token is an ordinary character.
    if (ch === escape && quote !== "'") {
      if (pos + 1 === chars.length) {
        quote = '';
        continue;
      }
      word += ch;
      ch = chars[++pos]!;
    }
    word += ch;
  }
  if (inWord && (blankOk || word.length > 0)) words.push(word);
  return words;
}

function parseNameValue(rest: string, keyword: string, escape: EscapeToken): KeyValue[] {
  const words = parseWords(rest, escape);
  if (words.length === 0) return [];
  if (!words[0]!.includes('=')) {
    // Legacy form: the first word is the name, everything after it is the value.
    const m = WHITESPACE_RE.exec(rest);
    if (!m) throw new Error(`${keyword} must have two arguments`);
    return [{ key: rest.slice(0, m.index), value: rest.slice(m.index + m[0].length), hasEquals: false }];
  }
  return words.map((word) => {
    const eq = word.indexOf('=');
    if (eq < 0) throw new Error(`Syntax error - can't find = in "${word}". Must be of the form: name=value`);
    return { key: word.slice(0, eq), value: word.slice(eq + 1), hasEquals: true };
  });
}

/** Heredoc words on a line (`<<EOF`, `<<-"EOF"`, `3<<EOF`), in order. */
function heredocsFromLine(line: string): Heredoc[] {
  const lexer = new ShellLexer({ rawQuotes: true, rawEscapes: true, skipUnsetEnv: true });
  let words: string[];
  try {
    words = lexer.processWords(line, new Map());
  } catch {
    words = [];
  }
  const docs: Heredoc[] = [];
  for (const word of words) {
    const doc = parseHeredoc(word);
    if (doc) docs.push(doc);
  }
  return docs;
}

/**
 * The heredoc named by a word such as `<<-"EOF"`, or undefined when the word is not one.
 * The content is filled in by the parser.
 */
export function parseHeredoc(word: string): Heredoc | undefined {
  const m = HEREDOC_RE.exec(word);
  if (!m) return undefined;
  const rest = m[3]!;
  if (rest === '') return undefined;
  const plain = new ShellLexer({ skipUnsetEnv: true }).processWords(rest, new Map());
  if (plain.length !== 1) return undefined;
  const raw = new ShellLexer({ skipUnsetEnv: true, rawQuotes: true }).processWords(rest, new Map());
  const countQuotes = (s: string): number => (s.match(/['"]/g) ?? []).length;
  const name = plain[0]!;
  return {
    name,
    fileDescriptor: m[1] ? Number.parseInt(m[1], 10) : 0,
    chomp: m[2] === '-',
    // Quotes that disappear when processed mean part of the delimiter was quoted.
    expand: countQuotes(name) === countQuotes(raw[0] ?? ''),
    content: '',
  };
}

/** `<<-` heredocs: remove leading tabs from every line. */
export function chompHeredocContent(content: string): string {
  return content.replace(/^\t+/gm, '');
}
