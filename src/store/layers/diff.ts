/**
 * Reads an overlayfs upper directory back as an OCI layer (commit, build) and lists its changes
 * Docker-style (`docker diff`). The upper dir already is the diff: overlay copies up every
 * changed file with its parent directories, records deletions as 0/0 char devices and replaced
 * directories as opaque. We only translate those into the OCI whiteout forms.
 *
 * The tar is deterministic: entries in byte order of their paths, no user/group names, and with
 * `sourceDateEpoch` every timestamp clamped to it (reproducible builds).
 */
import type { Stats } from 'node:fs';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type * as tar from 'tar-stream';
import { tarPack } from '../../util/tar-pack.js';
import { OPAQUE_MARKER, WHITEOUT_PREFIX } from './paths.js';
import { isOpaqueDir, readXattrs } from './xattr.js';

export interface DiffOptions {
  /** Seconds since the epoch: no entry gets a later mtime (SOURCE_DATE_EPOCH). */
  sourceDateEpoch?: number;
}

/** Entries stat'ed (and small files read) ahead of the tar writer, and what counts as small. */
const PREFETCH = 64;
const SMALL_FILE = 256 * 1024;

type PackHeader = Omit<Partial<tar.Header>, 'pax'> & { name: string; pax?: Record<string, string> };

function isWhiteoutDevice(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/** Directory entries in byte order, so tars do not depend on locale or readdir order. */
async function sortedNames(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

function devNumbers(rdev: number): { devmajor: number; devminor: number } {
  // Linux's dev_t: major is bits 8-19 and 32-43, minor bits 0-7 and 20-31.
  const hi = Math.floor(rdev / 2 ** 32);
  const lo = rdev >>> 0;
  return { devmajor: ((lo >>> 8) & 0xfff) | ((hi & 0xfffff000) >>> 0), devminor: (lo & 0xff) | ((lo >>> 12) & 0xfff00) };
}

/** Produces the OCI layer tar of an overlay upper directory. */
export function diffUpperDir(upperDir: string, opts: DiffOptions = {}): Readable {
  const pack = tarPack();
  const clampMs = opts.sourceDateEpoch === undefined ? undefined : opts.sourceDateEpoch * 1000;
  const mtimeOf = (st: Stats) => new Date(clampMs === undefined ? st.mtimeMs : Math.min(st.mtimeMs, clampMs));
  const firstPathOfInode = new Map<string, string>();

  const add = (header: PackHeader, body?: Readable | Buffer): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (!body || Buffer.isBuffer(body)) {
        pack.entry(header, body ?? Buffer.alloc(0), done);
        return;
      }
      const sink = pack.entry(header, done);
      pipeline(body, sink as unknown as NodeJS.WritableStream).catch(reject);
    });

  const base = (st: Stats, name: string): PackHeader => {
    const header: PackHeader = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: mtimeOf(st), uname: '', gname: '' };
    return header;
  };

  const withXattrs = (header: PackHeader, path: string): PackHeader => {
    const xattrs = readXattrs(path);
    if (xattrs.length > 0) header.pax = Object.fromEntries(xattrs.map(([k, v]) => [`SCHILY.xattr.${k}`, v.toString('utf8')]));
    return header;
  };

  /**
   * A directory's entries with their stat, and the content of small files, fetched a batch at a
   * time ahead of the (strictly ordered) tar writer: one stream per file would cost far more
   * than the file when a layer holds many small ones.
   */
  async function* entries(dir: string): AsyncGenerator<{ name: string; path: string; st: Stats; data?: Buffer }> {
    const names = await sortedNames(dir);
    for (let i = 0; i < names.length; i += PREFETCH) {
      const batch = await Promise.all(
        names.slice(i, i + PREFETCH).map(async (name) => {
          const path = join(dir, name);
          const st = await lstat(path);
          const data = st.isFile() && st.size <= SMALL_FILE ? await readFile(path) : undefined;
          return { name, path, st, data };
        }),
      );
      yield* batch;
    }
  }

  async function walk(dir: string, prefix: string): Promise<void> {
    for await (const { name, path, st, data } of entries(dir)) {
      const rel = prefix + name;
      if (isWhiteoutDevice(st)) {
        await add({ ...base(st, prefix + WHITEOUT_PREFIX + name), mode: 0, uid: 0, gid: 0, type: 'file', size: 0 });
      } else if (st.isDirectory()) {
        await add(withXattrs({ ...base(st, rel), type: 'directory' }, path));
        if (isOpaqueDir(path)) await add({ ...base(st, `${rel}/${OPAQUE_MARKER}`), mode: 0, uid: 0, gid: 0, type: 'file', size: 0 });
        await walk(path, `${rel}/`);
      } else if (st.isSymbolicLink()) {
        await add(withXattrs({ ...base(st, rel), type: 'symlink', linkname: await readlink(path) }, path));
      } else if (st.isFile()) {
        const inode = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? firstPathOfInode.get(inode) : undefined;
        if (first !== undefined) {
          await add({ ...base(st, rel), type: 'link', linkname: first, size: 0 });
          continue;
        }
        if (st.nlink > 1) firstPathOfInode.set(inode, rel);
        if (data) await add(withXattrs({ ...base(st, rel), type: 'file', size: data.length }, path), data);
        else await add(withXattrs({ ...base(st, rel), type: 'file', size: st.size }, path), createReadStream(path));
      } else if (st.isCharacterDevice() || st.isBlockDevice() || st.isFIFO()) {
        const type = st.isFIFO() ? 'fifo' : st.isBlockDevice() ? 'block-device' : 'character-device';
        await add(withXattrs({ ...base(st, rel), type, ...devNumbers(st.rdev) }, path));
      }
      // Sockets are not part of a layer.
    }
  }

  walk(upperDir, '').then(
    () => pack.finalize(),
    (err: unknown) => pack.destroy(err instanceof Error ? err : new Error(String(err))),
  );
  // A plain Node stream for callers; tar-stream's own is a streamx stream.
  return Readable.from(pack, { objectMode: false });
}

/** Docker's change kinds, as `GET /containers/{id}/changes` returns them. */
export const ChangeKind = { Modified: 0, Added: 1, Deleted: 2 } as const;
export type ChangeKind = (typeof ChangeKind)[keyof typeof ChangeKind];

export interface Change {
  /** Absolute path inside the container: "/etc/hosts". */
  Path: string;
  Kind: ChangeKind;
}

/**
 * Lists what an upper dir changes relative to the layers below (top first): a path that shows
 * through from below is Modified, a new one Added, a whiteout Deleted. Sorted by path.
 */
export async function changes(upperDir: string, lowerDirs: string[]): Promise<Change[]> {
  const out: Change[] = [];
  async function existsBelow(rel: string, lowers: string[]): Promise<boolean> {
    for (const lower of lowers) {
      try {
        const st = await lstat(join(lower, rel));
        return !isWhiteoutDevice(st);
      } catch {
        // not in this layer; look further down
      }
    }
    return false;
  }
  async function walk(dir: string, prefix: string, lowers: string[]): Promise<void> {
    for (const name of await sortedNames(dir)) {
      const path = join(dir, name);
      const rel = prefix + name;
      const st = await lstat(path);
      if (isWhiteoutDevice(st)) {
        out.push({ Path: `/${rel}`, Kind: ChangeKind.Deleted });
        continue;
      }
      const below = await existsBelow(rel, lowers);
      out.push({ Path: `/${rel}`, Kind: below ? ChangeKind.Modified : ChangeKind.Added });
      if (st.isDirectory()) await walk(path, `${rel}/`, isOpaqueDir(path) ? [] : lowers);
    }
  }
  await walk(upperDir, '', lowerDirs);
  return out;
}
