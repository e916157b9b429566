/** Docker's JSON shapes for networks and the list/prune filters. */
import { checkFilters, parseTime } from '../../util/filters.js';
import type { EndpointRecord, EndpointSettings, NetworkRecord } from './types.js';

export interface NetworkInspect {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local';
  Driver: string;
  EnableIPv4: boolean;
  EnableIPv6: boolean;
  IPAM: { Driver: string; Options: Record<string, string>; Config: Record<string, unknown>[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Containers: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

export function inspectNetwork(n: NetworkRecord, endpoints: EndpointRecord[], withContainers = true): NetworkInspect {
  const containers: NetworkInspect['Containers'] = {};
  if (withContainers) {
    for (const e of endpoints) {
      containers[e.containerId] = {
        Name: e.containerName,
        EndpointID: e.id,
        MacAddress: e.mac,
        IPv4Address: e.ipv4 ? `${e.ipv4}/${e.prefixLen}` : '',
        IPv6Address: '',
      };
    }
  }
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: 'local',
    Driver: n.driver,
    EnableIPv4: n.driver !== 'host' && n.driver !== 'null',
    EnableIPv6: n.enableIPv6,
    IPAM: {
      Driver: n.ipamDriver,
      Options: n.ipamOptions,
      Config: n.pools.map((p) => {
        const c: Record<string, unknown> = { Subnet: p.Subnet, Gateway: p.Gateway };
        if (p.IPRange) c.IPRange = p.IPRange;
        if (p.AuxiliaryAddresses && Object.keys(p.AuxiliaryAddresses).length) c.AuxiliaryAddresses = p.AuxiliaryAddresses;
        return c;
      }),
    },
    Internal: n.internal,
    Attachable: n.attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: n.options,
    Labels: n.labels,
  };
}

export function endpointSettings(n: NetworkRecord, e: EndpointRecord): EndpointSettings {
  return {
    IPAMConfig: e.staticIp ? { IPv4Address: e.staticIp } : null,
    Links: e.links.length ? e.links : null,
    Aliases: e.aliases.length ? e.aliases : null,
    MacAddress: e.mac,
    DriverOpts: null,
    NetworkID: n.id,
    EndpointID: e.id,
    Gateway: e.gateway,
    IPAddress: e.ipv4,
    IPPrefixLen: e.ipv4 ? e.prefixLen : 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: e.dnsNames.length ? e.dnsNames : null,
  };
}

function labelMatches(labels: Record<string, string>, spec: string): boolean {
  const eq = spec.indexOf('=');
  if (eq < 0) return spec in labels;
  return labels[spec.slice(0, eq)] === spec.slice(eq + 1);
}

export const LIST_FILTERS = ['driver', 'id', 'label', 'name', 'scope', 'type', 'dangling'] as const;
export const PRUNE_FILTERS = ['until', 'label', 'label!'] as const;

/** GET /networks filters; `endpointCount` tells which networks are dangling. */
export function matchesListFilters(n: NetworkRecord, filters: Map<string, string[]>, endpointCount: number): boolean {
  checkFilters(filters, LIST_FILTERS);
  const any = (key: string, test: (v: string) => boolean) => {
    const values = filters.get(key);
    return !values || values.length === 0 || values.some(test);
  };
  return (
    any('driver', (v) => v === n.driver) &&
    any('id', (v) => n.id.startsWith(v) || n.id.includes(v)) &&
    any('name', (v) => n.name.includes(v)) &&
    any('scope', (v) => v === 'local') &&
    any('type', (v) => (v === 'builtin' ? n.builtin : v === 'custom' ? !n.builtin : false)) &&
    any('dangling', (v) => (['true', '1'].includes(v) ? endpointCount === 0 && !n.builtin : endpointCount > 0 || n.builtin)) &&
    (filters.get('label') ?? []).every((spec) => labelMatches(n.labels, spec))
  );
}

export function matchesPruneFilters(n: NetworkRecord, filters: Map<string, string[]>, now = Date.now()): boolean {
  checkFilters(filters, PRUNE_FILTERS);
  for (const until of filters.get('until') ?? []) {
    if (Date.parse(n.created) / 1000 >= parseTime(until, now)) return false;
  }
  if (!(filters.get('label') ?? []).every((spec) => labelMatches(n.labels, spec))) return false;
  if ((filters.get('label!') ?? []).some((spec) => labelMatches(n.labels, spec))) return false;
  return true;
}
