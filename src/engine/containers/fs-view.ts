/**
 * A container's filesystem as its processes see it, reached from the host: the root
 * filesystem with the container's volumes, bind mounts and tmpfs mounts laid over it.
 * `docker cp` goes through this view (as Docker's does), so a path inside a volume reads and
 * writes the volume, not the directory that the volume hides in the rootfs.
 *
 * Nothing is mounted for it. The view maps a path inside the container to a host path with the
 * container's mount table: the mount with the deepest destination at or above the path holds
 * it (mounts stack that way, parents first), anything else is in the root.
 *
 * `resolveInView` walks a path one component at a time with lstat, resolving every symlink
 * (absolute or relative) the way the container would: an absolute link starts again at the
 * container's root, `..` never climbs above it, and `..` at the top of a mount goes to the
 * mount point's parent. So a link in a volume may lead to the rootfs or to another mount of
 * the container, never to the host. (As in Docker, a running container that swaps a checked
 * directory for a link between the check and the use is not defended against.)
 *
 * Where each kind of mount is found on the host:
 * - volume and bind: their source directory (a bind source is taken as mount(2) took it, links
 *   followed); a plugin volume that its driver has not mounted cannot be reached;
 * - tmpfs: it exists only in the running container's mount namespace, so it is reached through
 *   `/proc/<pid>/root<destination>`. A stopped container has no tmpfs content: a path in one
 *   is refused rather than read or written in the rootfs below it, where a copy would be
 *   hidden at the next start (Docker silently does that);
 * - /etc/hosts, /etc/hostname, /etc/resolv.conf: the files berth writes in the container's
 *   directory and bind-mounts (once the container has started).
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readlink, realpath, rmdir, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { mountRootfs, unmountRootfs } from '../../store/snapshots/rootfs.js';
import { BerthError, ConflictError, InvalidParameterError } from '../../util/errors.js';
import { KeyedMutex } from '../../util/rwlock.js';
import { etcPaths } from './etc-files.js';
import type { Container } from './model.js';
import { readMountRecord } from './mounts.js';
import type { ContainerService } from './service.js';

const MAX_SYMLINKS = 255;

/** One mount of the container, as the view reaches it. */
export interface ViewMount {
  /** Clean absolute path inside the container. */
  destination: string;
  /** Host path of the mount's top (a file for single-file binds). */
  source: string;
  rw: boolean;
  /** Why the mount cannot be reached now; set instead of a usable source. */
  unreachable?: string;
}

/** Writing where the container's rootfs is read-only (Docker's 403). */
export class ReadonlyRootfsError extends BerthError {
  constructor() {
    super(403, 'BERTH_FORBIDDEN', 'container rootfs is marked read-only');
  }
}

/** Writing into a read-only volume or bind mount (Docker's 400 and message, for binds too). */
export class ReadonlyMountError extends InvalidParameterError {
  constructor() {
    super('mounted volume is marked read-only');
  }
}

/** True when `inside` is `dir` or below it. */
function within(dir: string, inside: string): boolean {
  return inside === dir || dir === '/' || inside.startsWith(`${dir}/`);
}

export class ContainerView {
  constructor(
    /** Host path of the container's root filesystem. */
    readonly root: string,
    /** The mounts; at equal destinations a later one hides an earlier one. */
    readonly mounts: readonly ViewMount[],
    readonly readonlyRootfs = false,
  ) {}

  /** The mount holding `inside` (among those `pick` accepts), or undefined when it is in the root filesystem. */
  mountOf(inside: string, pick: (m: ViewMount) => boolean = () => true): ViewMount | undefined {
    let best: ViewMount | undefined;
    for (const m of this.mounts) if (within(m.destination, inside) && pick(m) && (!best || m.destination.length >= best.destination.length)) best = m;
    return best;
  }

  /**
   * The host path of a (resolved) path inside the container. The mount point of a mount that
   * cannot be reached is the directory it will be mounted on (as empty as the mount will be,
   * usually); what is below it cannot be reached.
   */
  hostPath(inside: string): string {
    const m = this.mountOf(inside, (m) => !(m.unreachable && m.destination === inside));
    if (!m) return join(this.root, inside);
    if (m.unreachable) throw new ConflictError(m.unreachable);
    return join(m.source, inside.slice(m.destination.length));
  }

  /**
   * The reachable mounts strictly below directory `inside`, by their path relative to it: what
   * an archive of that directory must take from elsewhere than the directory itself.
   */
  mountsBelow(inside: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const m of this.mounts) {
      if (m.destination === inside || !within(inside, m.destination)) continue;
      const rel = posix.relative(inside, m.destination);
      if (m.unreachable) out.delete(rel);
      else out.set(rel, m.source);
    }
    return out;
  }

  /** Throws Docker's error when a copy may not write at `inside`. */
  checkWritable(inside: string): void {
    const m = this.mountOf(inside);
    if (!m) {
      if (this.readonlyRootfs) throw new ReadonlyRootfsError();
      return;
    }
    if (m.unreachable) throw new ConflictError(m.unreachable);
    if (!m.rw) throw new ReadonlyMountError();
  }

  /**
   * Where a copy may write for `inside`, when it is exactly a mount point below the directory
   * being extracted into (so the files go into the mount); undefined for an ordinary path.
   */
  writableMountPoint(inside: string): string | undefined {
    const m = this.mountOf(inside);
    if (!m || m.destination !== inside) return undefined;
    this.checkWritable(inside);
    return m.source;
  }
}

export interface ResolvedPath {
  /** The resolved path inside the container (absolute, clean). */
  inside: string;
  /** The same path on the host (in the root or in a mount). */
  host: string;
}

/**
 * Resolves `path` in the view. Symlinks in every component but the last are followed; the
 * last is followed only with `followFinal`. Missing components are fine (the result just does
 * not exist), and the walk goes on past them: a mount may still lie below.
 */
export async function resolveInView(view: ContainerView, path: string, opts: { followFinal: boolean }): Promise<ResolvedPath> {
  let links = 0;
  const resolved: string[] = [];
  let pending = posix.normalize(`/${path}`).split('/').filter((p) => p !== '' && p !== '.');
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const isLast = pending.length === 0;
    const host = view.hostPath(`/${[...resolved, part].join('/')}`);
    const st = await lstat(host).catch(() => undefined);
    if (st?.isSymbolicLink() && (!isLast || opts.followFinal)) {
      if (++links > MAX_SYMLINKS) throw new InvalidParameterError(`too many levels of symbolic links in ${path}`);
      const target = await readlink(host);
      if (target.startsWith('/')) resolved.length = 0;
      pending = [...target.split('/').filter((p) => p !== '' && p !== '.'), ...pending];
      continue;
    }
    resolved.push(part);
  }
  const inside = `/${resolved.join('/')}`;
  return { inside, host: view.hostPath(inside) };
}

// ---------------------------------------------------------------- opening a container's filesystem

export interface ContainerRoot {
  path: string;
  release(): Promise<void>;
}

/** Serializes temporary mounts per container (two overlays on one upper dir must not coexist). */
const tempMounts = new KeyedMutex();

/** Resolves once no temporary mount of the container's snapshot is held (start mounts it for real). */
export function temporaryMountsReleased(id: string): Promise<void> {
  return tempMounts.idle(id);
}

/**
 * The merged root filesystem: the live mount of a running container, or a temporary mount of
 * the container's snapshot (released by the caller) for a stopped one.
 */
export async function openContainerRoot(service: ContainerService, c: Container): Promise<ContainerRoot> {
  if (await service.runsWithRootfs(c.id)) return { path: service.rootfsPath(c.id), release: async () => undefined };
  const cur = service.store.get(c.id) ?? c;
  const unlock = await tempMounts.acquire(c.id);
  const target = `${service.rootfsPath(c.id)}.files-${randomBytes(4).toString('hex')}`;
  // Safe to call again: nothing is mounted on the target any more, and unlock lets go once.
  const release = async () => {
    await unmountRootfs(target).catch(() => undefined);
    await rmdir(target).catch(() => undefined);
    unlock();
  };
  try {
    await mkdir(target, { recursive: true });
    await mountRootfs(service.deps.snapshots.mounts(cur.snapshotKey), target);
  } catch (err) {
    await release();
    throw err;
  }
  return { path: target, release };
}

export interface OpenedView {
  view: ContainerView;
  release(): Promise<void>;
}

/** The container's root (see openContainerRoot) with its mounts: what docker cp works on. */
export async function openContainerView(service: ContainerService, c: Container): Promise<OpenedView> {
  // The mounts of a container just created are recorded in the background.
  await service.deps.mountsSettled?.();
  const cur = service.store.get(c.id) ?? c;
  const root = await openContainerRoot(service, cur);
  try {
    const view = new ContainerView(root.path, await viewMounts(service, cur), cur.hostConfig.ReadonlyRootfs === true);
    return { view, release: () => root.release() };
  } catch (err) {
    await root.release();
    throw err;
  }
}

async function viewMounts(service: ContainerService, c: Container): Promise<ViewMount[]> {
  const running = c.state.Running && c.state.Pid > 0;
  const out: ViewMount[] = [];
  // The network files come first: a user mount at the same place replaces them (as in the spec).
  const etc = etcPaths(service.containerDir(c.id));
  for (const [destination, source] of [['/etc/resolv.conf', etc.resolvConf], ['/etc/hostname', etc.hostname], ['/etc/hosts', etc.hosts]] as const) {
    if (await isFile(source)) out.push({ destination, source, rw: c.hostConfig.ReadonlyRootfs !== true });
  }
  const tmpfs = (destination: string, rw: boolean): ViewMount =>
    running
      ? { destination, source: `/proc/${c.state.Pid}/root${destination}`, rw }
      : { destination, source: '', rw, unreachable: `${destination} is a tmpfs mount of container ${c.name}: its content exists only while the container runs` };
  for (const m of readMountRecord(service.containerDir(c.id)) ?? []) {
    if (m.type === 'tmpfs') out.push(tmpfs(m.destination, m.rw));
    else if (!m.source) {
      const why = `volume ${m.name ?? ''} at ${m.destination} of container ${c.name} is not mounted: its driver ${m.driver ?? ''} provides it only while the container runs`;
      out.push({ destination: m.destination, source: '', rw: m.rw, unreachable: why });
    } else out.push({ destination: m.destination, source: await realpath(m.source).catch(() => m.source), rw: m.rw });
  }
  for (const [target, options] of Object.entries(c.hostConfig.Tmpfs ?? {})) {
    if (!posix.isAbsolute(target)) continue;
    out.push(tmpfs(posix.normalize(target).replace(/(.)\/$/, '$1'), !options.split(',').map((o) => o.trim()).includes('ro')));
  }
  return out;
}

async function isFile(p: string): Promise<boolean> {
  return stat(p).then(
    (st) => st.isFile(),
    () => false,
  );
}
