/**
 * A container's mounts: Binds (`-v`), Mounts (`--mount`), VolumesFrom, and anonymous volumes
 * (`-v /dst` and image VOLUMEs, both in Config.Volumes), resolved into OCI mounts at every
 * start. HostConfig.Tmpfs (`--tmpfs`) is placed by the spec generator itself; here it only
 * takes part in the duplicate check.
 *
 * Vocabulary: a *planned* mount comes straight from the config (an anonymous volume has no
 * name yet); a *resolved* mount has its volume created and named. The resolved list is kept
 * in the container's directory (`mounts.json`) so anonymous volumes keep their names across
 * starts and `inspect`/`ps` can show Docker's `Mounts` without asking the volume service.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Mount } from '../../api/types/container.js';
import type { OciMount } from '../../runtime/spec/oci-types.js';
import { InvalidParameterError, NotFoundError, errorMessage } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import { KeyedMutex } from '../../util/rwlock.js';
import type { EventBus } from '../events/bus.js';
import { copyImageContent } from '../volumes/copy-up.js';
import { validateLocalVolumeName } from '../volumes/local-driver.js';
import type { VolumeService } from '../volumes/service.js';
import type { Container } from './model.js';

export type MountKind = 'volume' | 'bind' | 'tmpfs';

export interface ResolvedMount {
  type: MountKind;
  destination: string;
  /** bind: the host path; volume: the volume's data on the host ('' until a plugin says). */
  source: string;
  /** volume: its name (undefined while planned and anonymous). */
  name?: string;
  driver?: string;
  /** Docker's Mode text as shown by inspect (`ro`, `z`, `ro,Z` ...). */
  mode: string;
  rw: boolean;
  /** '' means the default (rprivate). */
  propagation: string;
  /** Copy the image's content at `destination` into a new empty volume. */
  copyData: boolean;
  /** `-v /host:/dst` creates a missing host directory; `--mount` does not. */
  createSource: boolean;
  nonRecursive: boolean;
  tmpfs?: { sizeBytes?: number; mode?: number };
  /** volume: create options when the volume does not exist yet. */
  volumeOptions?: { driverOpts?: Record<string, string>; labels?: Record<string, string> };
  /** Came with --volumes-from from this container. */
  fromContainer?: string;
}

const PROPAGATIONS = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'];
const CONSISTENCY = ['consistent', 'cached', 'delegated'];

function invalidSpec(spec: string, why?: string): InvalidParameterError {
  return new InvalidParameterError(`invalid volume specification: '${spec}'${why ? `: ${why}` : ''}`);
}
function mountConfigError(type: string, why: string): InvalidParameterError {
  return new InvalidParameterError(`invalid mount config for type "${type}": ${why}`);
}
function checkTarget(type: string, target: string): string {
  if (!posix.isAbsolute(target)) throw mountConfigError(type, `invalid mount path: '${target}' mount path must be absolute`);
  const clean = posix.normalize(target).replace(/(.)\/$/, '$1');
  if (clean === '/') throw new InvalidParameterError(`invalid specification: destination can't be '/'`);
  return clean;
}

/** Mode words of `-v src:dst:mode`: ro|rw, z|Z, nocopy, a propagation, a consistency. */
function parseMode(mode: string): { rw: boolean; copy: boolean; propagation: string } | undefined {
  let rw: boolean | undefined;
  let copy: boolean | undefined;
  let propagation: string | undefined;
  let label: string | undefined;
  let consistency: string | undefined;
  for (const m of mode.split(',')) {
    if (m === 'ro' || m === 'rw') {
      if (rw !== undefined) return undefined;
      rw = m === 'rw';
    } else if (m === 'z' || m === 'Z') {
      if (label !== undefined) return undefined;
      label = m;
    } else if (m === 'nocopy') {
      if (copy !== undefined) return undefined;
      copy = false;
    } else if (PROPAGATIONS.includes(m)) {
      if (propagation !== undefined) return undefined;
      propagation = m;
    } else if (CONSISTENCY.includes(m)) {
      if (consistency !== undefined) return undefined;
      consistency = m;
    } else return undefined;
  }
  return { rw: rw ?? true, copy: copy ?? true, propagation: propagation ?? '' };
}

/** `-v [src:]dst[:mode]` (HostConfig.Binds). */
export function parseBind(spec: string, volumeDriver = ''): ResolvedMount {
  const parts = spec.split(':');
  let src = '';
  let dst: string;
  let mode = '';
  if (!parts[0]) throw invalidSpec(spec);
  if (parts.length === 1) dst = parts[0];
  else if (parts.length === 2) {
    // As Docker: a destination with a mode (`/data:ro`) is not a volume (volumes take no mode).
    if (parseMode(parts[1]!)) throw invalidSpec(spec);
    [src, dst] = [parts[0], parts[1]!];
  } else if (parts.length === 3) [src, dst, mode] = [parts[0], parts[1]!, parts[2]!];
  else throw invalidSpec(spec);
  if (!dst) throw invalidSpec(spec);
  const parsed = mode ? parseMode(mode) : { rw: true, copy: true, propagation: '' };
  if (!parsed) throw new InvalidParameterError(`invalid mode: ${mode}`);
  const isBind = src.startsWith('/');
  const type: MountKind = isBind ? 'bind' : 'volume';
  let destination: string;
  try {
    destination = checkTarget(type, dst);
  } catch (err) {
    throw invalidSpec(spec, errorMessage(err));
  }
  if (isBind) {
    if (mode.split(',').includes('nocopy')) throw invalidSpec(spec, mountConfigError(type, 'field VolumeOptions must not be specified').message);
    return { type, destination, source: posix.normalize(src), mode, rw: parsed.rw, propagation: parsed.propagation || 'rprivate', copyData: false, createSource: true, nonRecursive: false };
  }
  if (parsed.propagation) throw invalidSpec(spec, mountConfigError(type, 'field BindOptions must not be specified').message);
  const driver = volumeDriver || 'local';
  if (src && driver === 'local') validateLocalVolumeName(src);
  return { type, destination, source: '', ...(src ? { name: src } : {}), driver, mode: mode || (src ? 'z' : ''), rw: parsed.rw, propagation: '', copyData: parsed.copy, createSource: false, nonRecursive: false };
}

/** `--mount` (HostConfig.Mounts). Checks what Docker checks at create. */
export function parseMount(m: Mount, volumeDriver = ''): ResolvedMount {
  const type = m.Type;
  if (!m.Target) throw mountConfigError(type, 'field Target must not be empty');
  if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs') throw mountConfigError(type, 'mount type unknown');
  const destination = checkTarget(type, m.Target);
  const extra = (field: string) => mountConfigError(type, `field ${field} must not be specified`);
  const rw = m.ReadOnly !== true;
  if (type === 'bind') {
    if (m.VolumeOptions) throw extra('VolumeOptions');
    if (m.TmpfsOptions) throw extra('TmpfsOptions');
    if (!m.Source) throw mountConfigError(type, 'field Source must not be empty');
    if (!posix.isAbsolute(m.Source)) throw mountConfigError(type, `invalid mount path: '${m.Source}' mount path must be absolute`);
    const create = m.BindOptions?.CreateMountpoint === true;
    if (!create && !existsSync(m.Source)) throw mountConfigError(type, `bind source path does not exist: ${m.Source}`);
    return { type, destination, source: posix.normalize(m.Source), mode: '', rw, propagation: m.BindOptions?.Propagation || 'rprivate', copyData: false, createSource: create, nonRecursive: m.BindOptions?.NonRecursive === true };
  }
  if (type === 'volume') {
    if (m.BindOptions) throw extra('BindOptions');
    if (m.TmpfsOptions) throw extra('TmpfsOptions');
    if (m.VolumeOptions?.Subpath) throw mountConfigError(type, 'volume subpaths are not supported');
    const driver = m.VolumeOptions?.DriverConfig?.Name || volumeDriver || 'local';
    if (m.Source && driver === 'local') validateLocalVolumeName(m.Source);
    if (!m.Source && m.ReadOnly) throw mountConfigError(type, 'must not set ReadOnly mode when using anonymous volumes');
    return {
      type,
      destination,
      source: '',
      ...(m.Source ? { name: m.Source } : {}),
      driver,
      mode: '',
      rw,
      propagation: '',
      copyData: m.VolumeOptions?.NoCopy !== true,
      createSource: false,
      nonRecursive: false,
      volumeOptions: { driverOpts: m.VolumeOptions?.DriverConfig?.Options ?? undefined, labels: m.VolumeOptions?.Labels ?? undefined },
    };
  }
  if (m.Source) throw extra('Source');
  if (m.BindOptions) throw extra('BindOptions');
  if (m.VolumeOptions) throw extra('VolumeOptions');
  const t = m.TmpfsOptions ?? {};
  if (t.SizeBytes !== undefined && t.SizeBytes < 0) throw mountConfigError(type, `invalid tmpfs size ${t.SizeBytes}`);
  return { type, destination, source: '', mode: '', rw, propagation: '', copyData: false, createSource: false, nonRecursive: false, tmpfs: { sizeBytes: t.SizeBytes || undefined, mode: t.Mode || undefined } };
}

/** `c[:ro|rw]` of --volumes-from. */
export function parseVolumesFrom(spec: string): { container: string; rw?: boolean } {
  const [container = '', mode, ...rest] = spec.split(':');
  if (!container || rest.length > 0) throw new InvalidParameterError(`invalid volumes-from specification: '${spec}'`);
  if (mode === undefined) return { container };
  const parsed = parseMode(mode);
  if (!parsed) throw new InvalidParameterError(`invalid mode: ${mode}`);
  return { container, rw: parsed.rw };
}

function duplicate(dst: string): InvalidParameterError {
  return new InvalidParameterError(`Duplicate mount point: ${dst}`);
}

/**
 * What a container asks for, in Docker's order of precedence: image/anonymous volumes, then
 * --volumes-from, then Binds, then Mounts (later ones replace earlier ones at the same place;
 * two Binds/Mounts at one place are an error). `--tmpfs` targets win over volumes.
 * `inherited` gives another container's resolved mounts, for --volumes-from.
 */
export function planMounts(c: Pick<Container, 'config' | 'hostConfig'>, inherited: (ref: string) => ResolvedMount[] = () => []): ResolvedMount[] {
  const hc = c.hostConfig;
  const byDest = new Map<string, ResolvedMount>();
  const explicit = new Set<string>();
  const add = (m: ResolvedMount) => {
    if (explicit.has(m.destination)) throw duplicate(m.destination);
    explicit.add(m.destination);
    byDest.set(m.destination, m);
  };
  // The docker CLI leaves `-v` specs it did not split into Binds (two at one target) here.
  const volumeSpecs = Object.keys(c.config.Volumes ?? {});
  for (const dst of volumeSpecs.filter((v) => !v.includes(':'))) {
    const destination = checkTarget('volume', dst);
    byDest.set(destination, { type: 'volume', destination, source: '', driver: hc.VolumeDriver || 'local', mode: '', rw: true, propagation: '', copyData: true, createSource: false, nonRecursive: false });
  }
  for (const spec of hc.VolumesFrom ?? []) {
    const { container, rw } = parseVolumesFrom(spec);
    for (const m of inherited(container)) {
      if (m.type === 'tmpfs') continue;
      const mode = rw === undefined ? m.mode : rw ? 'rw' : 'ro';
      byDest.set(m.destination, { ...m, rw: rw ?? m.rw, mode, copyData: false, createSource: false, fromContainer: m.fromContainer ?? container });
    }
  }
  for (const b of [...(hc.Binds ?? []), ...volumeSpecs.filter((v) => v.includes(':'))]) add(parseBind(b, hc.VolumeDriver));
  for (const m of hc.Mounts ?? []) add(parseMount(m, hc.VolumeDriver));
  for (const t of Object.keys(hc.Tmpfs ?? {})) {
    const dst = posix.isAbsolute(t) ? posix.normalize(t) : t;
    if (explicit.has(dst)) throw duplicate(dst);
    byDest.delete(dst);
  }
  return [...byDest.values()];
}

/** Kernel size text for a tmpfs: bytes with the largest exact unit (as Docker writes it). */
function sizeOption(bytes: number): string {
  for (const [unit, n] of [['g', 1024 ** 3], ['m', 1024 ** 2], ['k', 1024]] as const) if (bytes % n === 0) return `${bytes / n}${unit}`;
  return String(bytes);
}

/** The OCI mount for a resolved mount whose source is ready on the host. */
export function ociMount(m: ResolvedMount): OciMount {
  if (m.type === 'tmpfs') {
    const options = ['nosuid', 'nodev', 'noexec'];
    if (m.tmpfs?.sizeBytes) options.push(`size=${sizeOption(m.tmpfs.sizeBytes)}`);
    if (m.tmpfs?.mode) options.push(`mode=${m.tmpfs.mode.toString(8)}`);
    if (!m.rw) options.push('ro');
    return { destination: m.destination, type: 'tmpfs', source: 'tmpfs', options };
  }
  return { destination: m.destination, type: 'bind', source: m.source, options: [m.nonRecursive ? 'bind' : 'rbind', m.rw ? 'rw' : 'ro', m.propagation || 'rprivate'] };
}

/** Docker's `Mounts` entries of inspect and ps. */
export function mountPointView(m: ResolvedMount): Record<string, unknown> {
  return {
    Type: m.type,
    ...(m.type === 'volume' ? { Name: m.name ?? '' } : {}),
    Source: m.source,
    Destination: m.destination,
    ...(m.type === 'volume' ? { Driver: m.driver ?? 'local' } : {}),
    Mode: m.mode,
    RW: m.rw,
    Propagation: m.type === 'bind' ? m.propagation : '',
  };
}

const RECORD_FILE = 'mounts.json';

/** The resolved mounts recorded in a container's directory, if it was ever prepared. */
export function readMountRecord(containerDir: string): ResolvedMount[] | undefined {
  const text = readMountRecordText(containerDir);
  try {
    return text === undefined ? undefined : (JSON.parse(text) as ResolvedMount[]);
  } catch {
    return undefined;
  }
}

function readMountRecordText(containerDir: string): string | undefined {
  try {
    return readFileSync(join(containerDir, RECORD_FILE), 'utf8');
  } catch {
    return undefined;
  }
}

export interface ContainerMountsDeps {
  volumes: VolumeService;
  /** Looks a container up by ID or name (for --volumes-from). */
  findContainer: (ref: string) => Container | undefined;
  containerDir: (id: string) => string;
  rootfsPath: (id: string) => string;
  events: EventBus;
  log: Logger;
}

/**
 * The container service's `mountsFor`/`onRemove` hooks. Volumes are created and their use
 * recorded as soon as a container is created (on its `create` event) so `volume rm` refuses
 * them and `rm -v` finds them even before the first start; mounting happens at each start and
 * is released when the container dies.
 */
export class ContainerMounts {
  private readonly locks = new KeyedMutex();
  private readonly unsubscribe: () => void;
  /** Create-time preparations under way: the volume service waits for them before it judges use. */
  private readonly preparing = new Set<Promise<void>>();

  constructor(private readonly deps: ContainerMountsDeps) {
    this.unsubscribe = deps.events.subscribe((e) => {
      if (e.Type !== 'container') return;
      if (e.Action === 'create') this.prepareQuietly(e.Actor.ID);
      else if (e.Action === 'die') void this.locks.run(e.Actor.ID, () => deps.volumes.release(e.Actor.ID)).catch((err: unknown) => deps.log.warn('releasing volumes failed', { id: e.Actor.ID, err: errorMessage(err) }));
    });
  }

  close(): void {
    this.unsubscribe();
  }

  /** Resolves, mounts volumes, copies image content up, and returns the OCI mounts. */
  async mountsFor(c: Container): Promise<OciMount[]> {
    return this.locks.run(c.id, async () => {
      const resolved = await this.prepareLocked(c);
      const out: OciMount[] = [];
      try {
        for (const m of resolved) {
          if (m.type === 'volume') {
            m.source = await this.deps.volumes.mount(m.name!, { containerId: c.id, destination: m.destination, readWrite: m.rw, propagation: m.propagation });
            if (m.copyData) await copyImageContent({ rootfs: this.deps.rootfsPath(c.id), destination: m.destination, volumePath: m.source });
          } else if (m.type === 'bind') {
            if (m.createSource) await mkdir(m.source, { recursive: true, mode: 0o755 });
            else if (!(await exists(m.source))) throw mountConfigError('bind', `bind source path does not exist: ${m.source}`);
          }
          out.push(ociMount(m));
        }
      } catch (err) {
        await this.deps.volumes.release(c.id).catch(() => undefined);
        throw err;
      }
      await this.writeRecord(c.id, resolved);
      return out;
    });
  }

  async onRemove(c: Container, opts: { volumes: boolean }): Promise<void> {
    await this.locks.run(c.id, () => this.deps.volumes.forgetContainer(c.id, { removeAnonymous: opts.volumes }));
  }

  /** Checks the mount config of a container about to be created (Docker's create-time errors). */
  validate(c: Pick<Container, 'config' | 'hostConfig'>): void {
    planMounts(c, (ref) => {
      // A 400, as Docker's: on a 404 from create the docker CLI would go and pull the image.
      if (!this.deps.findContainer(ref)) throw new InvalidParameterError(`No such container: ${ref}`);
      return [];
    });
  }

  /** Resolves once the preparations started by `create` events so far are done. */
  async settled(): Promise<void> {
    await Promise.all([...this.preparing]);
  }

  private prepareQuietly(id: string): void {
    const p = this.prepareInBackground(id).finally(() => this.preparing.delete(p));
    this.preparing.add(p);
  }

  private async prepareInBackground(id: string): Promise<void> {
    try {
      await this.locks.run(id, async () => {
        const c = this.deps.findContainer(id);
        if (c) await this.prepareLocked(c);
      });
    } catch (err) {
      // The same error comes back to the user at start.
      this.deps.log.debug('container mounts not prepared at create', { id, err: errorMessage(err) });
    }
  }

  /** Plans, creates missing volumes, records uses and the resolved list. Idempotent. */
  private async prepareLocked(c: Container): Promise<ResolvedMount[]> {
    const previous = readMountRecord(this.deps.containerDir(c.id)) ?? [];
    const inherited = new Map<string, ResolvedMount[]>();
    for (const spec of c.hostConfig.VolumesFrom ?? []) {
      const ref = parseVolumesFrom(spec).container;
      const other = this.deps.findContainer(ref);
      if (!other) throw new NotFoundError(`No such container: ${ref}`);
      if (other.id === c.id) throw new InvalidParameterError(`container ${ref} cannot mount volumes from itself`);
      const record = readMountRecord(this.deps.containerDir(other.id)) ?? (await this.locks.run(other.id, () => this.prepareLocked(other)));
      inherited.set(ref, record);
    }
    const planned = planMounts(c, (ref) => inherited.get(ref) ?? []);
    const volumes = this.deps.volumes;
    for (const m of planned) {
      if (m.type !== 'volume') continue;
      if (!m.name) {
        // An anonymous volume keeps its name from one start to the next.
        const before = previous.find((p) => p.type === 'volume' && p.destination === m.destination && !p.fromContainer && p.name);
        m.name = before?.name && volumes.store.get(before.name) ? before.name : undefined;
      }
      const v = await volumes.ensure({ name: m.name, driver: m.driver, options: m.volumeOptions?.driverOpts, labels: m.volumeOptions?.labels });
      m.name = v.name;
      m.driver = v.driver;
      m.source = v.driver === 'local' ? volumes.local.dataPath(v.name) : await volumes.driver(v.driver).path(v.name).catch(() => '');
      delete m.volumeOptions;
      volumes.recordUse(c.id, m.destination, v.name);
    }
    volumes.store.deleteRefsExcept(
      c.id,
      planned.filter((m) => m.type === 'volume').map((m) => m.destination),
    );
    await this.writeRecord(c.id, planned);
    return planned;
  }

  /** Writes the record unless it already says the same: a start mostly finds what create wrote. */
  private async writeRecord(id: string, mounts: ResolvedMount[]): Promise<void> {
    const dir = this.deps.containerDir(id);
    const text = JSON.stringify(mounts);
    if (readMountRecordText(dir) === text) return;
    const tmp = join(dir, `${RECORD_FILE}.tmp`);
    await writeFile(tmp, text);
    await rename(tmp, join(dir, RECORD_FILE));
  }
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}
