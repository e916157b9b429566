/**
 * Path handling inside a root directory (a mounted rootfs, a build context): symlinks are
 * followed as if `root` were `/`, so nothing a COPY writes or reads can leave the root; and
 * Go's filepath.Match for COPY/ADD source globs.
 */
import { lstat, readdir, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { InvalidParameterError } from '../../../util/errors.js';
import { cleanPath } from '../context/dockerignore.js';

/**
 * The host path of `p` (absolute inside `root`), with every symlink on the way resolved
 * inside root (FollowSymlinkInScope). The last component is followed too unless `keepLast`.
 * Missing components are fine: the rest is appended as is.
 */
export async function resolveInRoot(root: string, p: string, opts: { keepLast?: boolean } = {}): Promise<string> {
  let pending = cleanPath('/' + p).split('/').filter(Boolean);
  let resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = [...resolved, part];
    if (opts.keepLast && pending.length === 0) {
      resolved = candidate;
      break;
    }
    const host = posix.join(root, ...candidate);
    const st = await lstat(host).catch(() => undefined);
    if (!st) {
      resolved = [...candidate, ...pending];
      break;
    }
    if (st.isSymbolicLink()) {
      if (++links > 255) throw new InvalidParameterError(`too many levels of symbolic links: ${p}`);
      const target = await readlink(host);
      const rest = target.split('/').filter((x) => x !== '' && x !== '.');
      pending = [...rest, ...pending];
      if (target.startsWith('/')) resolved = [];
      continue;
    }
    resolved = candidate;
  }
  return posix.join(root, ...resolved);
}

export function hasGlob(pattern: string): boolean {
  return /[*?[\\]/.test(pattern);
}

/** Go's filepath.Match as a RegExp for one path component. */
export function globToRegExp(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '\\') {
      i++;
      if (i >= pattern.length) throw new InvalidParameterError(`syntax error in pattern: ${pattern}`);
      re += escapeRe(pattern[i]!);
    } else if (ch === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw new InvalidParameterError(`syntax error in pattern: ${pattern}`);
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/\\(.)/g, '\\$1').replace(/[\]^]/g, (m) => '\\' + m)}]`;
      i = end;
    } else re += escapeRe(ch);
  }
  return new RegExp(re + '$', 'su');
}

function escapeRe(ch: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(ch) ? '\\' + ch : ch;
}

/**
 * Context-relative paths (slash separated, no leading slash) matching a COPY source pattern;
 * components with wildcards are matched against directory listings. Sorted by name.
 */
export async function expandSourcePattern(root: string, pattern: string): Promise<string[]> {
  const cleaned = cleanPath('/' + pattern).slice(1);
  if (cleaned === '') return ['.'];
  const parts = cleaned.split('/');
  let current: string[] = [''];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const next: string[] = [];
    for (const base of current) {
      if (!hasGlob(part)) {
        const rel = base === '' ? part : `${base}/${part}`;
        if (i === parts.length - 1 || (await isDir(posix.join(root, rel)))) next.push(rel);
        else if (await exists(posix.join(root, rel))) next.push(rel);
        continue;
      }
      const re = globToRegExp(part);
      const names = await readdir(posix.join(root, base)).catch(() => [] as string[]);
      for (const name of names.sort()) if (re.test(name)) next.push(base === '' ? name : `${base}/${name}`);
    }
    current = next;
  }
  const out: string[] = [];
  for (const rel of current) if (await exists(posix.join(root, rel))) out.push(rel);
  return out;
}

async function exists(p: string): Promise<boolean> {
  return (await lstat(p).catch(() => undefined)) !== undefined;
}

async function isDir(p: string): Promise<boolean> {
  return (await lstat(p).catch(() => undefined))?.isDirectory() === true;
}
