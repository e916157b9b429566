import { hostsFile, hostResolvConf, resolvConfWith } from './etc-files.js';
import type { Container, NetworkingState } from './model.js';

/** What the network layer gives a container before its process starts. */
export interface SandboxSetup {
  /** Network namespace for runc to join; undefined means the host's (NetworkMode host) or a fresh empty one. */
  netnsPath?: string;
  networking: NetworkingState;
  hosts: string;
  resolvConf: string;
}

/**
 * The seam between containers and networks: the container service asks for a sandbox at
 * start and gives it back at exit. The bridge/DNS implementation lives in engine/networks.
 */
export interface ContainerNetworking {
  setup(c: Container): Promise<SandboxSetup>;
  teardown(c: Container): Promise<void>;
  /** The live endpoints of a running container (connect/disconnect change them after start). */
  endpoints?(c: Container): Container['networking']['Networks'];
  /** The container is removed: forget what the network layer recorded for it. */
  forget?(c: Container): void;
}

/**
 * Networking for `none` and `host` modes only: a fresh namespace with loopback (created by the
 * runtime), or the host's. Used when no network service is configured.
 */
export class IsolatedNetworking implements ContainerNetworking {
  async setup(c: Container): Promise<SandboxSetup> {
    const hc = c.hostConfig;
    const host = hc.NetworkMode === 'host';
    const resolv = resolvConfWith(host ? hostResolvConf() : hostResolvConf(), { dns: hc.Dns ?? undefined, search: hc.DnsSearch ?? undefined, options: hc.DnsOptions ?? undefined });
    return {
      networking: { Networks: {}, Ports: {}, SandboxKey: '' },
      hosts: hostsFile({ hostname: c.config.Hostname ?? c.id.slice(0, 12), domainname: c.config.Domainname, extraHosts: hc.ExtraHosts ?? undefined }),
      resolvConf: resolv,
    };
  }

  async teardown(): Promise<void> {}
}
