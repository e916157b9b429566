import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RequestContext } from '../api/http.js';
import { collectGarbage } from '../engine/gc.js';
import { EventBus } from '../engine/events/bus.js';
import { ImageStore } from '../engine/images/image-store.js';
import { chainIds, type LayerUnpacker } from '../engine/images/layers.js';
import { pruneImages } from '../engine/images/prune.js';
import { ImageService } from '../engine/images/service.js';
import { ContentStore } from '../store/content.js';
import { openDatabase, type DB } from '../store/db.js';
import { LayerApplier } from '../store/snapshots/apply-layer.js';
import { OverlaySnapshotter } from '../store/snapshots/overlay.js';
import { NotImplementedError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type { DaemonConfig } from './config.js';
import { engineInfo } from './info.js';
import { cgroupParent, instanceName } from './instance.js';
import { removeEmptyCgroupParent } from '../runtime/cgroup-parent.js';
import { ConmonRuntime } from '../runtime/container-runtime.js';
import { isRuntimeName } from '../runtime/oci-runtime.js';
import { detectHostInfo } from '../runtime/spec/host-info.js';
import { makeSpreadDirectories, spreadSubdirectories } from '../sys/dir-placement.js';
import { ContainerService } from '../engine/containers/service.js';
import { ContainerStore } from '../engine/containers/store.js';
import { BridgeNetworking } from '../engine/containers/bridge-networking.js';
import { NetworkService } from '../engine/networks/service.js';
import { DistributionService } from '../engine/distribution/service.js';
import { httpDistribution } from '../api/routes/distribution.js';
import { ContainerMounts } from '../engine/containers/mounts.js';
import { VolumeService } from '../engine/volumes/service.js';
import { OpsServices } from '../engine/ops/index.js';
import { validateLogConfig } from '../engine/logging/options.js';

/** Pull and push, provided by the registry client once it is wired in. */
export interface Distribution {
  pull(ctx: RequestContext, image: string, tag: string | undefined, platform?: { os: string; architecture: string; variant?: string }): Promise<void>;
  push(ctx: RequestContext, image: string, tag: string | undefined): Promise<void>;
}

/** What the container service tells the rest of the engine. */
export interface ContainerDirectory {
  countsByState(): { running: number; paused: number; stopped: number };
  usersOfImage(imageId: string): { id: string; running: boolean }[];
  countsByImage(): Map<string, number>;
  snapshotKeys(): string[];
}

/**
 * The composition root: builds the stores and services for one berthd instance from its
 * config and hands them to the API routes. It holds references, not logic; each service
 * keeps its own.
 */
export class Engine {
  readonly startedAt = new Date();
  readonly db: DB;
  readonly content: ContentStore;
  readonly snapshots: OverlaySnapshotter;
  readonly layers: LayerUnpacker;
  readonly images: ImageService;
  readonly events = new EventBus();
  readonly scratchDir: string;
  distribution?: Distribution;
  distributionService?: DistributionService;
  containers?: ContainerDirectory;
  /** Set once the runtime is up (create): the container lifecycle. */
  containerService!: ContainerService;
  networks!: NetworkService;
  volumes!: VolumeService;
  runtime!: ConmonRuntime;
  /** Health checks, stats, metrics and log drivers (src/engine/ops). */
  ops!: OpsServices;
  readonly instance: string;

  private constructor(
    readonly config: DaemonConfig,
    readonly log: Logger,
  ) {
    mkdirSync(config.dataRoot, { recursive: true, mode: 0o711 });
    this.instance = instanceName(config);
    this.scratchDir = join(config.dataRoot, 'tmp');
    mkdirSync(this.scratchDir, { recursive: true, mode: 0o700 });
    // Build steps and image loads each make a directory here (sys/dir-placement.ts).
    spreadSubdirectories(this.scratchDir);
    this.db = openDatabase(join(config.dataRoot, 'berth.db'));
    this.content = new ContentStore(join(config.dataRoot, 'content'));
    this.snapshots = new OverlaySnapshotter({ db: this.db, root: config.dataRoot });
    const applier = new LayerApplier(this.snapshots);
    const snapshots = this.snapshots;
    this.layers = {
      applyLayer: (o) => applier.applyLayer(o),
      hasChain: (c) => snapshots.stat(c)?.kind === 'committed',
      layerSize: (c) => snapshots.stat(c)?.size ?? 0,
    };
    this.images = new ImageService({
      images: new ImageStore(this.db),
      content: this.content,
      layers: this.layers,
      log: log.child({ component: 'images' }),
      imageUsers: (id) => this.containers?.usersOfImage(id) ?? [],
      onEvent: (e) => this.events.publish('image', e.action, e.id, e.name ? { name: e.name } : {}),
    });
    this.images.gcHook = () => this.images.gcLock.exclusive(async () => (await this.collectGarbage()).bytesFreed);
    this.distributionService = new DistributionService({ images: this.images, db: this.db, settings: config, maxConcurrentDownloads: config.maxConcurrentDownloads, maxConcurrentUploads: config.maxConcurrentUploads, log: log.child({ component: 'distribution' }) });
    this.distribution = httpDistribution(this.distributionService);
  }

  static async create(config: DaemonConfig, log: Logger): Promise<Engine> {
    const engine = new Engine(config, log);
    await engine.content.init();
    const leftovers = await engine.snapshots.cleanup();
    if (leftovers.length) log.info('removed unfinished layer extractions', { count: leftovers.length });
    engine.runtime = await ConmonRuntime.open({
      runRoot: join(config.execRoot, 'runtime'),
      bundleRoot: join(config.execRoot, 'bundles'),
      runtime: config.defaultRuntime !== undefined && isRuntimeName(config.defaultRuntime) ? config.defaultRuntime : undefined,
    });
    // Read the host facts (the kernel symbol table among them, ~50 ms) now, not in the first start.
    detectHostInfo();
    const containerStore = new ContainerStore(engine.db);
    engine.networks = new NetworkService({
      db: engine.db,
      dataRoot: config.dataRoot,
      execRoot: config.execRoot,
      instanceName: engine.instance || undefined,
      bip: config.bip,
      icc: config.icc,
      log: log.child({ component: 'networks' }),
    });
    engine.networks.setContainerLookup({
      resolve: (ref) => {
        const c = containerStore.mustFind(ref);
        return { id: c.id, name: c.name, netnsPath: c.networking.SandboxKey || undefined, running: c.state.Running };
      },
    });
    await engine.networks.reconcile();
    engine.volumes = new VolumeService({ db: engine.db, root: join(config.dataRoot, 'volumes'), events: engine.events, log: log.child({ component: 'volumes' }) });
    const mounts = new ContainerMounts({
      volumes: engine.volumes,
      findContainer: (ref) => containerStore.find(ref),
      containerDir: (id) => engine.containerService.containerDir(id),
      rootfsPath: (id) => engine.containerService.rootfsPath(id),
      events: engine.events,
      log: log.child({ component: 'mounts' }),
    });
    engine.volumes.usesSettled = () => mounts.settled();
    await engine.volumes.restore((id) => containerStore.get(id)?.state.Running === true);
    const containersDir = join(config.dataRoot, 'containers');
    const rootfsDir = join(config.execRoot, 'rootfs');
    // Each gets a directory per container: spread them over the disk (sys/dir-placement.ts).
    await makeSpreadDirectories([containersDir, rootfsDir]);
    engine.containerService = new ContainerService({
      store: containerStore,
      images: engine.images,
      snapshots: engine.snapshots,
      runtime: engine.runtime,
      networking: new BridgeNetworking(engine.networks, containerStore),
      events: engine.events,
      log: log.child({ component: 'containers' }),
      containersDir,
      rootfsDir,
      cgroupParent: cgroupParent(engine.instance),
      mountsFor: (c) => mounts.mountsFor(c),
      onRemove: (c, o) => mounts.onRemove(c, o),
      mountsSettled: () => mounts.settled(),
      checkCreate: (c) => {
        // Docker records the effective log driver (the daemon's default when none was asked for).
        const log = validateLogConfig(c.hostConfig.LogConfig, { driver: config.logDriver, opts: config.logOpts });
        c.hostConfig.LogConfig = { Type: log.driver, Config: log.opts };
        mounts.validate(c);
      },
      runtimeOptions: (_c, o) => engine.ops.logShipping.prepareCreate(o),
    });
    engine.containers = engine.containerService;
    engine.ops = new OpsServices({
      containers: engine.containerService,
      images: engine.images,
      events: engine.events,
      log,
      cgroupParent: cgroupParent(engine.instance),
      logDriver: config.logDriver,
      logOpts: config.logOpts,
    });
    await engine.containerService.restore();
    await engine.images.gc();
    return engine;
  }

  collectGarbage() {
    return collectGarbage({
      db: this.db,
      images: this.images.images,
      content: this.content,
      snapshots: this.snapshots,
      log: this.log.child({ component: 'gc' }),
      snapshotRoots: () => this.containers?.snapshotKeys() ?? [],
    });
  }

  info(): Promise<Record<string, unknown>> {
    return engineInfo(this);
  }

  componentVersions(): { Name: string; Version: string; Details?: Record<string, string> }[] {
    return [];
  }

  containerCountsByImage(): Map<string, number> | undefined {
    return this.containers?.countsByImage();
  }

  /** Overlay directories of an image's top layer, as `docker image inspect` shows them. */
  async graphDriverData(name: string): Promise<Record<string, string>> {
    const { config } = await this.images.configOf(name);
    const top = chainIds(config.rootfs.diff_ids).at(-1);
    if (!top || !this.layers.hasChain(top)) return {};
    const lower = this.snapshots.lowerDirs(top);
    return { UpperDir: this.snapshots.upperDir(top), ...(lower.length ? { LowerDir: lower.join(':') } : {}) };
  }

  pruneImages(filters: Map<string, string[]>) {
    return pruneImages(this.images, filters);
  }

  async pullImage(ctx: RequestContext, image: string, tag: string | undefined, platform?: { os: string; architecture: string; variant?: string }): Promise<void> {
    if (!this.distribution) throw new NotImplementedError('this berthd has no registry client: pulling images is not available');
    await this.distribution.pull(ctx, image, tag, platform);
  }

  async pushImage(ctx: RequestContext, image: string, tag: string | undefined): Promise<void> {
    if (!this.distribution) throw new NotImplementedError('this berthd has no registry client: pushing images is not available');
    await this.distribution.push(ctx, image, tag);
  }

  async close(): Promise<void> {
    void this.networks?.close();
    await this.containerService?.close();
    if (this.containerService && this.containerService.countsByState().running + this.containerService.countsByState().paused === 0) {
      removeEmptyCgroupParent(cgroupParent(this.instance));
    }
    this.runtime?.close();
    this.db.close();
  }
}
