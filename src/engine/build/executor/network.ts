/**
 * Networking for RUN steps. The executor asks for a sandbox before a step runs and gives it
 * back afterwards: the default bridge (as Docker's classic builder), the host's network, or a
 * namespace with only loopback (`--network=none`).
 */
import { randomBytes } from 'node:crypto';
import { hostResolvConf, hostsFile } from '../../containers/etc-files.js';

export interface BuildSandbox {
  /** Network namespace to join; absent means the host's (mode host) or a fresh one (mode none). */
  netnsPath?: string;
  /** True when the step shares the host's network namespace. */
  hostNetwork: boolean;
  resolvConf: string;
  hosts: string;
}

export interface BuildNetwork {
  setup(id: string, opts: { extraHosts?: string[] }): Promise<BuildSandbox>;
  /** `reusable: false` when the step's processes may not all be gone. */
  teardown(id: string, opts?: { reusable?: boolean }): Promise<void>;
}

/** The host's network namespace, resolv.conf and a localhost hosts file. */
export class HostBuildNetwork implements BuildNetwork {
  async setup(_id: string, opts: { extraHosts?: string[] }): Promise<BuildSandbox> {
    return { hostNetwork: true, resolvConf: hostResolvConf(), hosts: hostsFile({ hostname: 'buildkitsandbox', extraHosts: opts.extraHosts }) };
  }
  async teardown(): Promise<void> {}
}

/** A fresh network namespace with only loopback. */
export class NoneBuildNetwork implements BuildNetwork {
  async setup(_id: string, opts: { extraHosts?: string[] }): Promise<BuildSandbox> {
    return { hostNetwork: false, resolvConf: '', hosts: hostsFile({ hostname: 'buildkitsandbox', extraHosts: opts.extraHosts }) };
  }
  async teardown(): Promise<void> {}
}

export type BuildNetworkMode = 'default' | 'host' | 'none';

/** Which network a step gets: `RUN --network` wins, then the build's `networkmode`. */
export interface BuildNetworks {
  default: BuildNetwork;
  host: BuildNetwork;
  none: BuildNetwork;
}

export function defaultBuildNetworks(bridge?: BuildNetwork): BuildNetworks {
  const host = new HostBuildNetwork();
  return { default: bridge ?? host, host, none: new NoneBuildNetwork() };
}

/** The subset of the network service a build step needs (engine/networks implements it). */
export interface SandboxProvider {
  prepareSandbox(id: string, opts: { name: string; mode: 'bridge'; hostname: string; extraHosts?: string[] }): Promise<{ netnsPath: string }>;
  attach(id: string, netnsPath: string, network: string): Promise<unknown>;
  resolvConf(id: string): string;
  hostsEntries(id: string): string;
  releaseSandbox(id: string): Promise<void>;
  sandboxIdsNamed(prefix: string): string[];
}

/** Sandbox names of the builder: they never outlive the berthd that made them. */
const SANDBOX_PREFIX = 'build-';
/** How long an idle sandbox waits for the next RUN step, and how many may wait. */
const IDLE_MS = 30_000;
const MAX_IDLE = 4;

interface PooledSandbox {
  id: string;
  key: string;
  sandbox: BuildSandbox;
  timer?: NodeJS.Timeout;
}

/**
 * RUN steps on the default bridge, as Docker's classic builder: NAT to the outside, no
 * published ports. Sandboxes (a netns with its veth and address) are pooled, as BuildKit pools
 * them: making one and taking it down costs two thirds of a short RUN step, and a step cannot
 * change it (no CAP_NET_ADMIN; its processes are gone when it is handed back). A sandbox idle
 * for IDLE_MS is released; `close` releases all, and leftovers of a crashed berthd are released
 * by `releaseLeftovers` at start.
 */
export class BridgeBuildNetwork implements BuildNetwork {
  private readonly idle: PooledSandbox[] = [];
  private readonly inUse = new Map<string, PooledSandbox>();

  constructor(private readonly networks: SandboxProvider) {}

  async setup(stepId: string, opts: { extraHosts?: string[] }): Promise<BuildSandbox> {
    const key = JSON.stringify(opts.extraHosts ?? []);
    const i = this.idle.findIndex((p) => p.key === key);
    const pooled = i >= 0 ? this.idle.splice(i, 1)[0]! : await this.create(key, opts.extraHosts);
    clearTimeout(pooled.timer);
    this.inUse.set(stepId, pooled);
    return pooled.sandbox;
  }

  async teardown(stepId: string, opts: { reusable?: boolean } = {}): Promise<void> {
    const pooled = this.inUse.get(stepId);
    if (!pooled) return;
    this.inUse.delete(stepId);
    if (opts.reusable === false || this.idle.length >= MAX_IDLE) {
      await this.networks.releaseSandbox(pooled.id);
      return;
    }
    pooled.timer = setTimeout(() => {
      const at = this.idle.indexOf(pooled);
      if (at >= 0) this.idle.splice(at, 1);
      void this.networks.releaseSandbox(pooled.id).catch(() => undefined);
    }, IDLE_MS);
    pooled.timer.unref();
    this.idle.push(pooled);
  }

  /** Releases the idle sandboxes (those in use go when their step hands them back). */
  async close(): Promise<void> {
    const all = this.idle.splice(0);
    for (const p of all) clearTimeout(p.timer);
    await Promise.all(all.map((p) => this.networks.releaseSandbox(p.id).catch(() => undefined)));
  }

  /** Sandboxes a previous berthd left behind (killed while building). */
  async releaseLeftovers(): Promise<void> {
    for (const id of this.networks.sandboxIdsNamed(SANDBOX_PREFIX)) await this.networks.releaseSandbox(id).catch(() => undefined);
  }

  private async create(key: string, extraHosts: string[] | undefined): Promise<PooledSandbox> {
    const id = randomBytes(32).toString('hex');
    const { netnsPath } = await this.networks.prepareSandbox(id, { name: `${SANDBOX_PREFIX}${id.slice(0, 12)}`, mode: 'bridge', hostname: 'buildkitsandbox', extraHosts });
    try {
      await this.networks.attach(id, netnsPath, 'bridge');
      return { id, key, sandbox: { netnsPath, hostNetwork: false, resolvConf: this.networks.resolvConf(id), hosts: this.networks.hostsEntries(id) } };
    } catch (err) {
      await this.networks.releaseSandbox(id).catch(() => undefined);
      throw err;
    }
  }
}
