import { randomBytes } from 'node:crypto';
import type { DB } from '../../store/db.js';
import { ConflictError, NotFoundError, errorMessage } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import { KeyedMutex } from '../../util/rwlock.js';
import type { EventBus } from '../events/bus.js';
import type { VolumeDriver } from './driver.js';
import { LocalVolumeDriver, validateLocalVolumeName } from './local-driver.js';
import { PluginVolumeDriver } from './plugin-driver.js';
import type { PluginPaths } from './plugin-discovery.js';
import { VolumeStore, type VolumeRecord } from './store.js';
import { directorySize } from './usage.js';
import { ANONYMOUS_LABEL, pruneMatcher, volumeMatcher, volumeView, type VolumeView } from './views.js';

export interface VolumeServiceDeps {
  db: DB;
  /** `<data-root>/volumes`: the local driver's volumes. */
  root: string;
  events: EventBus;
  log: Logger;
  /** Where plugins are discovered; defaults to Docker's paths (or BERTH_PLUGIN_* env). */
  pluginPaths?: PluginPaths;
}

export interface CreateVolumeOptions {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string>;
  Labels?: Record<string, string>;
}

/** Where a container mounts a volume, for the mount event. */
export interface MountUse {
  containerId: string;
  destination: string;
  readWrite: boolean;
  propagation: string;
}

/**
 * Volumes: named data that outlives containers. The service keeps the records and who uses
 * what (VolumeStore) and leaves the data itself to a driver: `local`, or a plugin speaking
 * Docker's volume plugin protocol. Containers reach volumes through `use`/`mount`/`release`;
 * the API through create/inspect/list/remove/prune.
 */
export class VolumeService {
  readonly store: VolumeStore;
  readonly local: LocalVolumeDriver;
  private readonly plugins = new Map<string, PluginVolumeDriver>();
  private readonly locks = new KeyedMutex();
  /**
   * Set by the container side: resolves when uses being recorded right now (a container just
   * created) are in the store, so `rm`/`prune`/`dangling` never judge a volume too early.
   */
  usesSettled: () => Promise<void> = async () => undefined;

  constructor(private readonly deps: VolumeServiceDeps) {
    this.store = new VolumeStore(deps.db);
    this.local = new LocalVolumeDriver(deps.root);
  }

  driver(name: string): VolumeDriver {
    if (!name || name === 'local') return this.local;
    let p = this.plugins.get(name);
    if (!p) {
      p = new PluginVolumeDriver(name, { paths: this.deps.pluginPaths });
      this.plugins.set(name, p);
    }
    return p;
  }

  private event(action: string, name: string, attrs: Record<string, string>): void {
    this.deps.events.publish('volume', action, name, attrs);
  }

  // ------------------------------------------------------------------ API

  /** Creates a volume, or returns the existing one of that name (Docker's semantics). */
  async create(o: CreateVolumeOptions): Promise<VolumeView> {
    const name = o.Name || randomBytes(32).toString('hex');
    const driverName = o.Driver || 'local';
    return this.locks.run(`volume:${name}`, async () => {
      const existing = this.store.get(name);
      if (existing) {
        if (driverName !== 'local' && driverName !== existing.driver) throw new ConflictError(`create ${name}: volume name must be unique`);
        return this.view(existing);
      }
      if (driverName === 'local') validateLocalVolumeName(name);
      const record: VolumeRecord = { name, driver: driverName, labels: { ...o.Labels }, options: { ...o.DriverOpts }, createdAt: Date.now() };
      await this.driver(driverName).create(name, record.options);
      this.store.insert(record);
      this.event('create', name, { driver: driverName });
      return this.view(record);
    });
  }

  /** A volume for a container: the named one (created when missing) or a new anonymous one. */
  async ensure(o: { name?: string; driver?: string; options?: Record<string, string>; labels?: Record<string, string> }): Promise<VolumeRecord> {
    const labels = o.name ? { ...o.labels } : { ...o.labels, [ANONYMOUS_LABEL]: '' };
    const existing = o.name ? this.store.get(o.name) : undefined;
    if (existing) return existing;
    const v = await this.create({ Name: o.name, Driver: o.driver, DriverOpts: o.options, Labels: labels });
    return this.store.get(v.Name)!;
  }

  mustGet(name: string): VolumeRecord {
    const v = this.store.get(name);
    if (!v) throw new NotFoundError(`get ${name}: no such volume`);
    return v;
  }

  async inspect(name: string, opts: { usage?: boolean } = {}): Promise<VolumeView> {
    return this.view(this.mustGet(name), opts);
  }

  async list(filters: Map<string, string[]>): Promise<{ Volumes: VolumeView[]; Warnings: string[] }> {
    if (filters.has('dangling')) await this.usesSettled();
    const match = volumeMatcher(filters, (n) => this.store.usersOf(n).length > 0);
    const warnings: string[] = [];
    const out: VolumeView[] = [];
    for (const v of this.store.all().filter(match)) {
      try {
        out.push(await this.view(v));
      } catch (err) {
        warnings.push(`${v.name}: ${errorMessage(err)}`);
      }
    }
    return { Volumes: out, Warnings: warnings };
  }

  async remove(name: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.usesSettled();
    await this.locks.run(`volume:${name}`, async () => {
      const v = this.store.get(name);
      if (!v) {
        if (opts.force) return;
        throw new NotFoundError(`get ${name}: no such volume`);
      }
      const users = this.store.usersOf(name);
      if (users.length > 0) throw new ConflictError(`remove ${name}: volume is in use - [${users.join(', ')}]`);
      await this.driver(v.driver)
        .remove(name)
        .catch((err: unknown) => {
          // force: forget a volume whose plugin is gone, as `docker volume rm -f` does.
          if (!opts.force) throw err;
          this.deps.log.warn('volume driver failed to remove, forgetting it anyway', { name, err: errorMessage(err) });
        });
      this.store.delete(name);
      this.event('destroy', name, { driver: v.driver });
    });
  }

  async prune(filters: Map<string, string[]>): Promise<{ VolumesDeleted: string[]; SpaceReclaimed: number }> {
    const match = pruneMatcher(filters);
    await this.usesSettled();
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const v of this.store.all().filter(match)) {
      if (this.store.usersOf(v.name).length > 0) continue;
      const size = v.driver === 'local' ? await directorySize(this.local.dataPath(v.name)) : 0;
      try {
        await this.remove(v.name);
        deleted.push(v.name);
        reclaimed += size;
      } catch (err) {
        this.deps.log.warn('prune: cannot remove volume', { name: v.name, err: errorMessage(err) });
      }
    }
    if (deleted.length) this.event('prune', '', { reclaimed: String(reclaimed) });
    return { VolumesDeleted: deleted, SpaceReclaimed: reclaimed };
  }

  /** Size and users per volume, for `system df` (-1 where the driver is not local). */
  async volumeUsage(): Promise<{ name: string; size: number; refCount: number }[]> {
    const out: { name: string; size: number; refCount: number }[] = [];
    for (const v of this.store.all()) {
      const size = v.driver === 'local' ? await directorySize(this.local.dataPath(v.name)) : -1;
      out.push({ name: v.name, size, refCount: this.store.usersOf(v.name).length });
    }
    return out;
  }

  private async view(v: VolumeRecord, opts: { usage?: boolean } = {}): Promise<VolumeView> {
    const driver = this.driver(v.driver);
    const usage = opts.usage
      ? { Size: v.driver === 'local' ? await directorySize(this.local.dataPath(v.name)) : -1, RefCount: this.store.usersOf(v.name).length }
      : undefined;
    if (driver === this.local) return volumeView(v, { mountpoint: this.local.dataPath(v.name), usage });
    const got = await driver.get(v.name);
    const caps = await driver.capabilities();
    return volumeView(v, { mountpoint: got?.Mountpoint ?? '', scope: caps.Scope, status: got?.Status, usage });
  }

  // ------------------------------------------------------------------ containers

  /** Records that a container uses a volume at a destination (also before it ever starts). */
  recordUse(containerId: string, destination: string, volumeName: string): void {
    this.store.addRef(containerId, destination, volumeName);
  }

  /** Mounts a volume for a container; returns the host path of its data. Idempotent. */
  async mount(volumeName: string, use: MountUse): Promise<string> {
    const v = this.mustGet(volumeName);
    const path = await this.driver(v.driver).mount(v.name, use.containerId);
    const wasMounted = this.store.refsOfContainer(use.containerId).some((r) => r.volumeName === v.name && r.mounted);
    this.store.setMounted(use.containerId, v.name, true);
    if (!wasMounted) {
      this.event('mount', v.name, { container: use.containerId, destination: use.destination, driver: v.driver, propagation: use.propagation, 'read/write': String(use.readWrite) });
    }
    return path;
  }

  /** The container stopped: every volume it had mounted is released (the last user unmounts). */
  async release(containerId: string): Promise<void> {
    const done = new Set<string>();
    for (const r of this.store.refsOfContainer(containerId)) {
      if (!r.mounted || done.has(r.volumeName)) continue;
      done.add(r.volumeName);
      const v = this.store.get(r.volumeName);
      if (v) {
        await this.driver(v.driver)
          .unmount(v.name, containerId)
          .catch((err: unknown) => this.deps.log.warn('volume unmount failed', { name: v.name, container: containerId, err: errorMessage(err) }));
        this.event('unmount', v.name, { container: containerId, driver: v.driver });
      }
      this.store.setMounted(containerId, r.volumeName, false);
    }
  }

  /**
   * On berthd start: mounts held for containers that kept running are adopted again (the
   * drivers count them), the others are released.
   */
  async restore(isRunning: (containerId: string) => boolean): Promise<void> {
    const byContainer = [...new Set(this.store.mountedRefs().map((r) => r.containerId))];
    // Adopt first, release after: a shared volume must not be unmounted under a running user.
    for (const id of byContainer.filter(isRunning)) {
      for (const r of this.store.refsOfContainer(id).filter((x) => x.mounted)) {
        const v = this.store.get(r.volumeName);
        if (v) await this.driver(v.driver).mount(v.name, id).catch((err: unknown) => this.deps.log.warn('cannot re-adopt volume mount', { name: v.name, err: errorMessage(err) }));
      }
    }
    for (const id of byContainer.filter((c) => !isRunning(c))) await this.release(id);
  }

  /** A container is gone: forget its uses; with `removeAnonymous` also its unshared anonymous volumes. */
  async forgetContainer(containerId: string, opts: { removeAnonymous: boolean }): Promise<void> {
    await this.release(containerId);
    const names = [...new Set(this.store.refsOfContainer(containerId).map((r) => r.volumeName))];
    this.store.deleteRefsOf(containerId);
    if (!opts.removeAnonymous) return;
    for (const n of names) {
      const v = this.store.get(n);
      if (!v || !(ANONYMOUS_LABEL in v.labels)) continue;
      await this.remove(n).catch((err: unknown) => this.deps.log.info('anonymous volume kept', { name: n, err: errorMessage(err) }));
    }
  }
}
