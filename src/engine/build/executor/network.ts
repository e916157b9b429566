/**
 * Networking for RUN steps. The executor asks for a sandbox before a step runs and gives it
 * back afterwards; the bridge implementation will come from engine/networks. Until then the
 * builder's default is the host network (Docker's classic builder uses the default bridge).
 */
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
  teardown(id: string): Promise<void>;
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
}

/** RUN steps on the default bridge, as Docker's classic builder: NAT to the outside, no published ports. */
export class BridgeBuildNetwork implements BuildNetwork {
  constructor(private readonly networks: SandboxProvider) {}

  async setup(id: string, opts: { extraHosts?: string[] }): Promise<BuildSandbox> {
    const { netnsPath } = await this.networks.prepareSandbox(id, { name: `build-${id.slice(0, 12)}`, mode: 'bridge', hostname: id.slice(0, 12), extraHosts: opts.extraHosts });
    try {
      await this.networks.attach(id, netnsPath, 'bridge');
      return { netnsPath, hostNetwork: false, resolvConf: this.networks.resolvConf(id), hosts: this.networks.hostsEntries(id) };
    } catch (err) {
      await this.networks.releaseSandbox(id).catch(() => undefined);
      throw err;
    }
  }

  async teardown(id: string): Promise<void> {
    await this.networks.releaseSandbox(id);
  }
}
