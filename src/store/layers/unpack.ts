/**
 * Applies an OCI/Docker layer tar onto a directory.
 *
 * Two targets:
 * - 'overlay': the directory is the (empty) upper dir of a new snapshot whose lower dirs hold the
 *   layers below. Whiteouts are written the way overlayfs reads them (a 0/0 char device for a
 *   deleted path, trusted.overlay.opaque=y for an opaque dir), so the snapshot can be used as a
 *   lower dir as is. Lower dirs are only read: to copy up a hard-link target and to give
 *   implicitly created parent directories the attributes they have below.
 * - 'plain': the directory holds the merged tree; whiteouts delete, opaque markers empty.
 *
 * Safety: every path is resolved one component at a time with lstat from the root, and a
 * component that is a symlink (in the upper dir or, for overlay, in the merged view below) fails
 * the whole apply. Files are created with O_NOFOLLOW|O_EXCL after removing what was there, so no
 * write ever goes through a link. Symlinks themselves may point anywhere: they are only stored.
 */
import { createHash, type Hash } from 'node:crypto';
import { constants as fsc, type Stats } from 'node:fs';
import { chmod, copyFile, link, lchown, lstat, lutimes, mkdir, open, readdir, readlink, rm, symlink, unlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Transform, pipeline as pipelineCb, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import type { Digest } from '../../util/digest.js';
import { InvalidParameterError, SystemError, isBerthError, errorMessage } from '../../util/errors.js';
import { log } from '../../util/log.js';
import { decompress, type Compression } from './decompress.js';
import { MknodPermissionError, inUserNamespace, mknod, type NodeKind } from './mknod.js';
import { OPAQUE_MARKER, WHITEOUT_META_PREFIX, WHITEOUT_PREFIX, normalizeEntryName } from './paths.js';
import { OPAQUE_XATTR, OVERLAY_XATTR_PREFIX, isOpaqueDir, readXattrs, setXattr } from './xattr.js';

export type ApplyMode = 'overlay' | 'plain';

export interface UnpackOptions {
  /** The directory to write into. */
  target: string;
  mode: ApplyMode;
  /** overlay mode: the fs dirs of the layers below, top first. */
  lowerDirs?: string[];
  /**
   * plain mode: where another filesystem is mounted below the target (docker cp into a
   * container with volumes). Given a path relative to the target, returns the host directory
   * mounted there (entries below it are written into it), undefined for an ordinary path, or
   * throws when nothing may be written there (a read-only mount).
   */
  mountPoint?: (rel: string) => string | undefined;
  /** plain mode: the owner of every entry, in place of the tar's (`docker cp -a` into a container with a user). */
  owner?: { uid: number; gid: number };
  /**
   * The digest the caller checks these exact bytes against on its own (a pull stores the blob
   * while it is unpacked). An uncompressed layer is then not hashed here at all; a compressed
   * one still is, since its diff ID is the digest of other bytes.
   */
  externallyVerified?: Digest;
}

export interface UnpackResult {
  /** sha256 of the uncompressed tar: the layer's diff ID. */
  diffId: Digest;
  /** sha256 of the bytes as read (equal to diffId for an uncompressed layer). */
  compressedDigest: Digest;
  /** Uncompressed size in bytes. */
  size: number;
  compression: Compression;
}

/** tar-stream's header with the PAX records it decoded (its types leave them `unknown`). */
type TarHeader = Omit<Partial<tar.Header>, 'pax'> & { name: string; pax?: Record<string, string> | null };

const XATTR_PAX_PREFIX = 'SCHILY.xattr.';

/** A pass-through that hashes and counts what flows by. */
function hashingTap(hash: Hash, onBytes: (n: number) => void = () => {}): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      onBytes(chunk.length);
      cb(null, chunk);
    },
  });
}

/** A pass-through that only counts. */
function countingTap(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      onBytes(chunk.length);
      cb(null, chunk);
    },
  });
}

/** What the writer needs of a tar entry body (tar-stream's streamx readable). */
interface EntryBody extends AsyncIterable<Buffer> {
  resume(): unknown;
}

/** Unpacks a (possibly compressed) layer stream onto `opts.target`; see the module comment. */
export async function unpackLayer(input: Readable, opts: UnpackOptions): Promise<UnpackResult> {
  let size = 0;
  // Hashing costs about a second per GiB, so each byte is hashed at most once: an uncompressed
  // layer's diff ID is the digest of the bytes read, and a digest the caller verifies anyway
  // is not computed twice.
  const compressedHash = opts.externallyVerified ? undefined : createHash('sha256');
  const raw = compressedHash ? pipelineCb(input, hashingTap(compressedHash), () => {}) : input;
  const { stream, compression } = await decompress(raw);
  const diffHash = compression === 'none' ? undefined : createHash('sha256');
  const counted = diffHash ? hashingTap(diffHash, (n) => (size += n)) : countingTap((n) => (size += n));
  const extract = tar.extract();
  const flowing = pipeline(stream, counted, extract as unknown as NodeJS.WritableStream);
  flowing.catch(() => {}); // observed below; avoid an unhandled rejection while entries are applied
  const writer = new LayerWriter(opts);
  try {
    for await (const entry of extract) {
      await writer.apply(entry.header as TarHeader, entry as unknown as EntryBody);
    }
    await flowing;
    await writer.finish();
  } catch (err) {
    input.destroy();
    extract.destroy();
    await flowing.catch(() => {});
    if (isBerthError(err)) throw err;
    throw new InvalidParameterError(`cannot apply layer: ${errorMessage(err)}`, { cause: err });
  }
  const compressedDigest: Digest = compressedHash ? `sha256:${compressedHash.digest('hex')}` : opts.externallyVerified!;
  return {
    diffId: diffHash ? `sha256:${diffHash.digest('hex')}` : compressedDigest,
    compressedDigest,
    size,
    compression,
  };
}

interface DirState {
  /** Real path of the directory inside the target. */
  real: string;
  /** overlay: lower roots in which this directory exists and is visible (top first). */
  lowers: string[];
  /** True when the directory is only in the lowers (looked up without creating). */
  missing: boolean;
}

function isWhiteoutDevice(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await lstat(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
}

function parentOf(rel: string): string {
  const d = posix.dirname(rel);
  return d === '.' ? '' : d;
}

class LayerWriter {
  private readonly root: string;
  private readonly overlay: boolean;
  private readonly lowers: string[];
  private readonly mountPoint: (rel: string) => string | undefined;
  private readonly owner?: { uid: number; gid: number };
  private readonly dirs = new Map<string, DirState>();
  /** plain mode: paths this layer wrote (and their ancestors), which an opaque marker keeps. */
  private readonly touched = new Set<string>();
  private readonly dirTimes: Array<{ path: string; mtime: Date }> = [];
  private skippedDevices = 0;

  constructor(opts: UnpackOptions) {
    this.root = opts.target;
    this.overlay = opts.mode === 'overlay';
    this.lowers = this.overlay ? (opts.lowerDirs ?? []) : [];
    this.mountPoint = opts.mountPoint ?? (() => undefined);
    if (!this.overlay && opts.owner) this.owner = opts.owner;
  }

  private ownerOf(header: TarHeader): { uid: number; gid: number } {
    return this.owner ?? { uid: header.uid ?? 0, gid: header.gid ?? 0 };
  }

  async apply(header: TarHeader, body: EntryBody): Promise<void> {
    const name = header.name;
    try {
      await this.applyEntry(header, body);
    } catch (err) {
      body.resume();
      if (isBerthError(err)) throw err;
      throw new SystemError(`applying layer entry ${JSON.stringify(name)}: ${errorMessage(err)}`, { cause: err });
    }
  }

  async finish(): Promise<void> {
    // Directory mtimes last: creating children would bump them.
    for (const { path, mtime } of this.dirTimes.reverse()) {
      await lutimes(path, mtime, mtime).catch(() => {});
    }
    if (this.skippedDevices > 0) log.warn('device nodes skipped: not permitted in a user namespace', { count: this.skippedDevices });
  }

  private async applyEntry(header: TarHeader, body: EntryBody): Promise<void> {
    const entryName = header.name;
    const rel = normalizeEntryName(entryName);
    const base = posix.basename(rel);
    const parentRel = parentOf(rel);
    const type = header.type ?? 'file';

    if (rel !== '' && base.startsWith(WHITEOUT_PREFIX)) {
      body.resume();
      return this.applyWhiteout(entryName, parentRel, base);
    }
    if (rel === '') {
      body.resume();
      if (type !== 'directory') throw new InvalidParameterError(`layer entry ${JSON.stringify(entryName)}: the root must be a directory`);
      await this.setAttributes(this.root, header, { isDir: true });
      return;
    }

    if (this.mountPoint(rel) !== undefined) {
      // A mount point stays: a directory entry only gives the mount's top its attributes.
      body.resume();
      if (type !== 'directory') throw new InvalidParameterError(`cannot replace ${JSON.stringify(rel)} with the ${type} of entry ${JSON.stringify(entryName)}: it is a mount point`);
      const dir = await this.resolveDir(rel, entryName, true);
      this.markTouched(rel);
      await this.setAttributes(dir.real, header, { isDir: true });
      return;
    }

    const parent = await this.resolveDir(parentRel, entryName, true);
    const path = join(parent.real, base);
    this.markTouched(rel);

    switch (type) {
      case 'file':
      case 'contiguous-file':
        await this.removeExisting(path, rel);
        await this.writeFile(path, header, body);
        return;
      case 'directory': {
        body.resume();
        const existing = await lstatOrUndefined(path);
        if (existing && !existing.isDirectory()) await this.removeExisting(path, rel);
        if (!existing || !existing.isDirectory()) await mkdir(path, { mode: 0o700 });
        await this.setAttributes(path, header, { isDir: true });
        return;
      }
      case 'symlink':
        body.resume();
        await this.removeExisting(path, rel);
        await symlink(header.linkname ?? '', path);
        await this.setAttributes(path, header, { isSymlink: true });
        return;
      case 'link': {
        body.resume();
        const target = await this.resolveLinkTarget(header.linkname ?? '', entryName);
        if (target === path) return;
        await this.removeExisting(path, rel);
        await link(target, path);
        return;
      }
      case 'character-device':
      case 'block-device':
      case 'fifo': {
        body.resume();
        await this.removeExisting(path, rel);
        const kind: NodeKind = type === 'fifo' ? 'fifo' : type === 'block-device' ? 'block' : 'char';
        if (!(await this.makeNode(path, kind, header.devmajor ?? 0, header.devminor ?? 0))) return;
        await this.setAttributes(path, header, {});
        return;
      }
      default:
        body.resume();
        log.debug('layer entry of unsupported type skipped', { entry: entryName, type });
    }
  }

  private async applyWhiteout(entryName: string, parentRel: string, base: string): Promise<void> {
    if (base === OPAQUE_MARKER) {
      const dir = await this.resolveDir(parentRel, entryName, true);
      if (this.overlay) setXattr(dir.real, OPAQUE_XATTR, 'y');
      else await this.emptyForOpaque(parentRel, dir.real);
      this.forgetDirs(parentRel);
      return;
    }
    if (base.startsWith(WHITEOUT_META_PREFIX)) return;
    const victim = base.slice(WHITEOUT_PREFIX.length);
    if (victim === '' || victim === '.' || victim === '..') {
      throw new InvalidParameterError(`layer entry ${JSON.stringify(entryName)} is an invalid whiteout`);
    }
    const dir = await this.resolveDir(parentRel, entryName, true);
    const path = join(dir.real, victim);
    const victimRel = parentRel === '' ? victim : `${parentRel}/${victim}`;
    if (this.mountPoint(victimRel) !== undefined) throw new InvalidParameterError(`layer entry ${JSON.stringify(entryName)} would delete ${JSON.stringify(victimRel)}, a mount point`);
    await this.removeExisting(path, victimRel);
    if (this.overlay) await this.makeNode(path, 'char', 0, 0);
  }

  /**
   * Returns the directory `rel`, checking every component with lstat from the root. With
   * `create`, missing directories are made (attributes copied from the layer below, else 0755).
   */
  private async resolveDir(rel: string, entryName: string, create: boolean): Promise<DirState> {
    if (rel === '') return { real: this.root, lowers: this.lowers, missing: false };
    const cached = this.dirs.get(rel);
    if (cached) return cached;
    const parent = await this.resolveDir(parentOf(rel), entryName, create);
    const mounted = this.mountPoint(rel);
    if (mounted !== undefined) {
      const st = await lstatOrUndefined(mounted);
      if (!st?.isDirectory()) throw notADirectory(entryName, rel);
      const state: DirState = { real: mounted, lowers: [], missing: false };
      this.dirs.set(rel, state);
      return state;
    }
    const path = join(parent.real, posix.basename(rel));

    // What the layers below show at this path (overlay only).
    const visibleLowers: string[] = [];
    let lowerDir: Stats | undefined;
    let lowerOther: Stats | undefined;
    for (const lower of parent.lowers) {
      const lowerPath = join(lower, rel);
      const st = await lstatOrUndefined(lowerPath);
      if (!st) continue;
      if (isWhiteoutDevice(st)) break;
      if (st.isDirectory()) {
        lowerDir ??= st;
        visibleLowers.push(lower);
        if (isOpaqueDir(lowerPath)) break;
        continue;
      }
      if (!lowerDir) lowerOther = st;
      break;
    }

    const st = parent.missing ? undefined : await lstatOrUndefined(path);
    let state: DirState;
    if (st) {
      if (st.isSymbolicLink()) throw throughSymlink(entryName, rel);
      if (!st.isDirectory()) throw notADirectory(entryName, rel);
      state = { real: path, lowers: isOpaqueDir(path) ? [] : visibleLowers, missing: false };
    } else {
      if (lowerOther?.isSymbolicLink()) throw throughSymlink(entryName, rel);
      if (lowerOther) throw notADirectory(entryName, rel);
      if (!create) return { real: path, lowers: visibleLowers, missing: true };
      await mkdir(path, { mode: 0o700 });
      if (lowerDir) {
        await lchown(path, lowerDir.uid, lowerDir.gid);
        await chmod(path, lowerDir.mode & 0o7777);
        this.dirTimes.push({ path, mtime: lowerDir.mtime });
      } else {
        await chmod(path, 0o755);
      }
      this.markTouched(rel);
      state = { real: path, lowers: visibleLowers, missing: false };
    }
    this.dirs.set(rel, state);
    return state;
  }

  /** Finds (and for overlay, copies up) the file a hard link entry points to. */
  private async resolveLinkTarget(linkname: string, entryName: string): Promise<string> {
    let rel: string;
    try {
      rel = normalizeEntryName(linkname, 'hard link target');
    } catch {
      throw new InvalidParameterError(`layer entry ${JSON.stringify(entryName)} is a hard link to ${JSON.stringify(linkname)}, outside the layer root`);
    }
    const invalid = (why: string) => new InvalidParameterError(`layer entry ${JSON.stringify(entryName)} is a hard link to ${JSON.stringify(linkname)}, ${why}`);
    if (rel === '') throw invalid('a directory');
    const parent = await this.resolveDir(parentOf(rel), entryName, false);
    const path = join(parent.real, posix.basename(rel));
    const st = parent.missing ? undefined : await lstatOrUndefined(path);
    if (st) {
      if (st.isDirectory()) throw invalid('a directory');
      if (this.overlay && isWhiteoutDevice(st)) throw invalid('which this layer deleted');
      return path;
    }
    for (const lower of parent.lowers) {
      const lowerPath = join(lower, rel);
      const lst = await lstatOrUndefined(lowerPath);
      if (!lst) continue;
      if (isWhiteoutDevice(lst)) break;
      if (lst.isDirectory()) throw invalid('a directory');
      const dir = await this.resolveDir(parentOf(rel), entryName, true);
      const upperPath = join(dir.real, posix.basename(rel));
      await copyUp(lowerPath, upperPath, lst);
      return upperPath;
    }
    throw invalid('which is not in the layer or below it');
  }

  private async writeFile(path: string, header: TarHeader, body: EntryBody): Promise<void> {
    const fh = await open(path, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
    try {
      for await (const chunk of body) {
        for (let off = 0; off < chunk.length; ) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
      }
      const { uid, gid } = this.ownerOf(header);
      await fh.chown(uid, gid);
      await fh.chmod((header.mode ?? 0o644) & 0o7777);
      this.setXattrs(path, header);
      const mtime = header.mtime ?? new Date(0);
      await fh.utimes(mtime, mtime);
    } finally {
      await fh.close();
    }
  }

  /** chown before chmod (chown clears setuid), xattrs after chown (it drops security.capability). */
  private async setAttributes(path: string, header: TarHeader, kind: { isDir?: boolean; isSymlink?: boolean }): Promise<void> {
    const { uid, gid } = this.ownerOf(header);
    await lchown(path, uid, gid);
    if (!kind.isSymlink) await chmod(path, (header.mode ?? (kind.isDir ? 0o755 : 0o644)) & 0o7777);
    this.setXattrs(path, header);
    const mtime = header.mtime ?? new Date(0);
    if (kind.isDir) this.dirTimes.push({ path, mtime });
    else await lutimes(path, mtime, mtime);
  }

  private setXattrs(path: string, header: TarHeader): void {
    if (!header.pax) return;
    for (const [key, value] of Object.entries(header.pax)) {
      if (!key.startsWith(XATTR_PAX_PREFIX)) continue;
      const name = key.slice(XATTR_PAX_PREFIX.length);
      if (name.startsWith(OVERLAY_XATTR_PREFIX)) continue;
      try {
        setXattr(path, name, value);
      } catch (err) {
        throw new SystemError(`setting xattr ${name} on layer entry ${JSON.stringify(header.name)}: ${errorMessage(err)}`, { cause: err });
      }
    }
  }

  /** Creates a device node or fifo; false when the kernel forbids it here (user namespace). */
  private async makeNode(path: string, kind: NodeKind, major: number, minor: number): Promise<boolean> {
    try {
      await mknod(path, kind, major, minor);
      return true;
    } catch (err) {
      if (err instanceof MknodPermissionError && inUserNamespace()) {
        this.skippedDevices++;
        return false;
      }
      throw err;
    }
  }

  /** Removes whatever is at `path` (a whole tree for a directory). */
  private async removeExisting(path: string, rel: string): Promise<void> {
    const st = await lstatOrUndefined(path);
    if (!st) return;
    if (st.isDirectory()) {
      await rm(path, { recursive: true, force: true });
      this.forgetDirs(rel);
    } else {
      await unlink(path);
    }
  }

  /** plain mode: an opaque marker hides everything below the directory this layer did not write. */
  private async emptyForOpaque(dirRel: string, dirPath: string): Promise<void> {
    for (const name of await readdir(dirPath)) {
      const childRel = dirRel === '' ? name : `${dirRel}/${name}`;
      const childPath = join(dirPath, name);
      if (!this.touched.has(childRel)) {
        await rm(childPath, { recursive: true, force: true });
        continue;
      }
      const st = await lstat(childPath);
      if (st.isDirectory()) await this.emptyForOpaque(childRel, childPath);
    }
  }

  private markTouched(rel: string): void {
    if (this.overlay) return;
    for (let r = rel; r !== '' && !this.touched.has(r); r = parentOf(r)) this.touched.add(r);
  }

  private forgetDirs(rel: string): void {
    for (const key of this.dirs.keys()) {
      if (rel === '' || key === rel || key.startsWith(`${rel}/`)) this.dirs.delete(key);
    }
  }
}

function throughSymlink(entryName: string, rel: string): InvalidParameterError {
  return new InvalidParameterError(`layer entry ${JSON.stringify(entryName)} would be written through the symlink ${JSON.stringify(rel)}`);
}

function notADirectory(entryName: string, rel: string): InvalidParameterError {
  return new InvalidParameterError(`layer entry ${JSON.stringify(entryName)}: ${JSON.stringify(rel)} is not a directory`);
}

/** Copies a non-directory from a lower layer into the upper dir, keeping its attributes. */
async function copyUp(src: string, dst: string, st: Stats): Promise<void> {
  if (st.isSymbolicLink()) {
    await symlink(await readlink(src), dst);
  } else if (st.isFile()) {
    await copyFile(src, dst, fsc.COPYFILE_EXCL);
  } else {
    throw new InvalidParameterError(`cannot copy up ${JSON.stringify(src)} for a hard link: only files and symlinks can be linked across layers`);
  }
  await lchown(dst, st.uid, st.gid);
  if (!st.isSymbolicLink()) await chmod(dst, st.mode & 0o7777);
  for (const [name, value] of readXattrs(src)) setXattr(dst, name, value);
  await lutimes(dst, st.mtime, st.mtime);
}
