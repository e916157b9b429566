/** Rows of the networks migration ↔ records. No logic beyond (de)serialization. */
import type { DB } from '../../store/db.js';
import type { EndpointConfig, EndpointRecord, NetworkDriver, NetworkRecord, SandboxDnsConfig, SandboxMode, SandboxRecord, PublishedPort } from './types.js';

interface NetworkRow {
  id: string; name: string; driver: string; internal: number; attachable: number; enable_ipv6: number;
  ipam: string; options: string; labels: string; device: string; builtin: number; created: string;
}
interface EndpointRow {
  id: string; network_id: string; container_id: string; container_name: string; ifname: string; host_ifname: string;
  mac: string; ipv4: string; prefix_len: number; gateway: string; aliases: string; dns_names: string; links: string;
  static_ip: string | null; created_at: number;
}
interface SandboxRow { container_id: string; container_name: string; mode: string; netns_path: string; dns: string; ports: string }

function toNetwork(r: NetworkRow): NetworkRecord {
  const ipam = JSON.parse(r.ipam) as { driver?: string; options?: Record<string, string>; pools?: NetworkRecord['pools'] };
  return {
    id: r.id, name: r.name, driver: r.driver as NetworkDriver, internal: !!r.internal, attachable: !!r.attachable,
    enableIPv6: !!r.enable_ipv6, ipamDriver: ipam.driver ?? 'default', ipamOptions: ipam.options ?? {}, pools: ipam.pools ?? [],
    options: JSON.parse(r.options), labels: JSON.parse(r.labels), created: r.created, device: r.device, builtin: !!r.builtin,
  };
}

function toEndpoint(r: EndpointRow): EndpointRecord {
  return {
    id: r.id, networkId: r.network_id, containerId: r.container_id, containerName: r.container_name, ifname: r.ifname,
    hostIfname: r.host_ifname, mac: r.mac, ipv4: r.ipv4, prefixLen: r.prefix_len, gateway: r.gateway,
    aliases: JSON.parse(r.aliases), dnsNames: JSON.parse(r.dns_names), links: JSON.parse(r.links),
    staticIp: r.static_ip ?? undefined, createdAt: r.created_at,
  };
}

function toSandbox(r: SandboxRow): SandboxRecord {
  return {
    containerId: r.container_id, containerName: r.container_name, mode: r.mode as SandboxMode, netnsPath: r.netns_path,
    dns: JSON.parse(r.dns) as SandboxDnsConfig, ports: JSON.parse(r.ports) as PublishedPort[],
  };
}

export class NetworkStore {
  constructor(readonly db: DB) {}

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  listNetworks(): NetworkRecord[] {
    return (this.db.prepare('SELECT * FROM networks ORDER BY created, name').all() as NetworkRow[]).map(toNetwork);
  }
  getNetwork(id: string): NetworkRecord | undefined {
    const r = this.db.prepare('SELECT * FROM networks WHERE id = ?').get(id) as NetworkRow | undefined;
    return r && toNetwork(r);
  }
  insertNetwork(n: NetworkRecord): void {
    this.db.prepare(`INSERT INTO networks (id, name, driver, internal, attachable, enable_ipv6, ipam, options, labels, device, builtin, created)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
      n.id, n.name, n.driver, +n.internal, +n.attachable, +n.enableIPv6,
      JSON.stringify({ driver: n.ipamDriver, options: n.ipamOptions, pools: n.pools }),
      JSON.stringify(n.options), JSON.stringify(n.labels), n.device, +n.builtin, n.created,
    );
  }
  deleteNetwork(id: string): void {
    this.db.prepare('DELETE FROM ip_allocations WHERE network_id = ?').run(id);
    this.db.prepare('DELETE FROM pending_connections WHERE network_id = ?').run(id);
    this.db.prepare('DELETE FROM networks WHERE id = ?').run(id);
  }

  listEndpoints(filter: { networkId?: string; containerId?: string } = {}): EndpointRecord[] {
    let sql = 'SELECT * FROM endpoints';
    const args: string[] = [];
    if (filter.networkId) (sql += ' WHERE network_id = ?'), args.push(filter.networkId);
    else if (filter.containerId) (sql += ' WHERE container_id = ?'), args.push(filter.containerId);
    return (this.db.prepare(sql + ' ORDER BY created_at, rowid').all(...args) as EndpointRow[]).map(toEndpoint);
  }
  insertEndpoint(e: EndpointRecord): void {
    this.db.prepare(`INSERT INTO endpoints (id, network_id, container_id, container_name, ifname, host_ifname, mac, ipv4, prefix_len,
      gateway, aliases, dns_names, links, static_ip, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
      e.id, e.networkId, e.containerId, e.containerName, e.ifname, e.hostIfname, e.mac, e.ipv4, e.prefixLen, e.gateway,
      JSON.stringify(e.aliases), JSON.stringify(e.dnsNames), JSON.stringify(e.links), e.staticIp ?? null, e.createdAt,
    );
  }
  deleteEndpoint(id: string): void {
    this.db.prepare('DELETE FROM endpoints WHERE id = ?').run(id);
  }

  getSandbox(containerId: string): SandboxRecord | undefined {
    const r = this.db.prepare('SELECT * FROM sandboxes WHERE container_id = ?').get(containerId) as SandboxRow | undefined;
    return r && toSandbox(r);
  }
  listSandboxes(): SandboxRecord[] {
    return (this.db.prepare('SELECT * FROM sandboxes ORDER BY rowid').all() as SandboxRow[]).map(toSandbox);
  }
  upsertSandbox(s: SandboxRecord): void {
    this.db.prepare(`INSERT INTO sandboxes (container_id, container_name, mode, netns_path, dns, ports) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT(container_id) DO UPDATE SET container_name = excluded.container_name, mode = excluded.mode,
      netns_path = excluded.netns_path, dns = excluded.dns, ports = excluded.ports`).run(
      s.containerId, s.containerName, s.mode, s.netnsPath, JSON.stringify(s.dns), JSON.stringify(s.ports),
    );
  }
  deleteSandbox(containerId: string): void {
    this.db.prepare('DELETE FROM sandboxes WHERE container_id = ?').run(containerId);
  }

  pendingConnections(containerId: string): { networkId: string; config: EndpointConfig }[] {
    const rows = this.db.prepare('SELECT network_id, config FROM pending_connections WHERE container_id = ? ORDER BY rowid').all(containerId) as { network_id: string; config: string }[];
    return rows.map((r) => ({ networkId: r.network_id, config: JSON.parse(r.config) as EndpointConfig }));
  }
  setPendingConnection(containerId: string, networkId: string, config: EndpointConfig | undefined): void {
    if (config) this.db.prepare('INSERT OR REPLACE INTO pending_connections (container_id, network_id, config) VALUES (?, ?, ?)').run(containerId, networkId, JSON.stringify(config));
    else this.db.prepare('DELETE FROM pending_connections WHERE container_id = ? AND network_id = ?').run(containerId, networkId);
  }
  forgetConnections(containerId: string): void {
    this.db.prepare('DELETE FROM pending_connections WHERE container_id = ?').run(containerId);
  }
  pendingCount(networkId: string): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM pending_connections WHERE network_id = ?').get(networkId) as { n: number }).n;
  }
}
