/**
 * `.dockerignore` files and the build-context walk, matching moby/patternmatcher and
 * moby/patternmatcher/ignorefile.
 *
 * Rules, in short: one pattern per line; `#` lines are comments; patterns are cleaned like Go's
 * filepath.Clean (so `./a/`, `/a` and `a` are the same); `*` and `?` never cross a `/`, `**`
 * crosses any number of directories; `[a-z]` / `[^a-z]` are character classes; `\` escapes.
 * A pattern that matches a directory also excludes everything under it. `!pattern` re-includes,
 * and the last matching line wins, so a file under an excluded directory can come back — which
 * is why an excluded directory must still be walked when an exception could match inside it.
 */
import { createHash } from 'node:crypto';
import { lstat, open, readdir, readFile, readlink } from 'node:fs/promises';
import * as path from 'node:path';
import type { Digest } from '../../../util/digest.js';
import { InvalidParameterError } from '../../../util/errors.js';

/** Go's path.Clean for slash-separated paths. */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
    } else out.push(part);
  }
  const joined = out.join('/');
  if (rooted) return '/' + joined;
  return joined === '' ? '.' : joined;
}

/** Patterns from a .dockerignore file, cleaned as the docker CLI and BuildKit do. */
export function parseDockerignore(text: string): string[] {
  const patterns: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const line of lines) {
    if (line.startsWith('#')) continue;
    let pattern = line.trim();
    if (pattern === '') continue;
    const invert = pattern.startsWith('!');
    if (invert) pattern = pattern.slice(1).trim();
    if (pattern.length > 0) {
      pattern = cleanPath(pattern);
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    patterns.push(invert ? '!' + pattern : pattern);
  }
  return patterns;
}

/** Checks Go filepath.Match syntax: closed classes, no empty ranges, no dangling `\`. */
function validateGlob(pattern: string): void {
  const bad = (): never => {
    throw new InvalidParameterError(`syntax error in pattern: ${JSON.stringify(pattern)}`);
  };
  const chars = Array.from(pattern);
  let i = 0;
  const classChar = (): void => {
    const ch = chars[i];
    if (ch === undefined || ch === '-' || ch === ']') bad();
    if (ch === '\\') {
      i++;
      if (chars[i] === undefined) bad();
    }
    i++;
    if (i >= chars.length) bad();
  };
  while (i < chars.length) {
    const ch = chars[i]!;
    if (ch === '\\') {
      if (i + 1 >= chars.length) bad();
      i += 2;
    } else if (ch === '[') {
      i++;
      if (chars[i] === '^') i++;
      let ranges = 0;
      for (;;) {
        if (i >= chars.length) bad();
        if (chars[i] === ']' && ranges > 0) {
          i++;
          break;
        }
        classChar();
        if (chars[i] === '-') {
          i++;
          classChar();
        }
        ranges++;
      }
    } else i++;
  }
}

type MatchKind = 'exact' | 'prefix' | 'suffix' | 'regexp';
const ESCAPED = new Set(['.', '+', '(', ')', '|', '{', '}', '$']);

/** One cleaned pattern, compiled the way patternmatcher compiles it. */
export class IgnorePattern {
  readonly exclusion: boolean;
  readonly cleaned: string;
  readonly dirs: string[];
  private readonly kind: MatchKind;
  private readonly regexp?: RegExp;

  constructor(raw: string) {
    let p = cleanPath(raw.trim());
    this.exclusion = p.startsWith('!');
    if (this.exclusion) {
      if (p.length === 1) throw new InvalidParameterError('illegal exclusion pattern: "!"');
      p = p.slice(1);
    }
    validateGlob(p);
    this.cleaned = p;
    this.dirs = p.split('/');
    const compiled = compile(p);
    this.kind = compiled.kind;
    this.regexp = compiled.regexp;
  }

  match(file: string): boolean {
    switch (this.kind) {
      case 'exact':
        return file === this.cleaned;
      case 'prefix':
        return file.startsWith(this.cleaned.slice(0, -2));
      case 'suffix': {
        const suffix = this.cleaned.slice(2);
        if (file.endsWith(suffix)) return true;
        return suffix.startsWith('/') && file === suffix.slice(1);
      }
      case 'regexp':
        return this.regexp!.test(file);
    }
  }
}

function compile(pattern: string): { kind: MatchKind; regexp?: RegExp } {
  let re = '^';
  let kind: MatchKind = 'exact';
  let inClass = false;
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const first = i === 0;
    const ch = chars[i]!;
    if (ch === '*') {
      if (chars[i + 1] === '*') {
        i++;
        if (chars[i + 1] === '/') i++;
        if (i + 1 >= chars.length) {
          if (kind === 'exact') kind = 'prefix';
          else {
            re += '.*';
            kind = 'regexp';
          }
        } else {
          re += '(.*/)?';
          kind = 'regexp';
        }
        // A leading `**` matches any suffix.
        if (first) kind = 'suffix';
      } else {
        re += '[^/]*';
        kind = 'regexp';
      }
    } else if (ch === '?') {
      re += '[^/]';
      kind = 'regexp';
    } else if (ESCAPED.has(ch)) {
      re += '\\' + ch;
    } else if (ch === '\\') {
      const next = chars[i + 1];
      if (next !== undefined) {
        i++;
        re += escapeForRegExp(next, inClass);
        kind = 'regexp';
      } else re += '\\\\';
    } else if (ch === '[' || ch === ']') {
      inClass = ch === '[';
      re += ch;
      kind = 'regexp';
    } else {
      re += ch === '/' ? '\\/' : ch;
    }
  }
  if (kind !== 'regexp') return { kind };
  try {
    return { kind, regexp: new RegExp(re + '$', 'u') };
  } catch {
    throw new InvalidParameterError(`syntax error in pattern: ${JSON.stringify(pattern)}`);
  }
}

/** A literal character for a u-mode RegExp (which rejects needless escapes). */
function escapeForRegExp(ch: string, inClass: boolean): string {
  if (/[\^$\\.*+?()[\]{}|/]/.test(ch) || (inClass && ch === '-')) return '\\' + ch;
  return ch;
}

/** An ordered list of patterns; the last one that matches decides. */
export class DockerignoreMatcher {
  readonly patterns: IgnorePattern[];
  /** True when some pattern starts with `!`. */
  readonly hasExclusions: boolean;

  constructor(patterns: readonly string[]) {
    this.patterns = patterns.filter((p) => p.trim() !== '').map((p) => new IgnorePattern(p));
    this.hasExclusions = this.patterns.some((p) => p.exclusion);
  }

  /** Whether a context-relative path (slash separated) is excluded, itself or through a parent. */
  matches(file: string): boolean {
    const cleaned = cleanPath(file);
    if (cleaned === '.') return false;
    return this.matchesOrParentMatches(cleaned);
  }

  /** patternmatcher.MatchesOrParentMatches on an already clean path. */
  matchesOrParentMatches(file: string): boolean {
    let matched = false;
    const slash = file.lastIndexOf('/');
    const parent = slash < 0 ? '.' : slash === 0 ? '/' : file.slice(0, slash);
    const parentDirs = parent.split('/');
    for (const pattern of this.patterns) {
      if (pattern.exclusion !== matched) continue;
      let match = pattern.match(file);
      if (!match && parent !== '.') {
        for (let i = 0; i < parentDirs.length && !match; i++) match = pattern.match(parentDirs.slice(0, i + 1).join('/'));
      }
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  }

  /**
   * Whether an exception could re-include something below an excluded directory, so the walk
   * must go into it. Conservative: true unless every exception provably points elsewhere.
   */
  mayIncludeUnder(dir: string): boolean {
    const parts = cleanPath(dir).split('/');
    return this.patterns.some((p) => {
      if (!p.exclusion) return false;
      for (let i = 0; i < parts.length; i++) {
        const seg = p.dirs[i];
        if (seg === undefined) return false;
        if (seg.includes('**')) return true;
        if (!new IgnorePattern(seg).match(parts[i]!)) return false;
      }
      return p.dirs.length > parts.length;
    });
  }
}

/** Names of the ignore files to try, best first: `<Dockerfile>.dockerignore`, then `.dockerignore`. */
export function ignoreFileCandidates(options: { contextDir: string; dockerfilePath?: string }): string[] {
  const candidates: string[] = [];
  if (options.dockerfilePath) {
    const df = path.resolve(options.contextDir, options.dockerfilePath);
    candidates.push(`${df}.dockerignore`);
  }
  candidates.push(path.join(options.contextDir, '.dockerignore'));
  return candidates;
}

/** Reads the ignore file that applies (or none): its patterns and where they came from. */
export async function loadDockerignore(options: { contextDir: string; dockerfilePath?: string }): Promise<{ patterns: string[]; file?: string }> {
  for (const file of ignoreFileCandidates(options)) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    return { patterns: parseDockerignore(text), file };
  }
  return { patterns: [] };
}

export interface ContextEntry {
  /** Slash-separated path relative to the context root. */
  path: string;
  type: 'file' | 'dir' | 'symlink';
  /** Permission bits (and setuid/setgid/sticky). */
  mode: number;
  size: number;
  linkTarget?: string;
}

function entryType(st: { isDirectory(): boolean; isSymbolicLink(): boolean; isFile(): boolean }): ContextEntry['type'] | undefined {
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  return undefined; // sockets, fifos and devices are not part of a build context
}

/** Byte-wise order, the same on every machine and locale. */
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Every included path under `dir`, depth first in name order. A directory that is excluded but
 * holds re-included files is listed (before them) so the files have a parent.
 */
export async function walkContext(dir: string, matcher: DockerignoreMatcher = new DockerignoreMatcher([])): Promise<ContextEntry[]> {
  return walkTree(dir, '.', matcher);
}

/** Walks `dir`, matching paths as `<prefix>/<path>` (prefix is where `dir` sits in the context). */
async function walkTree(dir: string, prefix: string, matcher: DockerignoreMatcher): Promise<ContextEntry[]> {
  const out: ContextEntry[] = [];
  const contextPath = (rel: string): string => (prefix === '.' ? rel : `${prefix}/${rel}`);
  // Excluded ancestors of the current directory, emitted only if something below is included.
  const held: { entry: ContextEntry; emitted: boolean }[] = [];
  const emit = (entry: ContextEntry): void => {
    for (const h of held) {
      if (!h.emitted) {
        out.push(h.entry);
        h.emitted = true;
      }
    }
    out.push(entry);
  };
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(path.join(dir, rel))).sort(byName);
    for (const name of names) {
      const relPath = rel === '' ? name : `${rel}/${name}`;
      const abs = path.join(dir, relPath);
      const st = await lstat(abs);
      const type = entryType(st);
      if (!type) continue;
      const entry: ContextEntry = { path: relPath, type, mode: st.mode & 0o7777, size: type === 'file' ? st.size : 0 };
      if (type === 'symlink') entry.linkTarget = await readlink(abs);
      if (!matcher.matches(contextPath(relPath))) {
        emit(entry);
        if (type === 'dir') await walk(relPath);
      } else if (type === 'dir' && matcher.hasExclusions && matcher.mayIncludeUnder(contextPath(relPath))) {
        held.push({ entry, emitted: false });
        await walk(relPath);
        held.pop();
      }
    }
  };
  await walk('');
  return out;
}

/** Files hashed at once by contentHash. */
const HASH_BATCH = 32;

async function hashFileContent(file: string): Promise<string> {
  const hash = createHash('sha256');
  // A file handle read loop: for the small files a context is mostly made of, a stream's
  // machinery costs more than the reads.
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(64 * 1024);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

/**
 * A cache key for a file or a directory tree: names (relative to `target`), types, permission
 * bits, symlink targets and file contents. Timestamps and owners are left out on purpose, so a
 * fresh checkout of the same files gives the same key. Excluded paths (per `matcher`, relative
 * to `root`) do not count.
 */
export async function contentHash(options: {
  root: string;
  target?: string;
  matcher?: DockerignoreMatcher;
  /** Known sha256 (hex) of files by path relative to `root`; others are read. */
  fileHashes?: ReadonlyMap<string, string>;
}): Promise<Digest> {
  const rel = options.target ? cleanPath(options.target.split(path.sep).join('/')) : '.';
  const abs = rel === '.' ? options.root : path.join(options.root, rel);
  const st = await lstat(abs);
  const type = entryType(st);
  const hash = createHash('sha256');
  const line = async (name: string, t: ContextEntry['type'], mode: number, file: string): Promise<string> => {
    let body = '';
    if (t === 'file') body = options.fileHashes?.get(path.relative(options.root, file).split(path.sep).join('/')) ?? (await hashFileContent(file));
    else if (t === 'symlink') body = await readlink(file);
    return `${t}\0${name}\0${mode.toString(8)}\0${body}\n`;
  };
  const record = async (name: string, t: ContextEntry['type'], mode: number, file: string): Promise<void> => {
    hash.update(await line(name, t, mode, file));
  };
  const topName = rel === '.' ? '.' : path.posix.basename(rel);
  if (type === 'dir') {
    await record(topName, 'dir', st.mode & 0o7777, abs);
    const matcher = options.matcher ?? new DockerignoreMatcher([]);
    // Walk with paths relative to the root so .dockerignore patterns apply, then name entries relative to target.
    const entries = await walkTree(abs, rel, matcher);
    // Many small files: read them several at a time (the thread pool overlaps the opens), hash in order.
    for (let i = 0; i < entries.length; i += HASH_BATCH) {
      const lines = await Promise.all(entries.slice(i, i + HASH_BATCH).map((e) => line(`${topName}/${e.path}`, e.type, e.mode, path.join(abs, e.path))));
      for (const l of lines) hash.update(l);
    }
  } else if (type) {
    if (options.matcher?.matches(rel)) throw new InvalidParameterError(`${rel} is excluded by .dockerignore`);
    await record(topName, type, st.mode & 0o7777, abs);
  } else {
    throw new InvalidParameterError(`${rel} is not a regular file, directory or symlink`);
  }
  return `sha256:${hash.digest('hex')}`;
}
