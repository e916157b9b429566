/**
 * Persistent directories for `RUN --mount=type=cache`, one per cache id under
 * `<data root>/build/cache-mounts`, kept across builds until `POST /build/prune`.
 *
 * Sharing modes, as BuildKit defines them:
 * - shared: every concurrent user gets the same directory;
 * - locked: one user at a time, the others wait;
 * - private: a concurrent user gets its own fresh directory (thrown away afterwards).
 */
import { createHash } from 'node:crypto';
import { chown, chmod, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { KeyedMutex } from '../../../util/rwlock.js';
import type { MountSharing } from '../dockerfile/mounts.js';

export interface CacheMountLease {
  path: string;
  release(): Promise<void>;
}

export class CacheMountManager {
  private readonly users = new Map<string, number>();
  private readonly locks = new KeyedMutex();

  constructor(readonly root: string) {}

  dirFor(id: string): string {
    return join(this.root, createHash('sha256').update(id).digest('hex').slice(0, 32));
  }

  async acquire(opts: { id: string; sharing: MountSharing; uid?: number; gid?: number; mode?: number }): Promise<CacheMountLease> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    const dir = this.dirFor(opts.id);
    const init = async (path: string): Promise<void> => {
      const created = await mkdir(path, { recursive: false, mode: 0o755 }).then(() => true, (err: NodeJS.ErrnoException) => {
        if (err.code === 'EEXIST') return false;
        throw err;
      });
      if (created) {
        await chmod(path, opts.mode ?? 0o755);
        await chown(path, opts.uid ?? 0, opts.gid ?? 0);
      }
    };
    if (opts.sharing === 'private' && (this.users.get(dir) ?? 0) > 0) {
      const tmp = await mkdtemp(`${dir}-private-`);
      await rm(tmp, { recursive: true });
      await init(tmp);
      return { path: tmp, release: () => rm(tmp, { recursive: true, force: true }) };
    }
    const unlock = opts.sharing === 'locked' ? await this.locks.acquire(dir) : () => {};
    try {
      await init(dir);
    } catch (err) {
      unlock(); // the next build waiting for this cache must not wait forever
      throw err;
    }
    this.users.set(dir, (this.users.get(dir) ?? 0) + 1);
    let released = false;
    return {
      path: dir,
      release: async () => {
        if (released) return;
        released = true;
        this.users.set(dir, (this.users.get(dir) ?? 1) - 1);
        unlock();
      },
    };
  }

  /** Removes every cache directory not in use; returns the bytes freed (apparent sizes). */
  async prune(): Promise<number> {
    let freed = 0;
    let names: string[];
    try {
      names = await readdir(this.root);
    } catch {
      return 0;
    }
    for (const name of names) {
      const dir = join(this.root, name);
      if ((this.users.get(dir) ?? 0) > 0) continue;
      freed += await treeSize(dir);
      await rm(dir, { recursive: true, force: true });
    }
    return freed;
  }
}

async function treeSize(path: string): Promise<number> {
  const st = await stat(path).catch(() => undefined);
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const name of await readdir(path)) total += await treeSize(join(path, name));
  return total;
}
