/**
 * Link plumbing for the bridge and macvlan drivers. Each operation is one `ip -batch` on the
 * host plus one inside the sandbox, whatever the number of steps; a new sandbox folds the
 * inside part into the process that creates its namespace (vethInsideLines).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ipBatch, listAddresses } from '../../sys/ip.js';
import { writeSysctl } from '../../sys/sysctl.js';

export interface BridgeSpec {
  name: string;
  /** Gateway address with prefix, e.g. 172.18.0.1/16. */
  gatewayCidr: string;
  mtu?: number;
}

/** A stable, locally administered unicast MAC for a bridge, from its name. */
export function bridgeMac(name: string): string {
  const h = createHash('sha256').update(name).digest();
  h[0] = (h[0]! & 0xfc) | 0x02;
  return [...h.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** NET_ADDR_SET in /sys/class/net/<dev>/addr_assign_type: the MAC was given, not inherited. */
function macIsSet(dev: string): boolean {
  try {
    return readFileSync(`/sys/class/net/${dev}/addr_assign_type`, 'utf8').trim() === '3';
  } catch {
    return false;
  }
}

/**
 * Creates the bridge, or fixes up an existing one (reconcile): MAC, address, up, route_localnet.
 * The MAC is always set explicitly: a bridge without one takes the lowest MAC of its ports, so
 * a container joining would change the gateway's MAC under the running ones, whose ARP entries
 * then point nowhere until they expire (seconds of lost DNS and traffic).
 */
export async function ensureBridge(spec: BridgeSpec): Promise<void> {
  const links = await listAddresses();
  const existing = links.find((l) => l.ifname === spec.name);
  const lines: string[] = [];
  if (!existing) lines.push(`link add name ${spec.name} address ${bridgeMac(spec.name)}${spec.mtu ? ` mtu ${spec.mtu}` : ''} type bridge`);
  else if (!macIsSet(spec.name)) lines.push(`link set dev ${spec.name} address ${existing.address ?? bridgeMac(spec.name)}`);
  const [gw, len] = spec.gatewayCidr.split('/');
  const has = existing?.addr_info?.some((a) => a.family === 'inet' && a.local === gw && String(a.prefixlen) === len);
  if (!has) lines.push(`addr add ${spec.gatewayCidr} dev ${spec.name}`);
  lines.push(`link set dev ${spec.name} up`);
  await ipBatch(lines);
  // Lets DNAT'ed packets from 127.0.0.1 leave through the bridge (host → published port on loopback).
  await writeSysctl(`net.ipv4.conf.${spec.name}.route_localnet`, '1');
}

export async function deleteLinks(names: string[], netns?: string): Promise<void> {
  await ipBatch(names.map((n) => `link del dev ${n}`), { netns, force: true });
}

export interface InterfaceSpec {
  netns: string;
  /** Name inside the sandbox (eth0 ...). */
  ifname: string;
  mac: string;
  addressCidr: string;
  /** Set as default route when given. */
  gateway?: string;
  mtu?: number;
}

function addressLines(spec: InterfaceSpec): string[] {
  const lines = [`addr add ${spec.addressCidr} dev ${spec.ifname}`, `link set dev ${spec.ifname} up`];
  if (spec.gateway) lines.push(`route add default via ${spec.gateway} dev ${spec.ifname}`);
  return lines;
}

async function configureInside(spec: InterfaceSpec): Promise<void> {
  await ipBatch(addressLines(spec), { netns: spec.netns });
}

export type VethSpec = InterfaceSpec & { bridge: string; hostIfname: string };

/**
 * Lines run inside the sandbox that create the pair there, send the host end to `hostNetns`
 * and configure the container end: with `createNetns({ batch })` a new sandbox and all its
 * veths cost one process, plus `vethHostLines` for the bridge side.
 */
export function vethInsideLines(spec: VethSpec, hostNetns: string): string[] {
  const mtu = spec.mtu ? ` mtu ${spec.mtu}` : '';
  return [
    `link add name ${spec.ifname}${mtu} address ${spec.mac} type veth peer name ${spec.hostIfname}${mtu} netns ${hostNetns}`,
    ...addressLines(spec),
  ];
}

/** Host side of a veth: on the bridge, hairpin on (published ports reached from itself), up. */
export function vethHostLines(spec: VethSpec): string[] {
  return [`link set dev ${spec.hostIfname} master ${spec.bridge}`, `link set dev ${spec.hostIfname} type bridge_slave hairpin on`, `link set dev ${spec.hostIfname} up`];
}

/** A veth pair for an existing sandbox (network connect): one process on each side. */
export async function addVethEndpoint(spec: VethSpec): Promise<void> {
  const mtu = spec.mtu ? ` mtu ${spec.mtu}` : '';
  await ipBatch([
    `link add name ${spec.hostIfname}${mtu} type veth peer name ${spec.ifname}${mtu} address ${spec.mac} netns ${spec.netns}`,
    ...vethHostLines(spec),
  ]);
  try {
    await configureInside(spec);
  } catch (err) {
    await deleteLinks([spec.hostIfname]);
    throw err;
  }
}

/** A macvlan child of `parent`, created directly inside the sandbox. */
export async function addMacvlanEndpoint(spec: InterfaceSpec & { parent: string; mode: string }): Promise<void> {
  const mtu = spec.mtu ? ` mtu ${spec.mtu}` : '';
  await ipBatch([`link add link ${spec.parent} name ${spec.ifname}${mtu} address ${spec.mac} netns ${spec.netns} type macvlan mode ${spec.mode}`]);
  try {
    await configureInside(spec);
  } catch (err) {
    await deleteLinks([spec.ifname], spec.netns);
    throw err;
  }
}

/** Docker's MAC scheme: 02:42 followed by the four bytes of the IPv4 address. */
export function macFromIPv4(ip: string): string {
  return ['02', '42', ...ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0'))].join(':');
}
