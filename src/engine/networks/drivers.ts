/**
 * Link plumbing for the bridge and macvlan drivers. Each operation is one `ip -batch` on the
 * host plus one inside the sandbox, whatever the number of steps.
 */
import { ipBatch, listAddresses } from '../../sys/ip.js';
import { writeSysctl } from '../../sys/sysctl.js';

export interface BridgeSpec {
  name: string;
  /** Gateway address with prefix, e.g. 172.18.0.1/16. */
  gatewayCidr: string;
  mtu?: number;
}

/** Creates the bridge, or fixes up an existing one (reconcile): address, up, route_localnet. */
export async function ensureBridge(spec: BridgeSpec): Promise<void> {
  const links = await listAddresses();
  const existing = links.find((l) => l.ifname === spec.name);
  const lines: string[] = [];
  if (!existing) lines.push(`link add name ${spec.name}${spec.mtu ? ` mtu ${spec.mtu}` : ''} type bridge`);
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

async function configureInside(spec: InterfaceSpec): Promise<void> {
  const lines = [`addr add ${spec.addressCidr} dev ${spec.ifname}`, `link set dev ${spec.ifname} up`];
  if (spec.gateway) lines.push(`route add default via ${spec.gateway} dev ${spec.ifname}`);
  await ipBatch(lines, { netns: spec.netns });
}

/** A veth pair: host end on the bridge (hairpin on, for published ports reached from itself). */
export async function addVethEndpoint(spec: InterfaceSpec & { bridge: string; hostIfname: string }): Promise<void> {
  const mtu = spec.mtu ? ` mtu ${spec.mtu}` : '';
  await ipBatch([
    `link add name ${spec.hostIfname}${mtu} type veth peer name ${spec.ifname}${mtu} address ${spec.mac} netns ${spec.netns}`,
    `link set dev ${spec.hostIfname} master ${spec.bridge}`,
    `link set dev ${spec.hostIfname} type bridge_slave hairpin on`,
    `link set dev ${spec.hostIfname} up`,
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
