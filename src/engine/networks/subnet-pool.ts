/**
 * Chooses subnets for networks created without one. Candidates follow Docker's default address
 * pools (172.17-31.0.0/16, then 192.168.x.0/20) and then 10.x.0.0/16; a candidate is taken only
 * when it overlaps no existing network (of any berth instance, seen through the DB) and no route
 * or interface address on the host (which also covers docker0 and other daemons' bridges).
 * 172.17.0.0/16 is skipped: it is docker0's default even while dockerd is not running.
 */
import { listAddresses, listRoutes } from '../../sys/ip.js';
import { cidrsOverlap, formatCidr, parseCidr, parseIPv4, type Cidr } from './cidr.js';
import { SystemError } from '../../util/errors.js';

function* candidates(): Generator<Cidr> {
  for (let b = 18; b <= 31; b++) yield parseCidr(`172.${b}.0.0/16`)!;
  for (let c = 0; c <= 240; c += 16) yield parseCidr(`192.168.${c}.0/20`)!;
  for (let b = 0; b <= 255; b++) yield parseCidr(`10.${b}.0.0/16`)!;
}

/** Subnets in use on the host: routes of every table and interface addresses. */
export async function hostSubnets(): Promise<Cidr[]> {
  const [routes, addrs] = await Promise.all([listRoutes(), listAddresses()]);
  const out: Cidr[] = [];
  for (const r of routes) {
    if (r.dst === 'default') continue;
    const c = parseCidr(r.dst.includes('/') ? r.dst : `${r.dst}/32`);
    if (c) out.push(c);
  }
  for (const link of addrs) {
    for (const a of link.addr_info ?? []) {
      if (a.family !== 'inet') continue;
      const c = parseCidr(`${a.local}/${a.prefixlen}`);
      if (c) out.push(c);
    }
  }
  return out;
}

/** The first candidate overlapping nothing in `used`; `gateway` is its first host address. */
export function pickSubnet(used: Cidr[]): { subnet: string; gateway: string } {
  for (const c of candidates()) {
    if (used.some((u) => cidrsOverlap(u, c))) continue;
    const gw = c.base + 1;
    return { subnet: formatCidr(c), gateway: [gw >>> 24, (gw >>> 16) & 255, (gw >>> 8) & 255, gw & 255].join('.') };
  }
  throw new SystemError('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
}

export function isIPv4(text: string): boolean {
  return parseIPv4(text) !== undefined;
}
