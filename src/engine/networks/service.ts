/**
 * NetworkService: networks, sandboxes and endpoints of one berthd instance.
 *
 * The seam with the container service, in order:
 *
 *   const { netnsPath } = await networks.prepareSandbox(id, { name, mode, dns, extraHosts, ... });
 *   for (const [net, cfg] of endpointsConfig) settings[net] = await networks.attach(id, netnsPath, net, cfg);
 *   ports = await networks.publishPorts(id, hostConfig.PortBindings, exposedPorts, publishAll);
 *   write networks.resolvConf(id) and networks.hostsEntries(id) into the bundle; start runc with netnsPath
 *   ... on stop/remove: await networks.releaseSandbox(id)   (veths, IPs, rules, netns)
 *
 * A starting container uses the one-shot form instead, `setupSandbox(id, opts, endpoints,
 * ports)`: one process makes the namespace with all its interfaces, one more puts the host
 * ends on their bridges, and iptables-restore only runs when the rule set changed.
 *
 * Every mutation updates SQLite first (in a transaction, under one lock) and then the kernel;
 * iptables is always rewritten from the DB (rules.ts), so a crash at any point is repaired by
 * `reconcile()` at the next start. Only setupSandbox does kernel work outside the lock, for
 * the objects its container alone owns (its netns and veths).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DB } from '../../store/db.js';
import { ipBatch, linkExists } from '../../sys/ip.js';
import { createNetns, deleteNetns, hostNetnsPath } from '../../sys/netns.js';
import { enableBridgeNetfilter, writeSysctl } from '../../sys/sysctl.js';
import { ConflictError, InvalidParameterError, NotFoundError, NotImplementedError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import { cidrContains, cidrsOverlap, formatCidr, formatIPv4, mustParseCidr, parseIPv4, type Cidr } from './cidr.js';
import { EmbeddedDns } from './dns-server.js';
import { addMacvlanEndpoint, addVethEndpoint, deleteLinks, ensureBridge, macFromIPv4, vethHostLines, vethInsideLines, type InterfaceSpec } from './drivers.js';
import { NetworkExistsError, NetworkForbiddenError, NetworkNotFoundError, PoolOverlapError } from './errors.js';
import { Firewall } from './firewall.js';
import { Ipam } from './ipam.js';
import { bridgeNameFor, hostVethName, instanceNames, type InstanceNames } from './naming.js';
import { portMap, resolvePorts } from './ports.js';
import { isLoopbackResolver, readHostResolvConf, renderHosts, renderResolvConf } from './resolv.js';
import type { FirewallState } from './rules.js';
import { NetworkStore } from './store.js';
import { hostSubnets, pickSubnet } from './subnet-pool.js';
import type {
  ContainerLookup, EndpointConfig, EndpointRecord, EndpointSettings, NetworkCreateRequest, NetworkRecord,
  PortBindings, PortMap, PrepareSandboxOptions, SandboxRecord,
} from './types.js';
import { endpointSettings, inspectNetwork, matchesListFilters, matchesPruneFilters, type NetworkInspect } from './views.js';

export interface NetworkServiceOptions {
  db: DB;
  dataRoot: string;
  /** Sandboxes live in `<execRoot>/netns/<container id>`. */
  execRoot: string;
  instanceName?: string;
  /** Default bridge address with prefix (`--bip`), e.g. 10.88.0.1/16. */
  bip?: string;
  /** Daemon-wide icc: applies to the default bridge, as in dockerd. */
  icc?: boolean;
  /** MTU of the default bridge and its endpoints. */
  mtu?: number;
  log: Logger;
  containers?: ContainerLookup;
  /** Upstream resolvers for the embedded DNS (`ip` or `ip:port`); default: host resolv.conf. */
  upstreamResolvers?: string[];
  /** Host resolv.conf to copy (tests). */
  hostResolvConf?: string;
}

const BRIDGE_OPT = 'com.docker.network.bridge.name';
const ICC_OPT = 'com.docker.network.bridge.enable_icc';
const MASQ_OPT = 'com.docker.network.bridge.enable_ip_masquerade';
const MTU_OPT = 'com.docker.network.driver.mtu';
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

function newId(): string {
  return randomBytes(32).toString('hex');
}

/** What a starting container publishes (HostConfig.PortBindings, ExposedPorts, -P). */
export interface PortRequest {
  bindings?: PortBindings;
  exposedPorts?: string[];
  publishAll?: boolean;
}

export interface SandboxSetupResult {
  /** Empty in host mode. */
  netnsPath: string;
  /** EndpointSettings by network name. */
  endpoints: Record<string, EndpointSettings>;
  ports: PortMap;
}

export class NetworkService {
  readonly names: InstanceNames;
  private readonly store: NetworkStore;
  private readonly ipam: Ipam;
  private readonly firewall: Firewall;
  private readonly dns = new Map<string, EmbeddedDns>();
  private containers?: ContainerLookup;
  private lock: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: NetworkServiceOptions) {
    this.names = instanceNames(opts);
    this.store = new NetworkStore(opts.db);
    this.ipam = new Ipam(opts.db);
    this.firewall = new Firewall(this.names);
    this.containers = opts.containers;
  }

  /** The container service registers itself here (it is built after us). */
  setContainerLookup(lookup: ContainerLookup): void {
    this.containers = lookup;
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  // ── start, stop, teardown ────────────────────────────────────────────────────────────

  /**
   * Brings the kernel in line with the DB at daemon start: predefined networks, bridges,
   * sysctls, our iptables chains (flushed and rebuilt, leftovers of a crash removed), DNS
   * servers. Endpoints whose sandbox vanished (host reboot) are dropped.
   */
  reconcile(): Promise<void> {
    return this.serialized(async () => {
      await this.ensurePredefined();
      await writeSysctl('net.ipv4.ip_forward', '1');
      if (!(await enableBridgeNetfilter())) this.opts.log.warn('br_netfilter is unavailable: icc=false and same-bridge published ports are not enforced');
      for (const s of this.store.listSandboxes()) {
        if (s.netnsPath && !existsSync(s.netnsPath)) this.forgetSandbox(s.containerId);
      }
      for (const n of this.store.listNetworks()) if (n.driver === 'bridge') await this.ensureNetworkDevice(n);
      await this.firewall.install(this.firewallState());
      for (const n of this.store.listNetworks()) await this.startDns(n);
    });
  }

  /** Stops the DNS servers; leaves the kernel state for the next start (live restore). */
  close(): Promise<void> {
    return this.serialized(async () => {
      for (const d of this.dns.values()) await d.stop();
      this.dns.clear();
    });
  }

  /** Removes everything of this instance: sandboxes, bridges, chains. The DB keeps networks. */
  teardown(): Promise<void> {
    return this.serialized(async () => {
      for (const d of this.dns.values()) await d.stop();
      this.dns.clear();
      for (const s of this.store.listSandboxes()) await this.destroySandbox(s);
      const bridges = this.store.listNetworks().filter((n) => n.driver === 'bridge').map((n) => n.device);
      await deleteLinks(bridges);
      await this.firewall.remove();
    });
  }

  // ── networks ─────────────────────────────────────────────────────────────────────────

  private find(nameOrId: string): NetworkRecord {
    const all = this.store.listNetworks();
    const exact = all.find((n) => n.id === nameOrId) ?? all.find((n) => n.name === nameOrId);
    if (exact) return exact;
    const prefixed = nameOrId.length > 0 ? all.filter((n) => n.id.startsWith(nameOrId)) : [];
    if (prefixed.length === 1) return prefixed[0]!;
    if (prefixed.length > 1) throw new InvalidParameterError(`network ${nameOrId} is ambiguous (${prefixed.length} matches found on ID prefix)`);
    throw new NetworkNotFoundError(nameOrId);
  }

  list(filters: Map<string, string[]> = new Map()): NetworkInspect[] {
    return this.store
      .listNetworks()
      .filter((n) => matchesListFilters(n, filters, this.store.listEndpoints({ networkId: n.id }).length + this.store.pendingCount(n.id)))
      .map((n) => inspectNetwork(n, [], false));
  }

  inspect(nameOrId: string): NetworkInspect {
    const n = this.find(nameOrId);
    return inspectNetwork(n, this.store.listEndpoints({ networkId: n.id }));
  }

  create(req: NetworkCreateRequest): Promise<{ Id: string; Warning: string }> {
    return this.serialized(async () => {
      const n = await this.buildNetwork(req);
      this.store.transaction(() => {
        this.store.insertNetwork(n);
        this.ipam.reserveNetworkAddresses(n);
      });
      try {
        await this.ensureNetworkDevice(n);
        await this.firewall.sync(this.firewallState());
        await this.startDns(n);
      } catch (err) {
        await this.destroyNetwork(n).catch(() => undefined);
        throw err;
      }
      return { Id: n.id, Warning: '' };
    });
  }

  private async buildNetwork(req: NetworkCreateRequest): Promise<NetworkRecord> {
    if (!req.Name || !NAME_RE.test(req.Name)) throw new InvalidParameterError(`invalid network name "${req.Name ?? ''}": must match ${NAME_RE.source}`);
    const all = this.store.listNetworks();
    if (['bridge', 'host', 'none'].includes(req.Name) || all.some((n) => n.name === req.Name)) throw new NetworkExistsError(req.Name);
    const driver = req.Driver || 'bridge';
    if (driver !== 'bridge' && driver !== 'macvlan') throw new NotFoundError(`plugin "${driver}" not found`);
    const ipamDriver = req.IPAM?.Driver || 'default';
    if (ipamDriver !== 'default') throw new NotFoundError(`plugin "${ipamDriver}" not found`);
    const options = { ...(req.Options ?? {}) };
    const id = newId();
    const ipv4Configs = (req.IPAM?.Config ?? []).filter((c) => !(c.Subnet ?? '').includes(':'));
    const existing = all.flatMap((n) => n.pools.map((p) => mustParseCidr(p.Subnet)));
    const pools: NetworkRecord['pools'] = [];
    for (const c of ipv4Configs) {
      if (!c.Subnet) throw new InvalidParameterError('IPAM config without a Subnet is not supported');
      const subnet = mustParseCidr(c.Subnet);
      if (formatCidr(subnet) !== c.Subnet) throw new InvalidParameterError(`invalid subnet ${c.Subnet}: it has host bits set, use ${formatCidr(subnet)}`);
      if (existing.some((e) => cidrsOverlap(e, subnet)) || pools.some((p) => cidrsOverlap(mustParseCidr(p.Subnet), subnet))) throw new PoolOverlapError();
      const inSubnet = (ip: string | undefined, what: string) => {
        if (ip === undefined) return;
        const v = parseIPv4(ip);
        if (v === undefined) throw new InvalidParameterError(`invalid ${what}: ${ip}`);
        if (!cidrContains(subnet, v)) throw new InvalidParameterError(`${what} ${ip} does not belong to subnet ${c.Subnet}`);
      };
      inSubnet(c.Gateway, 'gateway');
      for (const [k, v] of Object.entries(c.AuxiliaryAddresses ?? {})) inSubnet(v, `auxiliary address ${k}`);
      if (c.IPRange) {
        const r = mustParseCidr(c.IPRange, 'ip-range');
        if (!cidrContains(subnet, r.base) || r.prefix < subnet.prefix) throw new InvalidParameterError(`ip-range ${c.IPRange} does not belong to subnet ${c.Subnet}`);
      }
      pools.push({ ...c, Subnet: c.Subnet, Gateway: c.Gateway ?? formatIPv4(subnet.base + 1) });
    }
    if (pools.length === 0) {
      const auto = pickSubnet([...existing, ...(await hostSubnets())]);
      pools.push({ Subnet: auto.subnet, Gateway: auto.gateway });
    }
    let device: string;
    if (driver === 'bridge') {
      device = options[BRIDGE_OPT] || bridgeNameFor(id);
      if (device.length > 15) throw new InvalidParameterError(`bridge name ${device} is longer than 15 characters`);
      if (all.some((n) => n.device === device) || (options[BRIDGE_OPT] && (await linkExists(device)))) throw new ConflictError(`bridge name ${device} is already in use`);
    } else {
      device = options.parent ?? '';
      if (!device) throw new InvalidParameterError('macvlan networks need a parent interface: -o parent=<interface>');
      if (!(await linkExists(device))) throw new InvalidParameterError(`-o parent interface was not found on the host: ${device}`);
      options.macvlan_mode ??= 'bridge';
    }
    return {
      id, name: req.Name, driver, internal: !!req.Internal, attachable: !!req.Attachable, enableIPv6: false,
      ipamDriver, ipamOptions: req.IPAM?.Options ?? {}, pools, options, labels: req.Labels ?? {},
      created: new Date().toISOString(), device, builtin: false,
    };
  }

  remove(nameOrId: string): Promise<void> {
    return this.serialized(async () => {
      const n = this.find(nameOrId);
      if (n.builtin) throw new NetworkForbiddenError(`${n.name} is a pre-defined network and cannot be removed`);
      const active = this.store.listEndpoints({ networkId: n.id });
      if (active.length > 0) {
        // Docker's wording, which scripts match on.
        const eps = active.map((e) => `name:${JSON.stringify(e.containerName)} id:${JSON.stringify(e.id.slice(0, 12))}`).join(', ');
        throw new NetworkForbiddenError(`error while removing network: network ${n.name} has active endpoints (${eps})`);
      }
      await this.destroyNetwork(n);
    });
  }

  prune(filters: Map<string, string[]> = new Map()): Promise<{ NetworksDeleted: string[] }> {
    return this.serialized(async () => {
      const deleted: string[] = [];
      for (const n of this.store.listNetworks()) {
        if (n.builtin || !matchesPruneFilters(n, filters)) continue;
        if (this.store.listEndpoints({ networkId: n.id }).length > 0 || this.store.pendingCount(n.id) > 0) continue;
        await this.destroyNetwork(n);
        deleted.push(n.name);
      }
      return { NetworksDeleted: deleted };
    });
  }

  private async destroyNetwork(n: NetworkRecord): Promise<void> {
    await this.dns.get(n.id)?.stop();
    this.dns.delete(n.id);
    this.store.transaction(() => this.store.deleteNetwork(n.id));
    if (n.driver === 'bridge') await deleteLinks([n.device]);
    await this.firewall.sync(this.firewallState());
  }

  private async ensurePredefined(): Promise<void> {
    const all = this.store.listNetworks();
    const base = { internal: false, attachable: false, enableIPv6: false, ipamDriver: 'default', ipamOptions: {}, labels: {}, created: new Date().toISOString(), builtin: true };
    for (const [name, driver] of [['host', 'host'], ['none', 'null']] as const) {
      if (!all.some((n) => n.name === name)) this.store.insertNetwork({ ...base, id: newId(), name, driver, pools: [], options: {}, device: '' });
    }
    const bridge = all.find((n) => n.name === 'bridge');
    const wanted = this.opts.bip ? this.bipPool(this.opts.bip) : undefined;
    if (bridge && (!wanted || (bridge.pools[0]?.Subnet === wanted.Subnet && bridge.pools[0]?.Gateway === wanted.Gateway))) return;
    if (bridge) {
      if (this.store.listEndpoints({ networkId: bridge.id }).length > 0) {
        this.opts.log.warn('bip changed but the default bridge has endpoints; keeping the old address', { bip: this.opts.bip });
        return;
      }
      this.store.transaction(() => this.store.deleteNetwork(bridge.id));
      await deleteLinks([bridge.device]);
    }
    const others = this.store.listNetworks().flatMap((n) => n.pools.map((p) => mustParseCidr(p.Subnet)));
    const pool = wanted ?? (({ subnet, gateway }) => ({ Subnet: subnet, Gateway: gateway }))(pickSubnet([...others, ...(await hostSubnets())]));
    const device = this.names.defaultBridge;
    const n: NetworkRecord = {
      ...base, id: bridge?.id ?? newId(), name: 'bridge', driver: 'bridge', pools: [pool], device,
      options: {
        'com.docker.network.bridge.default_bridge': 'true',
        [ICC_OPT]: String(this.opts.icc ?? true),
        [MASQ_OPT]: 'true',
        'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
        [BRIDGE_OPT]: device,
        [MTU_OPT]: String(this.opts.mtu ?? 1500),
      },
    };
    this.store.transaction(() => {
      this.store.insertNetwork(n);
      this.ipam.reserveNetworkAddresses(n);
    });
  }

  private bipPool(bip: string): { Subnet: string; Gateway: string } {
    const [addr] = bip.split('/');
    const c: Cidr = mustParseCidr(bip, 'bip');
    if (addr === formatIPv4(c.base)) throw new InvalidParameterError(`bip ${bip} must be a host address with a prefix, e.g. 10.88.0.1/16`);
    return { Subnet: formatCidr(c), Gateway: addr! };
  }

  private async ensureNetworkDevice(n: NetworkRecord): Promise<void> {
    if (n.driver !== 'bridge') return;
    const pool = n.pools[0]!;
    const mtu = n.options[MTU_OPT] ? Number(n.options[MTU_OPT]) : undefined;
    await ensureBridge({ name: n.device, gatewayCidr: `${pool.Gateway}/${mustParseCidr(pool.Subnet).prefix}`, mtu });
  }

  private hasEmbeddedDns(n: NetworkRecord): boolean {
    return n.driver === 'bridge' && !n.builtin;
  }

  private async startDns(n: NetworkRecord): Promise<void> {
    if (!this.hasEmbeddedDns(n) || this.dns.has(n.id)) return;
    const server = new EmbeddedDns(n.pools[0]!.Gateway, {
      lookup: (name) => this.dnsLookup(n.id, name),
      reverse: (ip) => this.dnsReverse(n.id, ip),
      upstreams: (clientIp) => this.dnsUpstreams(n.id, clientIp),
    }, this.opts.log.child({ network: n.name }));
    try {
      await server.start();
      this.dns.set(n.id, server);
    } catch (err) {
      this.opts.log.warn('embedded DNS could not listen', { network: n.name, address: n.pools[0]!.Gateway, err: (err as Error).message });
    }
  }

  private dnsLookup(networkId: string, name: string): string[] | undefined {
    const net = this.store.getNetwork(networkId);
    if (!net) return undefined;
    const suffix = `.${net.name.toLowerCase()}`;
    const short = name.endsWith(suffix) ? name.slice(0, -suffix.length) : name;
    const ips = this.store
      .listEndpoints({ networkId })
      .filter((e) => e.ipv4 && e.dnsNames.some((d) => d.toLowerCase() === short))
      .map((e) => e.ipv4);
    return ips.length > 0 ? ips : undefined;
  }

  private dnsReverse(networkId: string, ip: string): string | undefined {
    const net = this.store.getNetwork(networkId);
    const e = this.store.listEndpoints({ networkId }).find((x) => x.ipv4 === ip);
    return e && net ? `${e.containerName}.${net.name}` : undefined;
  }

  private dnsUpstreams(networkId: string, clientIp: string): string[] {
    const e = this.store.listEndpoints({ networkId }).find((x) => x.ipv4 === clientIp);
    const own = e ? this.store.getSandbox(e.containerId)?.dns.dns : undefined;
    if (own?.length) return own;
    if (this.opts.upstreamResolvers) return this.opts.upstreamResolvers;
    return readHostResolvConf(this.opts.hostResolvConf).nameservers.filter((n) => !isLoopbackResolver(n));
  }

  private firewallState(): FirewallState {
    const networks = this.store.listNetworks().filter((n) => n.driver === 'bridge');
    const state: FirewallState = { networks: [], ports: [] };
    for (const n of networks) {
      state.networks.push({
        bridge: n.device,
        subnet: n.pools[0]!.Subnet,
        internal: n.internal,
        masquerade: n.options[MASQ_OPT] !== 'false',
        icc: n.options[ICC_OPT] !== 'false',
      });
    }
    for (const s of this.store.listSandboxes()) {
      if (s.ports.length === 0) continue;
      const target = this.portTarget(s.containerId);
      if (!target) continue;
      for (const p of s.ports) state.ports.push({ ...p, bridge: target.bridge, containerIp: target.ip });
    }
    return state;
  }

  /** Published ports go to the container's first endpoint on a non-internal bridge network. */
  private portTarget(containerId: string): { bridge: string; ip: string } | undefined {
    for (const e of this.store.listEndpoints({ containerId })) {
      const n = this.store.getNetwork(e.networkId);
      if (n && n.driver === 'bridge' && !n.internal && e.ipv4) return { bridge: n.device, ip: e.ipv4 };
    }
    return undefined;
  }

  // ── sandboxes and endpoints (the container service's seam) ────────────────────────────

  netnsPathFor(containerId: string): string {
    return join(this.opts.execRoot, 'netns', containerId);
  }

  /**
   * Creates the container's network namespace (loopback up) and records its DNS settings.
   * In host mode nothing is created and netnsPath is empty: runc must not get a netns path.
   */
  prepareSandbox(containerId: string, opts: PrepareSandboxOptions): Promise<{ netnsPath: string }> {
    return this.serialized(async () => {
      if (this.store.getSandbox(containerId)) throw new ConflictError(`sandbox for container ${containerId} already exists`);
      const mode = opts.mode ?? 'bridge';
      const netnsPath = mode === 'host' ? '' : this.netnsPathFor(containerId);
      const { name, mode: _m, ...dns } = opts;
      this.store.upsertSandbox({ containerId, containerName: name, mode, netnsPath, dns, ports: [] });
      if (netnsPath) {
        try {
          await createNetns(netnsPath, { loopbackUp: true });
        } catch (err) {
          this.store.deleteSandbox(containerId);
          throw err;
        }
      }
      return { netnsPath };
    });
  }

  /** Connects the sandbox to a network; returns Docker's EndpointSettings for it. */
  attach(containerId: string, netnsPath: string, networkName: string, config: EndpointConfig = {}): Promise<EndpointSettings> {
    return this.serialized(() => this.attachLocked(containerId, netnsPath, networkName, config));
  }

  private async attachLocked(containerId: string, netnsPath: string, networkName: string, config: EndpointConfig): Promise<EndpointSettings> {
    const { n, rec, iface } = this.planEndpoint(containerId, netnsPath, networkName, config);
    try {
      if (iface) {
        if (n.driver === 'bridge') await addVethEndpoint({ ...iface, bridge: n.device, hostIfname: rec.hostIfname });
        else await addMacvlanEndpoint({ ...iface, parent: n.device, mode: n.options.macvlan_mode ?? 'bridge' });
        await this.firewall.sync(this.firewallState());
      }
    } catch (err) {
      this.unplanEndpoint(n, rec);
      throw err;
    }
    return endpointSettings(n, rec);
  }

  /**
   * The DB half of an attach: checks, allocates the address and records the endpoint. Returns
   * the interface to create, or none for the host and null networks.
   */
  private planEndpoint(containerId: string, netnsPath: string, networkName: string, config: EndpointConfig): { n: NetworkRecord; rec: EndpointRecord; iface?: InterfaceSpec } {
    const n = this.find(networkName);
    const sandbox = this.store.getSandbox(containerId);
    if (!sandbox) throw new NotFoundError(`no network sandbox for container ${containerId}: call prepareSandbox first`);
    const existing = this.store.listEndpoints({ containerId });
    if (existing.some((e) => e.networkId === n.id)) throw new ConflictError(`endpoint with name ${sandbox.containerName} already exists in network ${n.name}`);
    const special = n.driver === 'host' || n.driver === 'null';
    if ((sandbox.mode === 'host') !== (n.driver === 'host') || (sandbox.mode === 'none' && n.driver !== 'null') || (n.driver === 'null' && sandbox.mode !== 'none')) {
      throw new NetworkForbiddenError(`container sharing network namespace with ${sandbox.mode === 'host' ? 'host' : sandbox.mode} mode cannot be connected to network ${n.name}`);
    }
    const id = newId();
    const used = new Set(existing.map((e) => e.ifname));
    let idx = 0;
    while (used.has(`eth${idx}`)) idx++;
    const aliases = config.Aliases ?? [];
    const requestedIp = config.IPAMConfig?.IPv4Address || undefined;
    if (requestedIp && n.builtin && n.driver === 'bridge') throw new InvalidParameterError('user specified IP address is supported on user defined networks only');
    const rec = this.store.transaction(() => {
      const alloc = special ? undefined : this.ipam.allocate(n, `endpoint:${id}`, requestedIp);
      const dnsNames = n.builtin ? [] : [...new Set([sandbox.containerName, ...aliases, containerId.slice(0, 12)])];
      const e: EndpointRecord = {
        id, networkId: n.id, containerId, containerName: sandbox.containerName, ifname: special ? '' : `eth${idx}`,
        hostIfname: n.driver === 'bridge' ? hostVethName(id) : '', mac: alloc ? config.MacAddress || macFromIPv4(alloc.address) : '',
        ipv4: alloc?.address ?? '', prefixLen: alloc?.prefixLen ?? 0, gateway: alloc?.gateway ?? '', aliases, dnsNames,
        links: config.Links ?? [], staticIp: requestedIp, createdAt: Date.now(),
      };
      this.store.insertEndpoint(e);
      return e;
    });
    if (special) return { n, rec };
    // The first network with a gateway provides the default route, as in Docker.
    const routed = existing.some((e) => e.gateway && !this.store.getNetwork(e.networkId)?.internal);
    const iface: InterfaceSpec = {
      netns: netnsPath, ifname: rec.ifname, mac: rec.mac, addressCidr: `${rec.ipv4}/${rec.prefixLen}`,
      gateway: !routed && !n.internal ? rec.gateway : undefined,
      mtu: n.options[MTU_OPT] ? Number(n.options[MTU_OPT]) : undefined,
    };
    return { n, rec, iface };
  }

  private unplanEndpoint(n: NetworkRecord, rec: EndpointRecord): void {
    this.store.transaction(() => {
      this.store.deleteEndpoint(rec.id);
      this.ipam.release(n.id, `endpoint:${rec.id}`);
    });
  }

  /**
   * prepareSandbox + attach for each network + publishPorts in one step, for a container that
   * starts: the namespace, its loopback and every veth are made and configured by a single
   * `unshare ... ip -batch` run inside the new namespace (peers sent back to the host), the
   * host ends by one `ip -batch`, and iptables is only rewritten when ports change it.
   */
  async setupSandbox(containerId: string, opts: PrepareSandboxOptions, endpoints: { network: string; config: EndpointConfig }[], ports: PortRequest = {}): Promise<SandboxSetupResult> {
    // 1. Under the lock, the DB: sandbox, endpoints, addresses.
    const { sandbox, planned } = await this.serialized(async () => {
      if (this.store.getSandbox(containerId)) throw new ConflictError(`sandbox for container ${containerId} already exists`);
      const mode = opts.mode ?? 'bridge';
      // Only bridge sandboxes need a namespace made beforehand (their veths go in first). In
      // none mode runc makes the fresh one itself, loopback up, for free: no path to join.
      const netnsPath = mode === 'bridge' ? this.netnsPathFor(containerId) : '';
      const { name, mode: _m, ...dns } = opts;
      const sandbox: SandboxRecord = { containerId, containerName: name, mode, netnsPath, dns, ports: [] };
      this.store.upsertSandbox(sandbox);
      try {
        return { sandbox, planned: mode === 'bridge' ? endpoints.map((e) => this.planEndpoint(containerId, netnsPath, e.network, e.config)) : [] };
      } catch (err) {
        this.forgetSandbox(containerId);
        throw err;
      }
    });
    try {
      // 2. Outside the lock, the kernel objects that only this container owns, so unrelated
      //    containers start side by side (their endpoints in the DB keep the networks alive).
      const veths = planned.flatMap((p) => (p.iface && p.n.driver === 'bridge' ? [{ ...p.iface, bridge: p.n.device, hostIfname: p.rec.hostIfname }] : []));
      if (sandbox.netnsPath) await createNetns(sandbox.netnsPath, { loopbackUp: true, batch: veths.flatMap((v) => vethInsideLines(v, hostNetnsPath())) });
      await ipBatch(veths.flatMap(vethHostLines));
      for (const p of planned) {
        if (p.iface && p.n.driver === 'macvlan') await addMacvlanEndpoint({ ...p.iface, parent: p.n.device, mode: p.n.options.macvlan_mode ?? 'bridge' });
      }
      // 3. Under the lock again, the shared iptables state.
      const portMapResult = sandbox.mode === 'bridge' ? await this.serialized(() => this.publishLocked(containerId, ports)) : {};
      const settings: Record<string, EndpointSettings> = {};
      for (const p of planned) settings[p.n.name] = endpointSettings(p.n, p.rec);
      return { netnsPath: sandbox.netnsPath, endpoints: settings, ports: portMapResult };
    } catch (err) {
      await this.serialized(() => this.destroySandbox(sandbox)).catch(() => undefined);
      throw err;
    }
  }

  /** Publishes ports (after attach); returns Docker's NetworkSettings.Ports. */
  publishPorts(containerId: string, bindings: PortBindings | undefined, exposedPorts: string[] = [], publishAll = false): Promise<PortMap> {
    return this.serialized(() => this.publishLocked(containerId, { bindings, exposedPorts, publishAll }));
  }

  private async publishLocked(containerId: string, req: PortRequest): Promise<PortMap> {
    const sandbox = this.store.getSandbox(containerId);
    if (!sandbox) throw new NotFoundError(`no network sandbox for container ${containerId}`);
    if (sandbox.mode !== 'bridge') return {};
    const exposedPorts = req.exposedPorts ?? [];
    const taken = new Set<string>();
    for (const s of this.store.listSandboxes()) {
      if (s.containerId !== containerId) for (const p of s.ports) taken.add(`${p.proto}/${p.hostIp}/${p.hostPort}`);
    }
    const ports = await resolvePorts({ bindings: req.bindings ?? {}, exposed: exposedPorts, publishAll: req.publishAll ?? false }, taken);
    this.store.upsertSandbox({ ...sandbox, ports });
    try {
      await this.firewall.sync(this.firewallState());
    } catch (err) {
      this.store.upsertSandbox(sandbox);
      throw err;
    }
    return portMap(ports, exposedPorts);
  }

  detach(containerId: string, networkName: string): Promise<void> {
    return this.serialized(async () => {
      const n = this.find(networkName);
      const e = this.store.listEndpoints({ containerId }).find((x) => x.networkId === n.id);
      if (!e) throw new NetworkForbiddenError(`container ${containerId} is not connected to network ${n.name}`);
      const sandbox = this.store.getSandbox(containerId);
      if (e.hostIfname) await deleteLinks([e.hostIfname]);
      else if (e.ifname && sandbox?.netnsPath) await deleteLinks([e.ifname], sandbox.netnsPath);
      this.store.transaction(() => {
        this.store.deleteEndpoint(e.id);
        this.ipam.release(n.id, `endpoint:${e.id}`);
      });
      if (sandbox?.ports.length) await this.firewall.sync(this.firewallState());
    });
  }

  /** Ids of the sandboxes whose name starts with `prefix` (the builder's, say). */
  sandboxIdsNamed(prefix: string): string[] {
    return this.store.listSandboxes().filter((s) => s.containerName.startsWith(prefix)).map((s) => s.containerId);
  }

  /** Undoes prepareSandbox and every attach/publish: veths, IPs, rules, the netns itself. */
  releaseSandbox(containerId: string): Promise<void> {
    return this.serialized(async () => {
      const s = this.store.getSandbox(containerId);
      if (!s) return;
      await this.destroySandbox(s);
      if (s.ports.length) await this.firewall.sync(this.firewallState());
    });
  }

  private async destroySandbox(s: SandboxRecord): Promise<void> {
    const endpoints = this.store.listEndpoints({ containerId: s.containerId });
    await deleteLinks(endpoints.map((e) => e.hostIfname).filter(Boolean));
    if (s.netnsPath) await deleteNetns(s.netnsPath);
    this.forgetSandbox(s.containerId);
  }

  private forgetSandbox(containerId: string): void {
    this.store.transaction(() => {
      for (const e of this.store.listEndpoints({ containerId })) {
        this.store.deleteEndpoint(e.id);
        this.ipam.release(e.networkId, `endpoint:${e.id}`);
      }
      this.store.deleteSandbox(containerId);
    });
  }

  /** The container's endpoints by network name (NetworkSettings.Networks). */
  endpoints(containerId: string): Record<string, EndpointSettings> {
    const out: Record<string, EndpointSettings> = {};
    for (const e of this.store.listEndpoints({ containerId })) {
      const n = this.store.getNetwork(e.networkId);
      if (n) out[n.name] = endpointSettings(n, e);
    }
    return out;
  }

  /** Networks connected while the container was stopped; attach them at start. */
  pendingConnections(containerId: string): { network: string; config: EndpointConfig }[] {
    return this.store.pendingConnections(containerId).flatMap(({ networkId, config }) => {
      const n = this.store.getNetwork(networkId);
      return n ? [{ network: n.name, config }] : [];
    });
  }

  /** A removed container's recorded connections go with it. */
  forgetContainer(containerId: string): void {
    this.store.forgetConnections(containerId);
  }

  // ── connect / disconnect (API) ───────────────────────────────────────────────────────

  private lookup(): ContainerLookup {
    if (!this.containers) throw new NotImplementedError('connecting containers needs the container service');
    return this.containers;
  }

  async connect(networkNameOrId: string, container: string, config: EndpointConfig = {}): Promise<void> {
    const n = this.find(networkNameOrId);
    const c = this.lookup().resolve(container);
    // The connection is recorded either way: a container keeps its connected networks across
    // restarts, as in Docker (the container service attaches them at every start).
    if (c.running && c.netnsPath) {
      await this.attach(c.id, c.netnsPath, n.id, config);
      this.store.setPendingConnection(c.id, n.id, config);
      return;
    }
    if (this.store.pendingConnections(c.id).some((p) => p.networkId === n.id)) throw new ConflictError(`endpoint with name ${c.name} already exists in network ${n.name}`);
    this.store.setPendingConnection(c.id, n.id, config);
  }

  async disconnect(networkNameOrId: string, container: string, _force = false): Promise<void> {
    const n = this.find(networkNameOrId);
    const c = this.lookup().resolve(container);
    const recorded = this.store.pendingConnections(c.id).some((p) => p.networkId === n.id);
    if (recorded) this.store.setPendingConnection(c.id, n.id, undefined);
    if (c.running || !recorded) await this.detach(c.id, n.id);
  }

  // ── resolv.conf and hosts ────────────────────────────────────────────────────────────

  resolvConf(containerId: string): string {
    const s = this.store.getSandbox(containerId);
    if (!s) throw new NotFoundError(`no network sandbox for container ${containerId}`);
    const host = readHostResolvConf(this.opts.hostResolvConf);
    if (s.mode === 'host') return renderResolvConf({ host: { ...host, nameservers: host.nameservers }, ...s.dns, dns: s.dns.dns });
    let embeddedDns: string | undefined;
    for (const e of this.store.listEndpoints({ containerId })) {
      const n = this.store.getNetwork(e.networkId);
      if (n && this.hasEmbeddedDns(n)) {
        embeddedDns = e.gateway;
        break;
      }
    }
    return renderResolvConf({ host, embeddedDns, dns: s.dns.dns, dnsSearch: s.dns.dnsSearch, dnsOptions: s.dns.dnsOptions });
  }

  /** The default bridge's gateway: what `--add-host x:host-gateway` resolves to. */
  hostGatewayIp(): string {
    return this.store.listNetworks().find((n) => n.name === 'bridge')?.pools[0]?.Gateway ?? '';
  }

  hostsEntries(containerId: string): string {
    const s = this.store.getSandbox(containerId);
    if (!s) throw new NotFoundError(`no network sandbox for container ${containerId}`);
    const extraHosts = (s.dns.extraHosts ?? []).map((spec) => {
      const sep = spec.includes('=') ? spec.indexOf('=') : spec.indexOf(':');
      const name = spec.slice(0, sep);
      const ip = spec.slice(sep + 1);
      return { name, ip: ip === 'host-gateway' ? this.hostGatewayIp() : ip };
    });
    const endpoints = this.store.listEndpoints({ containerId }).filter((e) => e.ipv4);
    const hostname = s.dns.hostname ?? containerId.slice(0, 12);
    const fqdn = s.dns.domainname ? [`${hostname}.${s.dns.domainname}`, hostname] : [hostname];
    const self = endpoints.slice(0, 1).map((e) => ({ ip: e.ipv4, names: fqdn }));
    const links: { ip: string; names: string[] }[] = [];
    for (const e of endpoints) {
      for (const link of e.links) {
        const [target, alias] = link.split(':').map((x) => x.replace(/^\//, ''));
        const peer = this.store.listEndpoints({ networkId: e.networkId }).find((x) => x.containerName === target);
        if (peer) links.push({ ip: peer.ipv4, names: [...new Set([alias ?? target!, target!, peer.containerId.slice(0, 12)])] });
      }
    }
    if (s.mode === 'host') return renderHosts({ self: [], links: [], extraHosts });
    return renderHosts({ self, links, extraHosts });
  }
}
