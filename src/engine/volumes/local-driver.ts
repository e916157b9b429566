import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isMountPoint, mount, unmount } from '../../sys/mount.js';
import { ConflictError, InvalidParameterError, NotFoundError, SystemError } from '../../util/errors.js';
import { KeyedMutex } from '../../util/rwlock.js';
import type { DriverVolume, VolumeDriver } from './driver.js';

/** Docker's local driver options: `type`/`device`/`o` are mount(8)'s, `size` needs quotas. */
const VALID_OPTIONS = ['type', 'device', 'o', 'size'];
/** An option that needs others: `o` alone means nothing without a device to mount. */
const REQUIRED_WITH: Record<string, string[]> = { device: ['type'], type: ['device'], o: ['device', 'type'] };
const NAME_CHARS = '[a-zA-Z0-9][a-zA-Z0-9_.-]';
const NAME_RE = new RegExp(`^${NAME_CHARS}+$`);

/** Checked where a volume is about to be made, so the message says so, as Docker's. */
export function validateLocalVolumeName(name: string): void {
  if (!NAME_RE.test(name)) {
    throw new InvalidParameterError(`create ${name}: "${name}" includes invalid characters for a local volume name, only "${NAME_CHARS}" are allowed. If you intended to pass a host directory, use absolute path`);
  }
}

export function validateLocalOptions(options: Record<string, string>): void {
  for (const key of Object.keys(options)) if (!VALID_OPTIONS.includes(key)) throw new InvalidParameterError(`invalid option: "${key}"`);
  for (const [key, needs] of Object.entries(REQUIRED_WITH)) {
    if (!(key in options)) continue;
    for (const n of needs) if (!(n in options)) throw new InvalidParameterError(`missing required option: "${n}"`);
  }
  if ('size' in options) throw new InvalidParameterError('quota size requested but no quota support');
}

/**
 * The `local` driver: a volume is the directory `<root>/<name>/_data`. With `type`/`device`
 * options (tmpfs, a bind of another host path, a block device) the directory is a mount
 * point, mounted when the first container mounts the volume and unmounted after the last.
 * The options are kept beside the data in `opts.json`, as Docker's local driver does.
 */
export class LocalVolumeDriver implements VolumeDriver {
  readonly name = 'local';
  private readonly users = new Map<string, Set<string>>();
  private readonly locks = new KeyedMutex();

  constructor(private readonly root: string) {}

  private dir(name: string): string {
    return join(this.root, name);
  }
  dataPath(name: string): string {
    return join(this.dir(name), '_data');
  }

  async create(name: string, options: Record<string, string>): Promise<void> {
    validateLocalVolumeName(name);
    validateLocalOptions(options);
    await mkdir(this.root, { recursive: true, mode: 0o701 });
    await mkdir(this.dir(name), { recursive: true, mode: 0o701 });
    await mkdir(this.dataPath(name), { recursive: true, mode: 0o755 });
    if (Object.keys(options).length > 0) await writeFile(join(this.dir(name), 'opts.json'), JSON.stringify(options));
  }

  async remove(name: string): Promise<void> {
    await this.locks.run(name, async () => {
      if ((this.users.get(name)?.size ?? 0) > 0) throw new ConflictError(`remove ${name}: volume is in use`);
      const data = this.dataPath(name);
      if (await isMountPoint(data)) await unmount(data);
      // Never recurse into a mount: a bind-backed volume's data belongs to someone else.
      if (await isMountPoint(data)) throw new SystemError(`remove ${name}: ${data} is still mounted`);
      await rm(this.dir(name), { recursive: true, force: true });
      this.users.delete(name);
    });
  }

  async mount(name: string, callerId: string): Promise<string> {
    return this.locks.run(name, async () => {
      const data = this.dataPath(name);
      if (!(await exists(data))) throw new NotFoundError(`no such volume: ${name}`);
      const users = this.users.get(name) ?? new Set<string>();
      const opts = await this.options(name);
      // First user mounts. After a berthd restart the mount may still be there, kept by a
      // container that went on running: then it is simply adopted.
      if (opts.type && users.size === 0 && !(await isMountPoint(data))) {
        const o = opts.o ? opts.o.split(',').filter(Boolean) : [];
        await mount(opts.type === 'none' ? 'bind' : opts.type, opts.device ?? 'none', data, o);
      }
      users.add(callerId);
      this.users.set(name, users);
      return data;
    });
  }

  async unmount(name: string, callerId: string): Promise<void> {
    await this.locks.run(name, async () => {
      // An unknown caller is one from before a berthd restart: it was the last one.
      const users = this.users.get(name);
      users?.delete(callerId);
      if (users && users.size > 0) return;
      this.users.delete(name);
      const data = this.dataPath(name);
      if ((await this.options(name)).type && (await isMountPoint(data))) await unmount(data);
    });
  }

  async path(name: string): Promise<string> {
    return this.dataPath(name);
  }

  async get(name: string): Promise<DriverVolume | undefined> {
    if (!NAME_RE.test(name) || !(await exists(this.dataPath(name)))) return undefined;
    return { Name: name, Mountpoint: this.dataPath(name) };
  }

  async list(): Promise<DriverVolume[]> {
    const names = await readdir(this.root).catch(() => [] as string[]);
    const out: DriverVolume[] = [];
    for (const n of names) {
      const v = await this.get(n);
      if (v) out.push(v);
    }
    return out;
  }

  async capabilities(): Promise<{ Scope: 'local' }> {
    return { Scope: 'local' };
  }

  /** True when mounting this volume mounts something (tmpfs, bind, device). */
  async needsMount(name: string): Promise<boolean> {
    return Boolean((await this.options(name)).type);
  }

  private async options(name: string): Promise<Record<string, string>> {
    try {
      return JSON.parse(await readFile(join(this.dir(name), 'opts.json'), 'utf8')) as Record<string, string>;
    } catch {
      return {};
    }
  }
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}
