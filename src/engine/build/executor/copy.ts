/**
 * COPY and ADD, performed directly on a mounted rootfs (no container): source matching,
 * Docker's destination rules, ownership (--chown), permissions (--chmod), --exclude, heredoc
 * sources and ADD's extraction of local tar archives.
 *
 * Destination rules (as Docker): a directory source copies its *contents*; a file source lands
 * at `dest` unless dest ends with `/` or is an existing directory, then at `dest/<name>`; more
 * than one source needs a dest ending with `/`. Every path written is resolved inside the rootfs
 * (symlinks in the image never lead outside), and an existing symlink at a file's place is
 * replaced, never written through.
 */
import { spawn } from 'node:child_process';
import { chmodSync, constants as fsc, copyFileSync, createReadStream, lchownSync, lstatSync, utimesSync, type Stats } from 'node:fs';
import { chmod, copyFile, lchown, lstat, lutimes, mkdir, open, readdir, readlink, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InvalidParameterError } from '../../../util/errors.js';
import { unpackLayer } from '../../../store/layers/unpack.js';
import { DockerignoreMatcher } from '../context/dockerignore.js';
import type { InlineFile } from '../dockerfile/instructions.js';
import { expandSourcePattern, hasGlob, resolveInRoot } from './scoped-fs.js';

/**
 * The per-file system calls of a copy. Small files take the synchronous calls: on a COPY of
 * many small files the thread pool's round trips cost more than the calls themselves (a
 * third of a 300-file COPY here), and a batch of them blocks the event loop for a few ms at
 * most (inBatches yields between batches). Large files stay off the main thread.
 */
interface FileOps {
  copyFile(src: string, dst: string, mode: number): Promise<void>;
  lchown(path: string, uid: number, gid: number): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  utimes(path: string, atime: Date, mtime: Date): Promise<void>;
}
const threadPoolOps: FileOps = { copyFile, lchown, chmod, utimes };
const inlineOps: FileOps = {
  copyFile: async (src, dst, mode) => copyFileSync(src, dst, mode),
  lchown: async (path, uid, gid) => lchownSync(path, uid, gid),
  chmod: async (path, mode) => chmodSync(path, mode),
  utimes: async (path, atime, mtime) => utimesSync(path, atime, mtime),
};
const SMALL_FILE_BYTES = 64 * 1024;

export interface Ownership {
  uid: number;
  gid: number;
}

export interface CopyRequest {
  kind: 'COPY' | 'ADD';
  /** Host directory the sources are relative to (the context, or a mounted image/stage). */
  sourceRoot: string;
  /** Whether sourceRoot is the build context (for error messages). */
  fromContext: boolean;
  sources: string[];
  heredocs: InlineFile[];
  /** Absolute path in the image, as written after WORKDIR resolution (keeps a trailing `/`). */
  dest: string;
  owner?: Ownership;
  chmod?: number;
  excludes: string[];
  /** Files ADD downloaded, already on disk: [name, host path]. */
  downloads?: { name: string; path: string }[];
}

/** Context-relative matches of every source pattern; errors like Docker's when one matches nothing. */
export async function matchSources(req: Pick<CopyRequest, 'kind' | 'sourceRoot' | 'fromContext' | 'sources' | 'excludes'>): Promise<string[]> {
  const exclude = new DockerignoreMatcher(req.excludes);
  const out: string[] = [];
  for (const src of req.sources) {
    const matches = (await expandSourcePattern(req.sourceRoot, src)).filter((m) => m === '.' || !exclude.matches(m));
    if (matches.length === 0) {
      if (hasGlob(src)) throw new InvalidParameterError(`${req.kind} failed: no source files were specified`);
      const where = req.fromContext ? 'file not found in build context or excluded by .dockerignore' : 'file not found';
      throw new InvalidParameterError(`${req.kind} failed: ${where}: stat ${src}: file does not exist`);
    }
    out.push(...matches);
  }
  return out;
}

export async function performCopy(rootfs: string, req: CopyRequest): Promise<void> {
  const matches = await matchSources(req);
  const count = matches.length + req.heredocs.length + (req.downloads?.length ?? 0);
  const destSlash = req.dest.endsWith('/');
  if (count > 1 && !destSlash) {
    throw new InvalidParameterError(`When using ${req.kind} with more than one source file, the destination must be a directory and end with a /`);
  }
  const destPath = posix.normalize(req.dest);
  const destHost = await resolveInRoot(rootfs, destPath);
  const destIsDir = destSlash || (await lstat(destHost).catch(() => undefined))?.isDirectory() === true;
  const ctx = new CopyContext(rootfs, req.owner, req.chmod, new DockerignoreMatcher(req.excludes));

  for (const rel of matches) {
    const srcHost = rel === '.' ? req.sourceRoot : await resolveInRoot(req.sourceRoot, rel);
    const st = await lstat(srcHost);
    if (st.isDirectory()) {
      await ctx.ensureDir(destPath);
      await ctx.copyDirContents(srcHost, destPath, rel === '.' ? '' : rel);
      continue;
    }
    if (req.kind === 'ADD') {
      const archive = await archiveKind(srcHost);
      if (archive) {
        await ctx.ensureDir(destPath);
        await extractArchive(srcHost, archive, await resolveInRoot(rootfs, destPath));
        continue;
      }
    }
    const target = destIsDir ? posix.join(destPath, posix.basename(rel)) : destPath;
    await ctx.ensureDir(posix.dirname(target));
    await ctx.copyEntry(srcHost, st, target);
  }
  for (const doc of req.heredocs) {
    const target = destIsDir ? posix.join(destPath, doc.name) : destPath;
    await ctx.ensureDir(posix.dirname(target));
    await ctx.writeInline(target, doc.data);
  }
  for (const dl of req.downloads ?? []) {
    const target = destIsDir ? posix.join(destPath, dl.name) : destPath;
    await ctx.ensureDir(posix.dirname(target));
    const st = await lstat(dl.path);
    await ctx.copyEntry(dl.path, st, target, 0o600);
  }
}

class CopyContext {
  constructor(
    private readonly rootfs: string,
    private readonly owner: Ownership | undefined,
    private readonly chmodBits: number | undefined,
    private readonly exclude: DockerignoreMatcher,
  ) {}

  private uid(): number {
    return this.owner?.uid ?? 0;
  }
  private gid(): number {
    return this.owner?.gid ?? 0;
  }

  /** Per directory: whether what berthd (root) creates in it is already owned by 0:0. */
  private readonly rootOwnedDirs = new Map<string, Promise<boolean>>();

  /**
   * Gives a new entry the copy's owner. Without --chown the owner is 0:0, which a root
   * berthd's new files have already, unless a setgid directory hands down its group: then
   * (and with --chown) it is a chown. Saves a system call per file of a large COPY.
   */
  private async own(host: string, io: FileOps = threadPoolOps): Promise<void> {
    if (!this.owner && process.getuid?.() === 0 && process.getgid?.() === 0) {
      const dir = posix.dirname(host);
      let rootOwned = this.rootOwnedDirs.get(dir);
      if (!rootOwned) {
        rootOwned = lstat(dir).then((st) => (st.mode & 0o2000) === 0 || st.gid === 0, () => false);
        this.rootOwnedDirs.set(dir, rootOwned);
      }
      if (await rootOwned) return;
    }
    await io.lchown(host, this.uid(), this.gid());
  }

  /** mkdir -p inside the rootfs; directories it creates get the copy's owner. */
  async ensureDir(containerDir: string): Promise<string> {
    const parts = posix.normalize(containerDir).split('/').filter(Boolean);
    let current = '/';
    for (const part of parts) {
      current = posix.join(current, part);
      const host = await resolveInRoot(this.rootfs, current);
      const st = await lstat(host).catch(() => undefined);
      if (st?.isDirectory()) continue;
      if (st) await rm(host, { recursive: true, force: true });
      await mkdir(host, { mode: 0o755 });
      await chmod(host, 0o755);
      await lchown(host, this.uid(), this.gid());
    }
    return resolveInRoot(this.rootfs, containerDir);
  }

  async copyDirContents(srcDir: string, containerDir: string, relBase: string): Promise<void> {
    const names = (await readdir(srcDir)).sort();
    const dirs: { src: string; st: Stats; target: string; rel: string }[] = [];
    // The directory was just made or resolved inside the root: its entries go straight in.
    const hostDir = await resolveInRoot(this.rootfs, containerDir);
    await inBatches(names, 32, async (name) => {
      const rel = relBase === '' ? name : `${relBase}/${name}`;
      const relInSource = rel.slice(relBase === '' ? 0 : relBase.length + 1);
      if (this.exclude.patterns.length > 0 && this.exclude.matches(relInSource)) return;
      const src = posix.join(srcDir, name);
      const st = lstatSync(src);
      const target = posix.join(containerDir, name);
      if (st.isDirectory()) dirs.push({ src, st, target, rel });
      else await this.copyEntry(src, st, target, undefined, posix.join(hostDir, name));
    });
    for (const d of dirs) {
      const host = await this.makeDir(d.target, d.st);
      await this.copyDirContents(d.src, d.target, d.rel);
      await utimes(host, d.st.atime, d.st.mtime);
    }
  }

  private async makeDir(containerPath: string, st: Stats): Promise<string> {
    const host = await resolveInRoot(this.rootfs, containerPath);
    const existing = await lstat(host).catch(() => undefined);
    if (existing && !existing.isDirectory()) await rm(host, { recursive: true, force: true });
    if (!existing?.isDirectory()) await mkdir(host);
    await chmod(host, this.chmodBits ?? st.mode & 0o7777);
    await lchown(host, this.uid(), this.gid());
    return host;
  }

  /** One file or symlink (or device node, copied as an empty file is wrong: rejected). */
  /** `hostPath`: the entry's path on the host when the caller resolved its directory already. */
  async copyEntry(src: string, st: Stats, containerPath: string, defaultMode?: number, hostPath?: string): Promise<void> {
    if (st.isSymbolicLink()) {
      const host = hostPath ? await this.cleared(hostPath) : await this.replaceable(containerPath);
      await symlink(await readlink(src), host);
      await this.own(host);
      await lutimes(host, st.atime, st.mtime);
      return;
    }
    if (!st.isFile()) return; // sockets, fifos and devices are not copied (as Docker's context never has them)
    const io = st.size <= SMALL_FILE_BYTES ? inlineOps : threadPoolOps;
    // Most targets are new: try the exclusive copy first, clear the way only when it says EEXIST.
    let host = hostPath ?? (await this.replaceable(containerPath));
    try {
      await io.copyFile(src, host, fsc.COPYFILE_EXCL);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      host = await this.cleared(host);
      await io.copyFile(src, host, fsc.COPYFILE_EXCL);
    }
    await this.own(host, io);
    // copyFile gave the file the source's permission bits, but a chown above clears setuid
    // and setgid: those (and an explicit mode) are set afterwards.
    const mode = this.chmodBits ?? defaultMode ?? (st.mode & 0o6000 ? st.mode & 0o7777 : undefined);
    if (mode !== undefined) await io.chmod(host, mode);
    await io.utimes(host, st.atime, st.mtime);
  }

  async writeInline(containerPath: string, data: string): Promise<void> {
    const host = await this.replaceable(containerPath);
    const fh = await open(host, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o644);
    try {
      await fh.writeFile(data);
    } finally {
      await fh.close();
    }
    await chmod(host, this.chmodBits ?? 0o644);
    await lchown(host, this.uid(), this.gid());
  }

  /** The host path for a new entry at containerPath, with whatever was there removed. */
  private async replaceable(containerPath: string): Promise<string> {
    const parent = await resolveInRoot(this.rootfs, posix.dirname(containerPath));
    return this.cleared(posix.join(parent, posix.basename(containerPath)));
  }

  /** Removes whatever is at `host` (never following it). */
  private async cleared(host: string): Promise<string> {
    const existing = await lstat(host).catch(() => undefined);
    if (existing) await rm(host, { recursive: existing.isDirectory(), force: true });
    return host;
  }
}

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) {
    await Promise.all(items.slice(i, i + size).map(fn));
    // A batch of small files made only synchronous calls: let the event loop run.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export type ArchiveKind = 'tar' | 'gzip' | 'bzip2' | 'xz' | 'zstd';

/** Whether a file is a tar archive ADD should extract, and how it is compressed. */
export async function archiveKind(file: string): Promise<ArchiveKind | undefined> {
  const head = await readHead(createReadStream(file), 512);
  let kind: ArchiveKind;
  if (head[0] === 0x1f && head[1] === 0x8b) kind = 'gzip';
  else if (head.subarray(0, 3).toString('latin1') === 'BZh') kind = 'bzip2';
  else if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) kind = 'xz';
  else if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) kind = 'zstd';
  else return isTarHeader(head) ? 'tar' : undefined;
  const inner = await readHead(decompressed(file, kind), 512).catch(() => Buffer.alloc(0));
  return isTarHeader(inner) ? kind : undefined;
}

function isTarHeader(block: Buffer): boolean {
  return block.length >= 262 && block.subarray(257, 262).toString('latin1') === 'ustar';
}

async function readHead(stream: Readable, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= n) break;
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).subarray(0, n);
}

/** The archive's tar stream: gzip in-process, the others through the system's decompressors. */
function decompressed(file: string, kind: ArchiveKind): Readable {
  if (kind === 'tar') return createReadStream(file);
  if (kind === 'gzip') return createReadStream(file).pipe(createGunzip());
  const cmd = kind === 'bzip2' ? 'bzip2' : kind === 'xz' ? 'xz' : 'zstd';
  const child = spawn(cmd, ['-dc', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = new PassThrough();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.pipe(out, { end: false });
  child.on('error', (err) => out.destroy(new InvalidParameterError(`cannot extract ${posix.basename(file)}: ${cmd}: ${err.message}`)));
  child.on('close', (code) => {
    if (code === 0) out.end();
    else out.destroy(new InvalidParameterError(`cannot extract ${posix.basename(file)}: ${cmd} exited with ${code}: ${stderr.trim()}`));
  });
  out.on('close', () => child.kill());
  return out;
}

async function extractArchive(file: string, kind: ArchiveKind, hostDir: string): Promise<void> {
  await unpackLayer(decompressed(file, kind), { target: hostDir, mode: 'plain' });
}

/** ADD <url>: downloads into `dir`; the file name comes from the URL path. */
export async function download(url: string, dir: string): Promise<{ name: string; path: string }> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow' });
  } catch (err) {
    throw new InvalidParameterError(`ADD failed: cannot download ${url}: ${(err as Error).message}`);
  }
  if (!res.ok || !res.body) throw new InvalidParameterError(`ADD failed: cannot download ${url}: HTTP ${res.status}`);
  const name = posix.basename(new URL(url).pathname) || 'index.html';
  const path = posix.join(dir, `download-${Date.now()}-${name}`);
  const body = Buffer.from(await res.arrayBuffer());
  await writeFile(path, body, { mode: 0o600 });
  const modified = res.headers.get('last-modified');
  if (modified) {
    const t = new Date(modified);
    if (!Number.isNaN(t.getTime())) await utimes(path, t, t);
  }
  return { name, path };
}
