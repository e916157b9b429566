/**
 * Docker's init layer: a committed snapshot between an image's layers and each container's
 * writable layer. It holds what the runtime mounts over (/etc/hosts, /etc/hostname,
 * /etc/resolv.conf, /dev/console, /proc, /sys, /dev/pts, /dev/shm), /.dockerenv (which scripts
 * test to know they run in a container) and /etc/mtab → /proc/mounts.
 *
 * Because these sit below the writable layer, the runtime never has to create its mount points
 * there: `docker diff` and `docker commit` do not see them, `docker export` does. Docker makes
 * one init layer per container; its content depends only on the image, so berth makes one per
 * image, on first use, and every container of the image shares it.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rmdir, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EXTRACT_LABEL } from '../../store/snapshots/overlay.js';
import { mountRootfs, unmountRootfs } from '../../store/snapshots/rootfs.js';
import type { Snapshotter } from '../../store/snapshots/types.js';

/** Marks a snapshot as an init layer: the GC keeps it while the image below it lives. */
export const INIT_LAYER_LABEL = 'berth.io/init-layer';

/** Docker's list (moby's initlayer.Setup): a directory, an empty file, or a symlink's target. */
const ENTRIES: ReadonlyArray<readonly [string, 'dir' | 'file' | { symlink: string }]> = [
  ['/dev/pts', 'dir'],
  ['/dev/shm', 'dir'],
  ['/proc', 'dir'],
  ['/sys', 'dir'],
  ['/.dockerenv', 'file'],
  ['/etc/resolv.conf', 'file'],
  ['/etc/hosts', 'file'],
  ['/etc/hostname', 'file'],
  ['/dev/console', 'file'],
  ['/etc/mtab', { symlink: '/proc/mounts' }],
];

const MODE = 0o755;

export function initLayerKey(imageTop: string | undefined): string {
  return `init:${imageTop ?? 'scratch'}`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Makes a missing directory and its missing parents, each 0755 whatever the umask. */
async function makeDirs(path: string): Promise<void> {
  if (await exists(path)) return;
  await makeDirs(dirname(path));
  await mkdir(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  await chmod(path, MODE);
}

/**
 * Docker's steps on the merged root: every file or symlink on the way to an entry is unlinked
 * (so the image's own /etc/hosts or a symlinked /etc/mtab is replaced), and what is then missing
 * is made. Directories the image has are kept.
 */
export async function populateInitLayer(root: string): Promise<void> {
  for (const [path, kind] of ENTRIES) {
    const parts = path.split('/').slice(1);
    for (let i = 1; i <= parts.length; i++) await unlink(join(root, ...parts.slice(0, i))).catch(() => undefined);
    const target = join(root, path);
    if (await exists(target)) continue;
    await makeDirs(dirname(target));
    if (kind === 'dir') await makeDirs(target);
    else if (kind === 'file') {
      await writeFile(target, '', { flag: 'wx' });
      await chmod(target, MODE);
    } else await symlink(kind.symlink, target);
  }
}

export class InitLayers {
  /** Init layers being made, by key: containers of one image created at once wait for one. */
  private readonly making = new Map<string, Promise<string>>();

  /** `mountDir`: where the layer is mounted for a moment while it is made. */
  constructor(
    private readonly snapshots: Pick<Snapshotter, 'stat' | 'prepare' | 'mounts' | 'commit' | 'remove'>,
    private readonly mountDir: string,
  ) {}

  /** The key of the init layer over the image snapshot `imageTop` (none: an image without layers). */
  async for(imageTop: string | undefined): Promise<string> {
    const key = initLayerKey(imageTop);
    if (this.snapshots.stat(key)?.kind === 'committed') return key;
    let pending = this.making.get(key);
    if (!pending) {
      pending = this.make(key, imageTop).finally(() => this.making.delete(key));
      this.making.set(key, pending);
    }
    return pending;
  }

  private async make(key: string, imageTop: string | undefined): Promise<string> {
    const suffix = randomBytes(4).toString('hex');
    const active = `${key}.making-${suffix}`;
    const target = join(this.mountDir, `init-${suffix}`);
    // The extract label has the daemon's start-up clean-up remove it if we die half-way.
    const mounts = await this.snapshots.prepare(active, imageTop, { labels: { [EXTRACT_LABEL]: 'init', [INIT_LAYER_LABEL]: 'true' } });
    try {
      await mkdir(target, { recursive: true });
      await mountRootfs(mounts, target);
      try {
        await populateInitLayer(target);
      } finally {
        await unmountRootfs(target);
        await rmdir(target).catch(() => undefined);
      }
      await this.snapshots.commit(key, active);
    } catch (err) {
      await this.snapshots.remove(active).catch(() => undefined);
      throw err;
    }
    return key;
  }
}
