import { createHash } from 'node:crypto';
import type { EndpointSettings as ApiEndpointSettings } from '../../api/types/container.js';
import { InvalidParameterError, NotFoundError } from '../../util/errors.js';
import type { NetworkService } from '../networks/service.js';
import type { EndpointConfig } from '../networks/types.js';
import type { Container } from './model.js';
import type { ContainerNetworking, SandboxSetup } from './networking.js';
import type { ContainerStore } from './store.js';

/** What `HostConfig.NetworkMode` asks for. */
type Mode = { kind: 'bridge'; network: string } | { kind: 'host' } | { kind: 'none' } | { kind: 'container'; ref: string };

export function parseNetworkMode(mode: string | undefined): Mode {
  const m = mode || 'default';
  if (m === 'default' || m === 'bridge') return { kind: 'bridge', network: 'bridge' };
  if (m === 'host') return { kind: 'host' };
  if (m === 'none') return { kind: 'none' };
  if (m.startsWith('container:')) {
    const ref = m.slice('container:'.length);
    if (!ref) throw new InvalidParameterError('invalid network mode: container: needs a container name or ID');
    return { kind: 'container', ref };
  }
  return { kind: 'bridge', network: m };
}

/** An endpoint without an address (Docker's on the host and none networks). */
function unattachedEndpoint(): ApiEndpointSettings {
  return {
    IPAMConfig: null,
    Links: null,
    Aliases: null,
    MacAddress: '',
    DriverOpts: null,
    NetworkID: '',
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: null,
  };
}

/**
 * Containers on berth's networks: a namespace per container, an endpoint on its primary
 * network (NetworkMode) plus those of NetworkingConfig and `network connect` made while it
 * was stopped, published ports, and the resolv.conf/hosts the network layer renders.
 */
export class BridgeNetworking implements ContainerNetworking {
  constructor(
    private readonly networks: NetworkService,
    private readonly containers: ContainerStore,
  ) {}

  async setup(c: Container): Promise<SandboxSetup> {
    const hc = c.hostConfig;
    const mode = parseNetworkMode(hc.NetworkMode);
    if (mode.kind === 'container') {
      const other = this.containers.find(mode.ref);
      if (!other) throw new NotFoundError(`No such container: ${mode.ref}`);
      if (!other.state.Running) throw new InvalidParameterError(`cannot join network of a non running container: ${other.id}`);
      const joined = await this.setupOwn(c, { kind: 'none' });
      return { ...joined, netnsPath: `/proc/${other.state.Pid}/ns/net`, privateNetns: false };
    }
    return this.setupOwn(c, mode);
  }

  private async setupOwn(c: Container, mode: Exclude<Mode, { kind: 'container' }>): Promise<SandboxSetup> {
    const hc = c.hostConfig;
    const endpoints: { network: string; config: EndpointConfig }[] = [];
    if (mode.kind === 'bridge') {
      const requested = (c.networking as { requested?: Record<string, EndpointConfig> }).requested ?? {};
      const primary = requested[mode.network] ?? (mode.network === 'bridge' ? requested.default : undefined) ?? {};
      endpoints.push({ network: mode.network, config: withNameAlias(primary, c, mode.network) });
      for (const [name, cfg] of Object.entries(requested)) {
        if (name === mode.network || name === 'default') continue;
        endpoints.push({ network: name, config: withNameAlias(cfg, c, name) });
      }
      for (const p of this.networks.pendingConnections(c.id)) {
        if (!endpoints.some((e) => e.network === p.network)) endpoints.push(p);
      }
    }
    // One call makes the namespace, every endpoint and the port rules (see setupSandbox).
    const { netnsPath, endpoints: networks, ports } = await this.networks.setupSandbox(c.id, {
      name: c.name,
      mode: mode.kind,
      hostname: c.config.Hostname || c.id.slice(0, 12),
      domainname: c.config.Domainname || undefined,
      dns: hc.Dns ?? undefined,
      dnsSearch: hc.DnsSearch ?? undefined,
      dnsOptions: hc.DnsOptions ?? undefined,
      extraHosts: hc.ExtraHosts ?? undefined,
    }, endpoints, { bindings: hc.PortBindings ?? undefined, exposedPorts: Object.keys(c.config.ExposedPorts ?? {}), publishAll: hc.PublishAllPorts === true });
    try {
      // The host and none networks have no interface to make, but Docker lists the container on
      // them (an endpoint with no address) and publishes nothing.
      const ownNetworkless = mode.kind === 'host' || mode.kind === 'none';
      const attached = ownNetworkless
        ? { [mode.kind]: { ...unattachedEndpoint(), NetworkID: this.networks.inspect(mode.kind).Id, EndpointID: createHash('sha256').update(`${c.id}/${mode.kind}`).digest('hex') } }
        : (networks as Record<string, ApiEndpointSettings>);
      return {
        netnsPath: netnsPath || undefined,
        privateNetns: mode.kind === 'none',
        networking: { Networks: attached, Ports: ownNetworkless ? {} : ports, SandboxKey: netnsPath },
        hosts: this.networks.hostsEntries(c.id),
        resolvConf: this.networks.resolvConf(c.id),
      };
    } catch (err) {
      await this.networks.releaseSandbox(c.id).catch(() => undefined);
      throw err;
    }
  }

  async teardown(c: Container): Promise<void> {
    await this.networks.releaseSandbox(c.id);
  }

  forget(c: Container): void {
    this.networks.forgetContainer(c.id);
  }

  endpoints(c: Container): Record<string, ApiEndpointSettings> {
    return this.networks.endpoints(c.id) as Record<string, ApiEndpointSettings>;
  }
}

/** Docker resolves a container on user networks by its name too (a DNS alias). */
function withNameAlias(cfg: EndpointConfig, c: Container, network: string): EndpointConfig {
  if (network === 'bridge') return cfg;
  return { ...cfg, Aliases: [...new Set([...(cfg.Aliases ?? []), c.id.slice(0, 12)])] };
}
