/**
 * IPv4 address management for one network: allocations are rows of `ip_allocations`, so a
 * restart or crash never hands out an address twice. Dynamic addresses come from the pool's
 * IPRange (or the subnet), skipping the network and broadcast addresses; a static `--ip` must
 * lie inside the subnet and be free.
 */
import type { DB } from '../../store/db.js';
import { InvalidParameterError } from '../../util/errors.js';
import { cidrContains, cidrLast, formatIPv4, mustParseCidr, parseIPv4, type Cidr } from './cidr.js';
import { AddressInUseError } from './errors.js';
import type { NetworkRecord } from './types.js';

export interface Allocation {
  address: string;
  prefixLen: number;
  gateway: string;
}

export class Ipam {
  constructor(private readonly db: DB) {}

  /** Reserves the gateway and auxiliary addresses of a new network. Call inside its transaction. */
  reserveNetworkAddresses(net: NetworkRecord): void {
    for (const pool of net.pools) {
      if (pool.Gateway) this.insert(net.id, pool.Gateway, 'gateway');
      for (const [name, addr] of Object.entries(pool.AuxiliaryAddresses ?? {})) this.insert(net.id, addr, `aux:${name}`);
    }
  }

  allocate(net: NetworkRecord, owner: string, requested?: string): Allocation {
    const pool = net.pools[0];
    if (!pool) throw new InvalidParameterError(`network ${net.name} has no IPv4 pool`);
    const subnet = mustParseCidr(pool.Subnet);
    const taken = this.taken(net.id);
    if (requested) {
      const ip = parseIPv4(requested);
      if (ip === undefined) throw new InvalidParameterError(`invalid IPv4 address: ${requested}`);
      if (!cidrContains(subnet, ip)) {
        throw new InvalidParameterError(`no configured subnet or ip-range contain the IP address ${requested}`);
      }
      if (taken.has(ip)) throw new AddressInUseError(`Address already in use`);
      this.insert(net.id, requested, owner);
      return { address: requested, prefixLen: subnet.prefix, gateway: pool.Gateway };
    }
    const range: Cidr = pool.IPRange ? mustParseCidr(pool.IPRange, 'ip-range') : subnet;
    const first = Math.max(range.base, subnet.base + 1);
    const last = Math.min(cidrLast(range), cidrLast(subnet) - (subnet.prefix < 31 ? 1 : 0));
    for (let ip = first; ip <= last; ip++) {
      if (taken.has(ip)) continue;
      const address = formatIPv4(ip);
      this.insert(net.id, address, owner);
      return { address, prefixLen: subnet.prefix, gateway: pool.Gateway };
    }
    throw new AddressInUseError(`no available IPv4 addresses on this network's address pools: ${net.name} (${net.id})`);
  }

  release(networkId: string, owner: string): void {
    this.db.prepare('DELETE FROM ip_allocations WHERE network_id = ? AND owner = ?').run(networkId, owner);
  }

  private taken(networkId: string): Set<number> {
    const rows = this.db.prepare('SELECT address FROM ip_allocations WHERE network_id = ?').all(networkId) as { address: string }[];
    return new Set(rows.map((r) => parseIPv4(r.address)!));
  }

  private insert(networkId: string, address: string, owner: string): void {
    this.db.prepare('INSERT INTO ip_allocations (network_id, address, owner) VALUES (?, ?, ?)').run(networkId, address, owner);
  }
}
