import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerCreateRequest, HostConfig } from '../../api/types/container.js';
import type { AttachStream, ConmonRuntime, CreateOptions, ExitInfo } from '../../runtime/container-runtime.js';
import { isRuntimeName } from '../../runtime/oci-runtime.js';
import { dockerRuntimeMessage } from '../../runtime/runtime-errors.js';
import { devicesForHostConfig } from '../../runtime/spec/devices.js';
import { generateSpec } from '../../runtime/spec/generate.js';
import { detectHostInfo } from '../../runtime/spec/host-info.js';
import { readUserDatabase, type UserDatabase } from '../../runtime/spec/user.js';
import { mountRootfs, unmountRootfs } from '../../store/snapshots/rootfs.js';
import type { OverlaySnapshotter } from '../../store/snapshots/overlay.js';
import { ConflictError, InvalidParameterError, NotFoundError, NotModifiedError, SystemError, errorMessage, wrapError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import { KeyedMutex } from '../../util/rwlock.js';
import type { EventBus } from '../events/bus.js';
import { chainIds } from '../images/layers.js';
import type { ImageService } from '../images/service.js';
import { isRestarting, notRunning } from './errors.js';
import { etcPaths, writeEtcFiles } from './etc-files.js';
import { temporaryMountsReleased } from './fs-view.js';
import { InitLayers } from './init-layer.js';
import { linkEnv, linkHostsLine, parseLink, storedLink, usesLegacyLinks } from './links.js';
import { fillHostConfigDefaults, mergeImageConfig, validateHostConfig } from './merge-config.js';
import { initialState, type Container } from './model.js';
import { generateId, generateName, normalizeName } from './names.js';
import type { ContainerNetworking } from './networking.js';
import { RestartBackoff, shouldRestart, startsWithDaemon } from './restart-policy.js';
import { checkSignal, isValidSignal, signalNumber } from './signals.js';
import { ContainerStore } from './store.js';
import { Waiters, type WaitCondition, type WaitResult } from './waiters.js';

export interface ContainerServiceDeps {
  store: ContainerStore;
  images: ImageService;
  snapshots: OverlaySnapshotter;
  runtime: ConmonRuntime;
  networking: ContainerNetworking;
  events: EventBus;
  log: Logger;
  /** `<data-root>/containers`: per-container config files and logs. */
  containersDir: string;
  /** `<exec-root>/rootfs`: where running containers' root filesystems are mounted. */
  rootfsDir: string;
  /** Cgroup parent for this instance, e.g. `/berth`. */
  cgroupParent: string;
  /** Extra hooks: volumes and mounts resolved by the volume service at start. */
  mountsFor?: (c: Container) => Promise<import('../../runtime/spec/oci-types.js').OciMount[]>;
  /** Resolves once the mounts of containers just created are recorded (they are, in the background). */
  mountsSettled?: () => Promise<void>;
  /** Called when a container is removed (anonymous volumes etc.). */
  onRemove?: (c: Container, opts: { volumes: boolean }) => Promise<void>;
  /**
   * Checks (and may normalize, e.g. the log config with the daemon's defaults) a new container
   * before anything is allocated for it: mounts, log options. Throws to refuse the create.
   */
  checkCreate?: (c: Container) => void;
  /** Adjusts what the runtime is asked for at each start (log size limits, no log for `none`). */
  runtimeOptions?: (c: Container, o: CreateOptions) => CreateOptions;
}

const DEFAULT_STOP_TIMEOUT_S = 10;
const HOST_NETWORK_AND_LINKS = "conflicting options: host type networking can't be used with links. This would result in undefined behavior";

/**
 * Containers: create, start, stop, kill, restart, pause, rename, wait, remove, and live
 * restore. State lives in the DB (ContainerStore); the process lives under conmon
 * (ConmonRuntime), so berthd can die and come back without its containers noticing.
 * Streams (attach, exec, logs) and file operations (cp, export, commit) are separate modules.
 */
export class ContainerService {
  readonly waiters = new Waiters();
  private readonly locks = new KeyedMutex();
  private readonly backoff = new RestartBackoff();
  private readonly restartTimers = new Map<string, NodeJS.Timeout>();
  /** Attach requests made before the container started: connected right after create. */
  private readonly pendingAttach = new Map<string, ((io: Promise<AttachStream>) => void)[]>();
  /** Containers whose sandbox and rootfs mount are already gone since their exit (their runtime state goes with runtimeDeletes). */
  private readonly cleanedUp = new Set<string>();
  /**
   * Runtime deletes put off until the exit is handled (see cleanupAfterExit). Calling the
   * function begins the delete (once) and resolves when it is done.
   */
  private readonly runtimeDeletes = new Map<string, () => Promise<void>>();
  private closing = false;

  private readonly initLayers: InitLayers;

  constructor(readonly deps: ContainerServiceDeps) {
    this.initLayers = new InitLayers(deps.snapshots, deps.rootfsDir);
  }

  get store(): ContainerStore {
    return this.deps.store;
  }

  containerDir(id: string): string {
    return join(this.deps.containersDir, id);
  }
  logPath(id: string): string {
    return join(this.containerDir(id), 'container.log');
  }
  rootfsPath(id: string): string {
    return join(this.deps.rootfsDir, id);
  }

  /**
   * Whether the container runs with its rootfs mounted, once an exit under way is recorded.
   * An exit's clean-up unmounts the rootfs before the state says so (under the container's
   * lock), and a process already gone is about to be cleaned up: both read as not running.
   */
  async runsWithRootfs(id: string): Promise<boolean> {
    const ac = new AbortController();
    // Listened for before the state is read, so an exit in between is not missed.
    const exited = this.waiters.wait(id, 'exit', ac.signal).catch(() => undefined);
    try {
      const state = await this.locks.run(id, async () => this.store.get(id)?.state);
      if (!state?.Running) return false;
      if (processAlive(state.Pid)) return true;
      await exited;
      return false;
    } finally {
      ac.abort();
    }
  }

  /** Publishes a container event with Docker's attributes: its labels, image and name. */
  event(c: Container, action: string, extra: Record<string, string> = {}): void {
    this.deps.events.publish('container', action, c.id, { ...c.config.Labels, image: c.imageRef, name: c.name, ...extra });
  }

  // ---------------------------------------------------------------- create

  async create(req: ContainerCreateRequest, opts: { name?: string } = {}): Promise<{ Id: string; Warnings: string[] }> {
    if (!req.Image) throw new InvalidParameterError('config.Image: an image is required');
    const { HostConfig: hcIn, NetworkingConfig, ...config } = req as ContainerCreateRequest & { HostConfig?: HostConfig; NetworkingConfig?: { EndpointsConfig?: Record<string, unknown> } };
    const hostConfig: HostConfig = { NetworkMode: 'default', ...hcIn };
    if (!hostConfig.NetworkMode) hostConfig.NetworkMode = 'default';
    validateHostConfig(hostConfig);
    if (config.StopSignal && !isValidSignal(config.StopSignal)) throw new InvalidParameterError(`Invalid signal: ${config.StopSignal}`);
    fillHostConfigDefaults(hostConfig, detectHostInfo().swapLimit);
    // As Docker: the runtime is chosen at create and stays with the container.
    if (!hostConfig.Runtime) hostConfig.Runtime = this.deps.runtime.runtimeName;
    if (!isRuntimeName(hostConfig.Runtime)) throw new InvalidParameterError(`unknown or invalid runtime name: ${hostConfig.Runtime}`);
    const name = opts.name ? normalizeName(opts.name) : generateName((n) => this.store.nameTaken(n));
    if (opts.name && this.store.nameTaken(name)) {
      const other = this.store.byName(name)!;
      throw new ConflictError(`Conflict. The container name "/${name}" is already in use by container "${other.id}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    if (hostConfig.Links?.length) hostConfig.Links = this.registerLinks(name, hostConfig);
    const { record, config: imageConfig } = await this.deps.images.configOf(req.Image);
    const merged = mergeImageConfig(config, imageConfig.config);
    merged.Image = req.Image;
    const id = generateId();
    merged.Hostname ||= hostConfig.NetworkMode === 'host' ? '' : id.slice(0, 12);

    // Validate the whole runtime config now, as Docker does, so bad input fails at create.
    const top = chainIds(imageConfig.rootfs.diff_ids).at(-1);
    const warnings = this.checkSpec({ id, config: merged, hostConfig, users: this.imageUsers(top) });

    const c: Container = {
      id,
      name,
      imageId: record.id,
      imageRef: req.Image,
      snapshotKey: id,
      created: new Date().toISOString(),
      config: merged,
      hostConfig,
      state: initialState(),
      book: { restartCount: 0, manuallyStopped: false, hasBeenStarted: false },
      networking: { Networks: {}, Ports: {}, SandboxKey: '', ...(NetworkingConfig?.EndpointsConfig ? { requested: NetworkingConfig.EndpointsConfig } : {}) } as Container['networking'],
    };
    this.deps.checkCreate?.(c);
    // The snapshot and the container's directory do not depend on each other: made side by side.
    const [snapshot, dir] = await Promise.allSettled([
      this.initLayers.for(top).then((parent) => this.deps.snapshots.prepare(id, parent, { labels: { 'berth.io/container': id } })),
      mkdir(this.containerDir(id), { recursive: true, mode: 0o710 }),
    ]);
    try {
      if (snapshot.status === 'rejected') throw snapshot.reason;
      if (dir.status === 'rejected') throw dir.reason;
      this.store.insert(c);
    } catch (err) {
      if (snapshot.status === 'fulfilled') await this.deps.snapshots.remove(id).catch(() => undefined);
      await rm(this.containerDir(id), { recursive: true, force: true });
      throw err;
    }
    this.event(c, 'create');
    return { Id: id, Warnings: warnings };
  }

  /**
   * Docker's checks of `--link` at create (moby's registerLinks): each linked container exists
   * (a 400: on a 404 the docker CLI would pull the image) and is not on the host's network.
   * Returns the links as Docker stores them, `/child:/parent/alias`.
   */
  private registerLinks(name: string, hc: HostConfig): string[] {
    const links = hc.Links ?? [];
    if (hc.NetworkMode === 'host') throw new InvalidParameterError(HOST_NETWORK_AND_LINKS);
    if (!usesLegacyLinks(hc.NetworkMode) && !/^(none|container:)/.test(hc.NetworkMode ?? '')) return links;
    return links.map((spec) => {
      const link = parseLink(spec);
      let child = this.store.find(link.child);
      if (!child) throw new InvalidParameterError(`could not get container for ${link.child}: No such container: ${link.child}`);
      for (let mode = child.hostConfig.NetworkMode ?? ''; mode.startsWith('container:'); mode = child.hostConfig.NetworkMode ?? '') {
        const ref = mode.slice('container:'.length);
        const next = this.store.find(ref);
        if (!next) throw new InvalidParameterError(`could not get container for ${ref}: No such container: ${ref}`);
        child = next;
      }
      if (child.hostConfig.NetworkMode === 'host') throw new InvalidParameterError(HOST_NETWORK_AND_LINKS);
      return storedLink(name, { child: child.name, alias: link.alias });
    });
  }

  /**
   * What the links of a container on the default bridge add at start (moby's
   * setupLinkedContainers): /etc/hosts lines and variables. A linked container must be running.
   */
  private legacyLinks(c: Container): { hosts: string; env: string[] } {
    const out = { hosts: '', env: [] as string[] };
    if (!usesLegacyLinks(c.hostConfig.NetworkMode)) return out;
    for (const spec of c.hostConfig.Links ?? []) {
      const link = parseLink(spec);
      const child = this.store.find(link.child);
      if (!child) continue; // removed since: Docker drops its links with it
      const linkName = `/${c.name}/${link.alias}`;
      if (!child.state.Running) throw new SystemError(`Cannot link to a non running container: /${child.name} AS ${linkName}`);
      const childIp = child.networking.Networks?.bridge?.IPAddress;
      if (!childIp) throw new SystemError(`Cannot link to /${child.name}, as it does not belong to the default network`);
      out.hosts += linkHostsLine({ alias: link.alias, childName: child.name, childHostname: child.config.Hostname ?? '', childIp });
      out.env.push(...linkEnv({ alias: link.alias, linkName, childIp, childEnv: child.config.Env, exposed: child.config.ExposedPorts }));
    }
    return out;
  }

  /** The image's /etc/passwd and /etc/group, read from its top-most layer that has them. */
  private imageUsers(topChain: string | undefined): UserDatabase {
    if (!topChain) return { passwd: [], group: [] };
    const dirs = [this.deps.snapshots.upperDir(topChain), ...this.deps.snapshots.lowerDirs(topChain)];
    const db: UserDatabase = { passwd: [], group: [] };
    for (const d of dirs) {
      const found = readUserDatabase(d);
      if (!db.passwd.length && found.passwd.length) db.passwd = found.passwd;
      if (!db.group.length && found.group.length) db.group = found.group;
    }
    return db;
  }

  private checkSpec(o: { id: string; config: Container['config']; hostConfig: HostConfig; users: UserDatabase }): string[] {
    const { warnings } = generateSpec({
      id: o.id,
      config: o.config,
      hostConfig: o.hostConfig,
      rootfsPath: '/nonexistent',
      users: o.users,
      cgroupParent: this.deps.cgroupParent,
      devices: devicesForHostConfig(o.hostConfig),
      host: detectHostInfo(),
    });
    return warnings;
  }

  // ---------------------------------------------------------------- start

  async start(ref: string): Promise<void> {
    const c = this.store.mustFind(ref);
    await this.locks.run(c.id, async () => {
      const cur = this.store.get(c.id)!;
      if (cur.state.Paused) throw new ConflictError('cannot start a paused container, try unpause instead');
      if (cur.state.Running) throw new NotModifiedError();
      if (cur.state.Status === 'removing') throw new ConflictError(`container ${cur.id} is marked for removal and cannot be started`);
      this.cancelRestart(cur.id);
      cur.book.manuallyStopped = false;
      await this.startLocked(cur);
    });
  }

  private async startLocked(c: Container): Promise<void> {
    // Neither the runtime state of the last run nor a docker cp's mount of the snapshot may remain.
    await Promise.all([this.runtimeDeletes.get(c.id)?.(), temporaryMountsReleased(c.id)]);
    this.cleanedUp.delete(c.id);
    const t0 = performance.now();
    const marks: Record<string, number> = {};
    const mark = (name: string) => (marks[name] = Math.round((performance.now() - t0) * 10) / 10);
    const rootfs = this.rootfsPath(c.id);
    const dir = this.containerDir(c.id);
    let mounted = false;
    let networked = false;
    try {
      const links = this.legacyLinks(c);
      // The rootfs mount and the network sandbox are independent: prepare them side by side.
      const [mount, network] = await Promise.allSettled([
        mkdir(rootfs, { recursive: true }).then(() => mountRootfs(this.deps.snapshots.mounts(c.snapshotKey), rootfs)),
        this.deps.networking.setup(c),
      ]);
      mounted = mount.status === 'fulfilled';
      networked = network.status === 'fulfilled';
      if (mount.status === 'rejected') throw mount.reason;
      if (network.status === 'rejected') throw network.reason;
      const net = network.value;
      mark('mounted+network');
      c.networking = net.networking;
      const etc = etcPaths(dir);
      await writeEtcFiles(etc, { hostname: c.config.Hostname || c.id.slice(0, 12), hosts: net.hosts + links.hosts, resolvConf: net.resolvConf });
      const extraMounts = this.deps.mountsFor ? await this.deps.mountsFor(c) : [];
      const { spec } = generateSpec({
        id: c.id,
        config: c.config,
        hostConfig: c.hostConfig,
        rootfsPath: rootfs,
        users: readUserDatabase(rootfs),
        netnsPath: net.netnsPath,
        hostsFile: etc.hosts,
        hostnameFile: etc.hostname,
        resolvConfFile: etc.resolvConf,
        cgroupParent: this.deps.cgroupParent,
        extraMounts,
        devices: devicesForHostConfig(c.hostConfig),
        linkEnv: links.env,
        host: detectHostInfo(),
      });
      mark('spec');
      const createOptions: CreateOptions = {
        id: c.id,
        name: c.name,
        spec,
        runtime: c.hostConfig.Runtime && isRuntimeName(c.hostConfig.Runtime) ? c.hostConfig.Runtime : undefined,
        logPath: this.logPath(c.id),
        openStdin: c.config.OpenStdin === true,
        // Docker never closes a TTY's stdin when a client detaches (ctrl-p ctrl-q, then attach again).
        stdinOnce: c.config.StdinOnce === true && c.config.Tty !== true,
      };
      const { pid } = await this.deps.runtime.create(this.deps.runtimeOptions ? this.deps.runtimeOptions(c, createOptions) : createOptions);
      // Only now: create has removed the last run's exit file, which must not read as this run's.
      // An exit from here on is not missed, as the wait reads a file that is already there.
      const exited = this.deps.runtime.wait(c.id);
      mark('created');
      if (net.privateNetns) c.networking = { ...c.networking, SandboxKey: `/proc/${pid}/ns/net` };
      this.connectPendingAttaches(c.id);
      await this.deps.runtime.start(c.id);
      mark('started');
      const now = new Date().toISOString();
      c.state = { ...c.state, Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: pid, ExitCode: 0, Error: '', StartedAt: now, FinishedAt: c.state.FinishedAt };
      c.book.hasBeenStarted = true;
      this.store.save(c);
      this.event(c, 'start');
      this.deps.log.debug('container started', { id: c.id.slice(0, 12), ...marks });
      this.followExit(c.id, exited);
    } catch (err) {
      this.failPendingAttaches(c.id, err);
      await this.deps.runtime.delete(c.id, { force: true }).catch(() => undefined);
      if (networked) await this.deps.networking.teardown(c).catch(() => undefined);
      if (mounted) await this.releaseRootfs(c.id);
      c.state = { ...c.state, Status: c.book.hasBeenStarted ? 'exited' : 'created', Running: false, Pid: 0, Error: errorMessage(err), ExitCode: exitCodeFor(err) };
      this.store.save(c);
      if (c.hostConfig.AutoRemove) {
        // Docker removes an --rm container whose start failed; do it once this start's lock is released.
        setImmediate(() => void this.remove(c.id, { force: true, volumes: true }).catch(() => undefined));
      }
      throw startError(err);
    }
  }

  /** Handles the exit once `exited` resolves; a failure on the way is logged, never left to float. */
  private followExit(id: string, exited: Promise<ExitInfo>): void {
    void exited.then(
      (exit) => this.onExit(id, exit).catch((err: unknown) => this.deps.log.error('handling the container exit failed', { id, err: errorMessage(err) })),
      (err: unknown) => this.deps.log.error('lost track of container exit', { id, err: errorMessage(err) }),
    );
  }

  /** What happens when the container's process is gone: record, clean up, maybe restart. */
  private async onExit(id: string, exit: ExitInfo): Promise<void> {
    await this.locks.run(id, async () => {
      const c = this.store.get(id);
      if (!c) return;
      await this.cleanupAfterExit(c);
      // As Docker: a stopped container publishes nothing and holds no addresses.
      c.networking = {
        ...c.networking,
        Ports: {},
        SandboxKey: '',
        Networks: Object.fromEntries(Object.entries(c.networking.Networks ?? {}).map(([n, e]) => [n, { ...e, IPAddress: '', IPPrefixLen: 0, Gateway: '', MacAddress: '', EndpointID: '' }])),
      };
      c.state = {
        ...c.state,
        Status: 'exited',
        Running: false,
        Paused: false,
        Restarting: false,
        Pid: 0,
        ExitCode: exit.exitCode,
        OOMKilled: exit.oomKilled,
        FinishedAt: exit.exitedAt.toISOString(),
      };
      if (c.state.Health) c.state.Health = { ...c.state.Health, Status: 'unhealthy' === c.state.Health.Status ? 'unhealthy' : c.state.Health.Status };
      const restart = !this.closing && !c.hostConfig.AutoRemove && shouldRestart(c, exit.exitCode);
      if (restart) {
        c.state.Status = 'restarting';
        c.state.Restarting = true;
      }
      this.store.save(c);
      if (exit.oomKilled) this.event(c, 'oom');
      this.event(c, 'die', { exitCode: String(exit.exitCode) });
      this.waiters.exited(id, exit.exitCode);
      if (restart) this.scheduleRestart(c, Date.now() - Date.parse(c.state.StartedAt));
    });
    const after = this.store.get(id);
    if (after?.hostConfig.AutoRemove && !this.closing) {
      await this.remove(id, { force: true, volumes: true }).catch((err: unknown) => this.deps.log.warn('auto-remove failed', { id, err: errorMessage(err) }));
    }
    void this.runtimeDeletes.get(id)?.();
  }

  private async cleanupAfterExit(c: Container): Promise<void> {
    if (this.cleanedUp.has(c.id)) return;
    // The process is gone. Its sandbox and rootfs mount go before anyone hears of the exit:
    // others may need them (a network to remove, the rootfs to mount for cp). The runtime's
    // own state (runc state and cgroups, bundle, conmon's files) is in nobody's way: its
    // delete begins once the exit is handled (onExit, remove), so that neither its ~10 ms nor
    // the spawn that blocks the event loop delays the answer. start waits for it, close
    // drains it, and what a killed berthd left of it is swept at its next start (restore).
    this.putOffRuntimeDelete(c.id);
    await Promise.all([
      this.deps.networking.teardown(c).catch((err: unknown) => this.deps.log.warn('network cleanup failed', { id: c.id, err: errorMessage(err) })),
      this.releaseRootfs(c.id),
    ]);
    await rm(this.rootfsPath(c.id), { recursive: true, force: true }).catch(() => undefined);
    this.cleanedUp.add(c.id);
  }

  /**
   * Unmounts the rootfs of a container whose process is gone. Still busy after the unmount's
   * retries, it is held by a process of the container that outlived its init (one outside
   * its PID namespace) or by one on the host (a shell in MergedDir): the runtime delete kills
   * what is left in its cgroup, the unmount is tried again, and at last the mount is detached
   * lazily, as Docker's overlay2 driver always does, so that none stays behind.
   */
  private async releaseRootfs(id: string): Promise<void> {
    const rootfs = this.rootfsPath(id);
    try {
      await unmountRootfs(rootfs);
      return;
    } catch (err) {
      this.deps.log.warn('rootfs still busy; deleting the runtime state first', { id, err: errorMessage(err) });
    }
    await this.runtimeDeletes.get(id)?.();
    await unmountRootfs(rootfs).catch(async (err: unknown) => {
      this.deps.log.warn('rootfs still busy; detaching it', { id, err: errorMessage(err) });
      await unmountRootfs(rootfs, { lazy: true }).catch((e: unknown) => this.deps.log.warn('rootfs unmount failed', { id, err: errorMessage(e) }));
    });
  }

  private putOffRuntimeDelete(id: string): void {
    let done: Promise<void> | undefined;
    const begin = () =>
      (done ??= this.deps.runtime
        .delete(id, { force: true })
        .catch((err: unknown) => this.deps.log.warn('runtime cleanup failed', { id, err: errorMessage(err) }))
        .finally(() => {
          if (this.runtimeDeletes.get(id) === begin) this.runtimeDeletes.delete(id);
        }));
    this.runtimeDeletes.set(id, begin);
  }

  private scheduleRestart(c: Container, ranForMs: number): void {
    const delay = this.backoff.next(c.id, ranForMs);
    const timer = setTimeout(() => {
      this.restartTimers.delete(c.id);
      void this.locks
        .run(c.id, async () => {
          const cur = this.store.get(c.id);
          if (!cur || cur.state.Status !== 'restarting') return;
          cur.book.restartCount++;
          await this.startLocked(cur);
          this.event(cur, 'restart');
        })
        .catch((err: unknown) => this.deps.log.warn('restart failed', { id: c.id, err: errorMessage(err) }));
    }, delay);
    timer.unref();
    this.restartTimers.set(c.id, timer);
  }

  private cancelRestart(id: string): boolean {
    const t = this.restartTimers.get(id);
    if (!t) return false;
    clearTimeout(t);
    this.restartTimers.delete(id);
    return true;
  }

  // ---------------------------------------------------------------- attach before start

  /** Streams of the container's process; waits for the start when it has not started yet. */
  attachStreams(id: string): Promise<AttachStream> {
    const c = this.store.mustFind(id);
    if (c.state.Running) return this.deps.runtime.attach(c.id);
    return new Promise((resolve, reject) => {
      const list = this.pendingAttach.get(c.id) ?? [];
      list.push((io) => io.then(resolve, reject));
      this.pendingAttach.set(c.id, list);
    });
  }

  /** Drops pending attaches of a container that will not start (client gone). */
  cancelPendingAttaches(id: string): void {
    this.pendingAttach.delete(id);
  }

  private connectPendingAttaches(id: string): void {
    const list = this.pendingAttach.get(id);
    if (!list) return;
    this.pendingAttach.delete(id);
    for (const hook of list) hook(this.deps.runtime.attach(id));
  }

  private failPendingAttaches(id: string, err: unknown): void {
    const list = this.pendingAttach.get(id);
    if (!list) return;
    this.pendingAttach.delete(id);
    for (const hook of list) hook(Promise.reject(err));
  }

  // ---------------------------------------------------------------- stop, kill, restart

  async stop(ref: string, opts: { timeoutSeconds?: number; signal?: string } = {}): Promise<void> {
    const c = this.store.mustFind(ref);
    if (this.cancelRestart(c.id)) {
      await this.locks.run(c.id, async () => {
        const cur = this.store.get(c.id)!;
        cur.state = { ...cur.state, Status: 'exited', Restarting: false };
        cur.book.manuallyStopped = true;
        this.store.save(cur);
      });
      return;
    }
    if (!c.state.Running) throw new NotModifiedError();
    await this.stopRunning(c, opts);
  }

  private async stopRunning(c: Container, opts: { timeoutSeconds?: number; signal?: string }): Promise<void> {
    const exited = this.waiters.wait(c.id, 'exit');
    await this.markStopping(c.id, { thaw: true });
    const signal = opts.signal || c.config.StopSignal || 'SIGTERM';
    const timeout = opts.timeoutSeconds ?? c.config.StopTimeout ?? DEFAULT_STOP_TIMEOUT_S;
    await this.signal(c, signal).catch(() => undefined);
    if (timeout >= 0) {
      const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeout * 1000).unref());
      if ((await Promise.race([exited, timer])) === 'timeout') await this.signal(c, 'SIGKILL').catch(() => undefined);
    }
    await exited;
    this.event(this.store.get(c.id) ?? c, 'stop');
  }

  /** Sends a signal, then records Docker's `kill` event for it (the signal as its number). */
  private async signal(c: Container, signal: string): Promise<void> {
    await this.deps.runtime.kill(c.id, signal);
    this.event(c, 'kill', { signal: String(signalNumber(signal)) });
  }

  /**
   * Records an explicit stop (restart policies then leave the container alone) and, when
   * asked, thaws a paused container so the signal that follows can be delivered.
   */
  private markStopping(id: string, opts: { thaw: boolean }): Promise<void> {
    return this.locks.run(id, async () => {
      const cur = this.store.get(id)!;
      cur.book.manuallyStopped = true;
      this.store.save(cur);
      if (opts.thaw && cur.state.Paused) await this.deps.runtime.resume(cur.id).catch(() => undefined);
    });
  }

  /** As Docker's: every failure, a bad signal first, reads `cannot kill container: <ref>: …`. */
  async kill(ref: string, signal = 'SIGKILL'): Promise<void> {
    try {
      await this.killContainer(ref, signal);
    } catch (err) {
      throw wrapError(err, `cannot kill container: ${ref}`);
    }
  }

  private async killContainer(ref: string, signal: string): Promise<void> {
    checkSignal(signal);
    const c = this.store.mustFind(ref);
    if (!c.state.Running) throw notRunning(c.id);
    const killing = /^(SIG)?KILL$|^9$/.test(signal.toUpperCase());
    if (killing) await this.markStopping(c.id, { thaw: false });
    const exited = killing ? this.waiters.wait(c.id, 'exit') : undefined;
    await this.signal(c, signal);
    if (exited) await exited;
  }

  async restart(ref: string, opts: { timeoutSeconds?: number; signal?: string } = {}): Promise<void> {
    const c = this.store.mustFind(ref);
    if (c.state.Running) await this.stopRunning(c, opts);
    this.cancelRestart(c.id);
    await this.start(c.id);
    this.event(this.store.get(c.id)!, 'restart');
  }

  async pause(ref: string): Promise<void> {
    const c = this.store.mustFind(ref);
    await this.locks.run(c.id, async () => {
      const cur = this.store.get(c.id)!;
      if (cur.state.Restarting) throw isRestarting(cur.id);
      if (!cur.state.Running) throw notRunning(cur.id);
      if (cur.state.Paused) throw new ConflictError(`Container ${cur.id} is already paused`);
      await this.deps.runtime.pause(cur.id);
      cur.state = { ...cur.state, Status: 'paused', Paused: true };
      this.store.save(cur);
      this.event(cur, 'pause');
    });
  }

  async unpause(ref: string): Promise<void> {
    const c = this.store.mustFind(ref);
    await this.locks.run(c.id, async () => {
      const cur = this.store.get(c.id)!;
      if (!cur.state.Paused) throw new ConflictError(`Container ${cur.id} is not paused`);
      await this.deps.runtime.resume(cur.id);
      cur.state = { ...cur.state, Status: 'running', Paused: false };
      this.store.save(cur);
      this.event(cur, 'unpause');
    });
  }

  rename(ref: string, newName: string): void {
    const c = this.store.mustFind(ref);
    if (!newName) throw new InvalidParameterError('Neither old nor new names may be empty');
    // Docker's words for rename: the new name with its slash, after the step that failed.
    let name: string;
    try {
      name = normalizeName(newName.startsWith('/') ? newName : `/${newName}`);
    } catch (err) {
      throw new InvalidParameterError(`Error when allocating new name: ${errorMessage(err)}`);
    }
    if (name === c.name) throw new InvalidParameterError(`Renaming a container with the same name as its current name`);
    this.store.rename(c.id, name);
    this.event({ ...c, name }, 'rename', { oldName: `/${c.name}` });
  }

  async wait(ref: string, condition: WaitCondition = 'not-running', signal?: AbortSignal): Promise<WaitResult> {
    const c = this.store.mustFind(ref);
    if (condition === 'removed') return this.waiters.wait(c.id, 'removed', signal);
    if (condition === 'not-running' && !c.state.Running && c.state.Status !== 'restarting') return { StatusCode: c.state.ExitCode, Error: null };
    return this.waiters.wait(c.id, 'exit', signal);
  }

  // ---------------------------------------------------------------- remove

  async remove(ref: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    const c = this.store.mustFind(ref);
    if (c.state.Running && !opts.force) {
      throw new ConflictError(`You cannot remove a ${c.state.Paused ? 'paused' : 'running'} container ${c.id}. ${c.state.Paused ? 'Unpause and then stop' : 'Stop'} the container before attempting removal or force remove`);
    }
    this.cancelRestart(c.id);
    if (c.state.Running) {
      const exited = this.waiters.wait(c.id, 'exit');
      await this.markStopping(c.id, { thaw: true });
      await this.signal(c, 'SIGKILL').catch(() => undefined);
      await exited;
    }
    await this.locks.run(c.id, async () => {
      const cur = this.store.get(c.id);
      if (!cur) return;
      if (cur.state.Status === 'removing') throw new ConflictError(`removal of container ${cur.id} is already in progress`);
      cur.state = { ...cur.state, Status: 'removing' };
      this.store.save(cur);
      await this.cleanupAfterExit(cur);
      // Its layer, its volumes and its directory (config, logs) are apart: let go of them at once.
      await Promise.all([
        this.deps.snapshots.remove(cur.snapshotKey).catch((err: unknown) => {
          if (!(err instanceof NotFoundError)) throw err;
        }),
        this.deps.onRemove?.(cur, { volumes: opts.volumes === true }),
        rm(this.containerDir(cur.id), { recursive: true, force: true }),
      ]);
      this.deps.networking.forget?.(cur);
      this.store.delete(cur.id);
      this.cleanedUp.delete(cur.id);
      this.backoff.forget(cur.id);
      this.event(cur, 'destroy');
      this.waiters.removed(cur.id, cur.state.ExitCode);
    });
    // Waiters heard of the removal already; the caller returns once nothing of it is left.
    await this.runtimeDeletes.get(c.id)?.();
  }

  // ---------------------------------------------------------------- live restore

  /**
   * On berthd start: re-attach to containers that kept running under conmon, record exits
   * that happened while berthd was away, and start containers whose policy says so.
   */
  async restore(): Promise<void> {
    // Runtime state of containers that are not running (a delete cut short by a kill) goes
    // first, so that restarting them below does not find it in the way.
    const swept = await this.deps.runtime.sweep((id) => this.store.get(id)?.state.Running === true).catch((err: unknown) => {
      this.deps.log.warn('cannot sweep runtime leftovers', { err: errorMessage(err) });
      return [];
    });
    if (swept.length) this.deps.log.info('removed runtime leftovers', { count: swept.length });
    for (const c of this.store.all()) {
      try {
        if (c.state.Status === 'removing') {
          await this.remove(c.id, { force: true });
          continue;
        }
        if (c.state.Running || c.state.Status === 'restarting') {
          const rec = await this.deps.runtime.recover(c.id);
          if (rec.status === 'running' || rec.status === 'paused') {
            this.followExit(c.id, this.deps.runtime.wait(c.id));
            if (rec.status === 'paused' !== c.state.Paused) {
              c.state = { ...c.state, Paused: rec.status === 'paused', Status: rec.status };
              this.store.save(c);
            }
            this.deps.log.info('re-attached to running container', { id: c.id.slice(0, 12), pid: rec.pid });
            continue;
          }
          const exit: ExitInfo = rec.exit ?? { exitCode: 255, exitedAt: new Date(), oomKilled: false };
          await this.onExit(c.id, exit);
          if (rec.status === 'missing' && startsWithDaemon(c)) await this.start(c.id).catch(() => undefined);
          continue;
        }
        if (startsWithDaemon(c) && c.book.hasBeenStarted && !c.state.Running) await this.start(c.id);
      } catch (err) {
        this.deps.log.warn('cannot restore container', { id: c.id.slice(0, 12), err: errorMessage(err) });
      }
    }
  }

  /** Stops restart timers and finishes runtime deletes; containers themselves keep running (live restore). */
  async close(): Promise<void> {
    this.closing = true;
    for (const t of this.restartTimers.values()) clearTimeout(t);
    this.restartTimers.clear();
    await Promise.all([...this.runtimeDeletes.values()].map((begin) => begin()));
  }

  /**
   * Changes a container's row under its lock (health status, resources after update), so
   * concurrent lifecycle changes are never overwritten. Returns the saved container.
   */
  async mutate(ref: string, change: (c: Container) => void): Promise<Container> {
    const c = this.store.mustFind(ref);
    return this.locks.run(c.id, async () => {
      const cur = this.store.mustFind(c.id);
      change(cur);
      this.store.save(cur);
      return cur;
    });
  }

  // ---------------------------------------------------------------- what others ask

  countsByState(): { running: number; paused: number; stopped: number } {
    const out = { running: 0, paused: 0, stopped: 0 };
    for (const c of this.store.all()) {
      if (c.state.Paused) out.paused++;
      else if (c.state.Running) out.running++;
      else out.stopped++;
    }
    return out;
  }

  usersOfImage(imageId: string): { id: string; running: boolean }[] {
    return this.store
      .all()
      .filter((c) => c.imageId === imageId)
      .map((c) => ({ id: c.id, running: c.state.Running }));
  }

  countsByImage(): Map<string, number> {
    const out = new Map<string, number>();
    for (const c of this.store.all()) out.set(c.imageId, (out.get(c.imageId) ?? 0) + 1);
    return out;
  }

  snapshotKeys(): string[] {
    return this.store.all().map((c) => c.snapshotKey);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Docker's codes for a process that could not be started: 127 not found, 126 not executable. */
function exitCodeFor(err: unknown): number {
  const m = errorMessage(err);
  if (/executable file not found|no such file or directory/i.test(m)) return 127;
  if (/permission denied/i.test(m)) return 126;
  return 128;
}

function startError(err: unknown): Error {
  const m = dockerRuntimeMessage(errorMessage(err));
  if (/executable file not found|no such file or directory|permission denied/i.test(m)) {
    return new SystemError(`failed to create task for container: failed to create shim task: OCI runtime create failed: ${m}: unknown`, { cause: err });
  }
  return err instanceof Error ? err : new SystemError(m);
}
