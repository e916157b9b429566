/**
 * `berth cp`, with docker's semantics. Either side may be a container path (`NAME:PATH`), a host
 * path, or `-` (a tar stream on stdin/stdout).
 *
 * The daemon always speaks tar: GET /containers/{id}/archive returns the source as entries named
 * after its basename (`passwd`, `etc/...`, or `./...` when the path ends in `/.`), and PUT extracts
 * a tar into a directory that must exist. What a copy means is decided here, as docker's
 * `archive.PrepareArchiveCopy` does it:
 *
 *   destination is a directory        → extract into it (the source keeps its name)
 *   destination is a file, source dir  → error: cannot copy a directory to a file
 *   destination is a file, source file → extract into its parent, renamed to the destination
 *   destination missing, source dir    → extract into its parent, renamed (creates the directory)
 *   destination missing and ends in /  → error when the source is a file
 *   destination missing                → extract into its parent, renamed
 *
 * A `/.` suffix on a directory source copies its contents rather than the directory itself.
 * Unpacking on the host never writes outside the destination: absolute names, `..`, hard links
 * and symlinks that point outside, and paths through symlinks are refused.
 */
import { createReadStream } from 'node:fs';
import { chmod, link, lchown, lstat, mkdir, readdir, readlink, realpath, stat, symlink, unlink, utimes, lutimes, rm } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { dirname, join, posix, resolve, sep } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { tarPack } from '../../util/tar-pack.js';
import type { Cli } from '../cli.js';
import { CliError } from '../errors.js';
import { humanSize } from '../format/units.js';

const enc = encodeURIComponent;
const MODE_DIR = 0x80000000;
const MODE_SYMLINK = 0x8000000;

export interface CopyOptions {
  /** -a: keep uid/gid. */
  archive?: boolean;
  /** -L: follow a symlink in the source. */
  followLink?: boolean;
  /** -q: no "Successfully copied" line. */
  quiet?: boolean;
}

export interface ContainerPath {
  container?: string;
  path: string;
}

/** `NAME:PATH` names a container path unless the text before the colon looks like a local path. */
export function splitCopyArg(arg: string): ContainerPath {
  if (arg.startsWith('/') || arg.startsWith('.')) return { path: arg };
  const i = arg.indexOf(':');
  if (i <= 0) return { path: arg };
  return { container: arg.slice(0, i), path: arg.slice(i + 1) };
}

interface PathStat {
  name: string;
  size: number;
  mode: number;
  linkTarget: string;
}

/** What is known about each end of the copy (docker's archive.CopyInfo). */
interface CopyInfo {
  path: string;
  exists: boolean;
  isDir: boolean;
  rebaseName?: string;
}

/** Splits like docker's SplitPathDirEntry: `/a/b/` → ['/a', 'b'], `/a/.` → ['/a', '.']. */
export function splitDirEntry(path: string, p: typeof posix = posix): [string, string] {
  let cleaned = p.normalize(path);
  if (cleaned.length > 1 && cleaned.endsWith(p.sep)) cleaned = cleaned.slice(0, -1);
  if (path === '.' || path.endsWith(`${p.sep}.`)) cleaned = cleaned === '.' ? '.' : `${cleaned}${p.sep}.`;
  return [p.dirname(cleaned), p.basename(cleaned) || cleaned];
}

const assertsDirectory = (path: string) => path.endsWith('/') || path.endsWith('/.') || path === '.';

interface Prepared {
  dir: string;
  rename?: { from: string; to: string };
}

/**
 * docker's PrepareArchiveCopy: where to extract, and which top-level name to rename. The
 * archive's entries carry the basename of `src.path`; with -L on a symlink they are first
 * renamed to the link's own name (`rebaseName`), then to the destination's basename.
 */
export function prepareArchiveCopy(src: CopyInfo, dst: CopyInfo): Prepared {
  const [dstDir, dstBase] = splitDirEntry(dst.path);
  const srcBase = splitDirEntry(src.path)[1];
  if (dst.exists && dst.isDir) return { dir: dst.path, rename: src.rebaseName ? { from: srcBase, to: src.rebaseName } : undefined };
  if (dst.exists && src.isDir) throw new CliError('cannot copy a directory to a file');
  if (!dst.exists && !src.isDir && assertsDirectory(dst.path)) throw new CliError(`destination directory "${dst.path}" does not exist`);
  return { dir: dstDir, rename: { from: srcBase, to: dstBase } };
}

/** Replaces the leading `from` component of an entry name by `to` (RebaseArchiveEntries). */
export function rebaseName(name: string, rename?: { from: string; to: string }): string {
  if (!rename) return name;
  const { from, to } = rename;
  if (name === from || name === `${from}/`) return name.replace(from, to);
  if (name.startsWith(`${from}/`)) return `${to}${name.slice(from.length)}`;
  return name;
}

function statHeader(value: string | string[] | undefined): PathStat | undefined {
  if (typeof value !== 'string') return undefined;
  return JSON.parse(Buffer.from(value, 'base64').toString()) as PathStat;
}

async function statContainerPath(cli: Cli, container: string, path: string): Promise<PathStat | undefined> {
  const res = await cli.client.request('HEAD', `/containers/${enc(container)}/archive`, { query: { path } });
  res.resume();
  if (res.statusCode === 404) {
    // A missing container is an error; a missing path is "does not exist".
    await cli.client.get(`/containers/${enc(container)}/json`);
    return undefined;
  }
  if (res.statusCode && res.statusCode >= 400) throw new CliError(`Error response from daemon: cannot stat ${container}:${path} (HTTP ${res.statusCode})`);
  return statHeader(res.headers['x-docker-container-path-stat']);
}

export async function copy(cli: Cli, srcArg: string, dstArg: string, o: CopyOptions = {}): Promise<void> {
  const from = splitCopyArg(srcArg);
  const to = splitCopyArg(dstArg);
  if (from.container && to.container) throw new CliError('copying between containers is not supported');
  if (!from.container && !to.container) throw new CliError('must specify at least one container source');
  if (from.container) await copyFromContainer(cli, from.container, from.path, to.path, o);
  else await copyToContainer(cli, from.path, to.container!, to.path, o);
}

async function copyFromContainer(cli: Cli, container: string, srcPath: string, dstPath: string, o: CopyOptions): Promise<void> {
  let rebase: string | undefined;
  let path = srcPath;
  if (o.followLink) {
    const st = await statContainerPath(cli, container, srcPath);
    if (st && st.mode & MODE_SYMLINK && st.linkTarget) {
      const target = posix.isAbsolute(st.linkTarget) ? st.linkTarget : posix.join(posix.dirname(srcPath), st.linkTarget);
      rebase = splitDirEntry(srcPath)[1];
      path = target;
    }
  }
  const res = await cli.client.call('GET', `/containers/${enc(container)}/archive`, { query: { path } });
  if (dstPath === '-') {
    await pipeline(res, cli.stdout, { end: false });
    return;
  }
  const st = statHeader(res.headers['x-docker-container-path-stat']);
  const src: CopyInfo = { path, exists: true, isDir: Boolean(st && st.mode & MODE_DIR), rebaseName: rebase };
  const dst = await localInfo(dstPath);
  if (!dst.exists) {
    const parent = dirname(resolve(dstPath));
    const p = await stat(parent).catch(() => undefined);
    if (!p?.isDirectory()) {
      res.resume();
      throw new CliError(`destination directory "${parent}" does not exist`);
    }
  }
  let prepared: Prepared;
  try {
    prepared = prepareArchiveCopy(src, dst);
  } catch (err) {
    res.resume();
    throw err;
  }
  const bytes = await extractTar(res, resolve(prepared.dir), { rename: prepared.rename, keepOwner: Boolean(o.archive) });
  if (!o.quiet) cli.err(`Successfully copied ${humanSize(bytes)} to ${dstPath}\n`);
}

async function localInfo(path: string): Promise<CopyInfo> {
  // docker follows a symlink at the destination.
  const st = await stat(path).catch(() => undefined);
  return { path, exists: Boolean(st), isDir: Boolean(st?.isDirectory()) };
}

async function copyToContainer(cli: Cli, srcPath: string, container: string, dstPath: string, o: CopyOptions): Promise<void> {
  let dst: CopyInfo = { path: dstPath, exists: false, isDir: false };
  const st = await statContainerPath(cli, container, dstPath);
  if (st) {
    if (st.mode & MODE_SYMLINK && st.linkTarget) {
      const target = posix.isAbsolute(st.linkTarget) ? st.linkTarget : posix.join(posix.dirname(dstPath), st.linkTarget);
      const t = await statContainerPath(cli, container, target);
      dst = { path: target, exists: Boolean(t), isDir: Boolean(t && t.mode & MODE_DIR) };
    } else dst = { path: dstPath, exists: true, isDir: Boolean(st.mode & MODE_DIR) };
  }
  const put = async (dir: string, body: Readable) => {
    const res = await cli.client.call('PUT', `/containers/${enc(container)}/archive`, { query: { path: dir, noOverwriteDirNonDir: true, copyUIDGID: o.archive || undefined }, body });
    res.resume();
  };
  if (srcPath === '-') {
    if (!dst.exists) throw new CliError(`Error response from daemon: Could not find the file ${dstPath} in container ${container}`);
    if (!dst.isDir) throw new CliError(`destination "${container}:${dstPath}" must be a directory`);
    await put(dst.path, cli.stdin);
    return;
  }
  let source = srcPath;
  let rebase: string | undefined;
  const lst = await lstat(srcPath).catch(() => undefined);
  if (!lst) throw new CliError(`lstat ${resolve(srcPath)}: no such file or directory`);
  if (o.followLink && lst.isSymbolicLink()) {
    rebase = splitDirEntry(srcPath, posix)[1];
    source = await realpath(srcPath);
  }
  const sst = o.followLink ? await stat(source) : lst;
  const src: CopyInfo = { path: source, exists: true, isDir: sst.isDirectory(), rebaseName: rebase };
  if (!dst.exists) {
    // The parent must exist in the container: the daemon extracts into it.
    const parent = posix.dirname(posix.normalize(dstPath.replace(/\/+$/, '') || '/'));
    const p = await statContainerPath(cli, container, parent);
    if (!p || !(p.mode & MODE_DIR)) throw new CliError(`Error response from daemon: Could not find the file ${parent} in container ${container}`);
  }
  const prepared = prepareArchiveCopy(src, dst);
  const packed = packTar(source, { rename: prepared.rename, keepOwner: Boolean(o.archive) });
  const counted = new PassThrough();
  let bytes = 0;
  packed.stream.on('error', (err) => counted.destroy(err));
  packed.stream.pipe(counted);
  await put(prepared.dir, counted);
  bytes = await packed.done;
  if (!o.quiet) cli.err(`Successfully copied ${humanSize(bytes)} to ${container}:${dstPath}\n`);
}

interface PackOptions {
  rename?: { from: string; to: string };
  keepOwner: boolean;
}

/** Tars a host file or directory (entries named after its basename), streaming. Resolves to the file bytes packed. */
export function packTar(source: string, o: PackOptions): { stream: Readable; done: Promise<number> } {
  const pack = tarPack();
  const [dir, base] = splitDirEntry(source, posix);
  let bytes = 0;
  const walk = async (abs: string, name: string): Promise<void> => {
    const st = await lstat(abs);
    const entryName = rebaseName(name, o.rename);
    const common = {
      name: entryName,
      mode: st.mode & 0o7777,
      mtime: st.mtime,
      uid: o.keepOwner ? st.uid : 0,
      gid: o.keepOwner ? st.gid : 0,
    };
    if (st.isDirectory()) {
      pack.entry({ ...common, type: 'directory' });
      for (const child of (await readdir(abs)).sort()) await walk(join(abs, child), name === '.' ? `./${child}` : `${name}/${child}`);
    } else if (st.isSymbolicLink()) {
      pack.entry({ ...common, type: 'symlink', linkname: await readlink(abs) });
    } else if (st.isFile()) {
      const entry = pack.entry({ ...common, type: 'file', size: st.size });
      await pipeline(createReadStream(abs), entry);
      bytes += st.size;
    }
    // Sockets, fifos and devices are skipped, as a plain copy would.
  };
  const done = (async () => {
    try {
      await walk(join(dir, base), base);
      pack.finalize();
      return bytes;
    } catch (err) {
      pack.destroy(err as Error);
      throw err;
    }
  })();
  done.catch(() => undefined);
  return { stream: pack as unknown as Readable, done };
}

export interface ExtractOptions {
  rename?: { from: string; to: string };
  keepOwner: boolean;
}

/** Checks that `name` stays inside the destination; returns its normalized relative path ('' for the root). */
export function safeEntryName(name: string): string {
  if (name.startsWith('/') || name.includes('\0')) throw new CliError(`refusing to extract "${name}": absolute path`);
  const parts = name.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.includes('..')) throw new CliError(`refusing to extract "${name}": path escapes the destination`);
  return parts.join('/');
}

/** Whether a link target, seen from entry `rel`, stays inside the destination. */
export function linkStaysInside(rel: string, target: string, hard: boolean): boolean {
  if (posix.isAbsolute(target)) return false;
  const base = hard ? '' : posix.dirname(rel);
  // Relative normalization keeps leading `..` (joining onto '/' would clamp them away).
  const joined = posix.normalize(posix.join(base === '.' ? '' : base, target));
  return joined !== '..' && !joined.startsWith('../');
}

/** Refuses to go through a symlink on the way to `rel` inside `root` (the root itself may be one). */
async function assertNoSymlinkParents(root: string, rel: string): Promise<void> {
  const parts = rel.split('/');
  let cur = root;
  for (const part of parts.slice(0, -1)) {
    cur = join(cur, part);
    const st = await lstat(cur).catch(() => undefined);
    if (!st) return;
    if (st.isSymbolicLink()) throw new CliError(`refusing to extract "${rel}": its path goes through the symlink ${cur}`);
  }
}

/** Extracts a tar stream into `root`, never writing outside it. Resolves to the file bytes written. */
export async function extractTar(input: Readable, root: string, o: ExtractOptions): Promise<number> {
  const extract = tar.extract();
  let bytes = 0;
  const dirTimes: Array<[string, Date]> = [];
  const isRoot = process.getuid?.() === 0;
  const work = (async () => {
    for await (const entry of extract) {
      const h = entry.header;
      const rel = safeEntryName(rebaseName(h.name.replace(/\/+$/, '') || h.name, o.rename));
      // With a rename, every entry must live under the new name (a server cannot add siblings).
      if (o.rename && rel !== o.rename.to && !rel.startsWith(`${o.rename.to}/`)) throw new CliError(`refusing to extract "${h.name}": not under ${o.rename.to}`);
      const target = rel ? join(root, rel) : root;
      if (!target.startsWith(root + sep) && target !== root) throw new CliError(`refusing to extract "${h.name}": path escapes the destination`);
      await assertNoSymlinkParents(root, rel);
      const existing = await lstat(target).catch(() => undefined);
      const mode = (h.mode ?? 0o644) & 0o7777;
      switch (h.type) {
        case 'directory':
          if (existing && !existing.isDirectory()) await rm(target, { force: true });
          await mkdir(target, { recursive: true });
          await chmod(target, mode);
          if (h.mtime) dirTimes.push([target, h.mtime]);
          entry.resume();
          break;
        case 'file':
        case 'contiguous-file': {
          if (existing?.isDirectory()) throw new CliError(`cannot overwrite directory "${target}" with non-directory`);
          if (existing) await unlink(target);
          await mkdir(dirname(target), { recursive: true });
          await pipeline(entry, createWriteStream(target, { mode, flags: 'wx' }));
          await chmod(target, mode);
          bytes += h.size ?? 0;
          if (h.mtime) await utimes(target, h.mtime, h.mtime);
          break;
        }
        case 'symlink': {
          // A symlink is created as it is (docker's cp keeps `/bin/sh -> /bin/busybox`), but it is
          // never followed: later entries may not go through it and files replace it, not write via it.
          const linkname = h.linkname ?? '';
          if (existing?.isDirectory()) throw new CliError(`cannot overwrite directory "${target}" with non-directory`);
          if (existing) await unlink(target);
          await mkdir(dirname(target), { recursive: true });
          await symlink(linkname, target);
          if (h.mtime) await lutimes(target, h.mtime, h.mtime).catch(() => undefined);
          entry.resume();
          break;
        }
        case 'link': {
          const linkRel = safeEntryName(rebaseName(h.linkname ?? '', o.rename));
          if (!linkStaysInside(rel, linkRel, true)) throw new CliError(`refusing to extract "${h.name}": hard link points outside the destination`);
          await assertNoSymlinkParents(root, linkRel);
          if (existing) await unlink(target);
          await link(join(root, linkRel), target);
          entry.resume();
          break;
        }
        default:
          // Devices and fifos need privileges the CLI should not assume: skip them.
          entry.resume();
          continue;
      }
      if (o.keepOwner && isRoot && h.uid !== undefined && h.gid !== undefined) await lchown(target, h.uid, h.gid);
    }
  })();
  try {
    await Promise.all([pipeline(input, extract), work]);
  } catch (err) {
    input.destroy();
    extract.destroy();
    throw err;
  }
  // Directory times last: writing into a directory changes its mtime.
  for (const [dir, time] of dirTimes.reverse()) await utimes(dir, time, time).catch(() => undefined);
  return bytes;
}
