/** Shared helpers for the store tests: building tars in memory and describing trees. */
import { createHash } from 'node:crypto';
import { lstat, mkdtemp, readFile, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { unmountRootfs } from '../../src/store/snapshots/rootfs.js';

export interface TarEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
  content?: string;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  devmajor?: number;
  devminor?: number;
  xattrs?: Record<string, string>;
}

/** Builds an uncompressed tar in memory (test layers are tiny). */
export async function makeTar(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header = {
      name: e.name,
      type,
      mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      mtime: e.mtime ?? new Date(1_600_000_000_000),
      linkname: e.linkname,
      devmajor: e.devmajor,
      devminor: e.devminor,
      pax: e.xattrs ? Object.fromEntries(Object.entries(e.xattrs).map(([k, v]) => [`SCHILY.xattr.${k}`, v])) : undefined,
    };
    await new Promise<void>((resolve, reject) => {
      pack.entry(header, Buffer.from(type === 'file' ? (e.content ?? '') : ''), (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  await collected;
  return Buffer.concat(chunks);
}

export function streamOf(buf: Buffer): Readable {
  return Readable.from([buf]);
}

export async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * One line per path: type, mode, owner and content (files) or target (symlinks), plus a
 * hard-link group tag so that shared inodes show up. Directory and file mtimes are left out.
 */
export async function describeTree(root: string): Promise<string[]> {
  const lines: string[] = [];
  const inodeGroups = new Map<number, string>();
  async function walk(dir: string, prefix: string): Promise<void> {
    for (const name of (await readdir(dir)).sort()) {
      const p = join(dir, name);
      const rel = prefix + name;
      const st = await lstat(p);
      const mode = (st.mode & 0o7777).toString(8);
      const own = `${st.uid}:${st.gid}`;
      if (st.isDirectory()) {
        lines.push(`${rel}/ dir ${mode} ${own}`);
        await walk(p, `${rel}/`);
      } else if (st.isSymbolicLink()) {
        lines.push(`${rel} symlink ${own} -> ${await readlink(p)}`);
      } else if (st.isFile()) {
        const hash = createHash('sha256').update(await readFile(p)).digest('hex').slice(0, 12);
        let group = '';
        if (st.nlink > 1) {
          if (!inodeGroups.has(st.ino)) inodeGroups.set(st.ino, rel);
          group = ` link-group=${inodeGroups.get(st.ino)}`;
        }
        lines.push(`${rel} file ${mode} ${own} ${hash}${group}`);
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        lines.push(`${rel} ${st.isCharacterDevice() ? 'char' : 'block'} ${mode} ${own} ${st.rdev}`);
      } else if (st.isFIFO()) {
        lines.push(`${rel} fifo ${mode} ${own}`);
      }
    }
  }
  await walk(root, '');
  return lines;
}

/** Temporary directories and mounts that are removed in `after`, whatever happened. */
export class Scratch {
  private readonly dirs: string[] = [];
  private readonly mounts: string[] = [];

  async dir(prefix = 'berth-store-test-'): Promise<string> {
    const d = await mkdtemp(join(tmpdir(), prefix));
    this.dirs.push(d);
    return d;
  }

  /** Remember a mount point so cleanup unmounts it first. */
  mounted(target: string): void {
    this.mounts.push(target);
  }

  async cleanup(): Promise<void> {
    for (const m of this.mounts.reverse()) await unmountRootfs(m).catch(() => {});
    for (const d of this.dirs) await rm(d, { recursive: true, force: true });
  }
}
