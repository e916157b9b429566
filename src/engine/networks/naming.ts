/**
 * Per-instance names. Everything a berthd instance puts into the host's shared namespaces (the
 * default bridge, iptables chains) carries the instance tag, so two berthd instances and a
 * dockerd (docker0, DOCKER chains) never touch each other's objects.
 */
import { createHash } from 'node:crypto';

export const DEFAULT_DATA_ROOT = '/var/lib/berth';

/**
 * The tag: the configured instance name when it is short and plain enough to fit the 28-char
 * iptables chain names and 15-char interface names, otherwise 6 hex of its hash; without a
 * name, 6 hex of the data root's hash.
 */
export function instanceTag(opts: { instanceName?: string; dataRoot: string }): string {
  const name = opts.instanceName;
  if (name && /^[a-z0-9]{1,10}$/.test(name)) return name;
  return createHash('sha256').update(name ?? opts.dataRoot).digest('hex').slice(0, 6);
}

export interface InstanceNames {
  tag: string;
  defaultBridge: string;
  /** nat: DNAT for published ports (jumped to from PREROUTING and OUTPUT). */
  natDnat: string;
  /** nat: masquerading (jumped to from POSTROUTING). */
  natPostrouting: string;
  /** filter: per-network forwarding policy (jumped to from FORWARD). */
  forward: string;
  /** filter: drops traffic between different networks of this instance. */
  isolation: string;
}

export function instanceNames(opts: { instanceName?: string; dataRoot: string }): InstanceNames {
  const tag = instanceTag(opts);
  const isDefault = !opts.instanceName && opts.dataRoot.replace(/\/+$/, '') === DEFAULT_DATA_ROOT;
  return {
    tag,
    defaultBridge: isDefault ? 'berth0' : `bth-${tag}`,
    natDnat: `BERTH-${tag}`,
    natPostrouting: `BERTH-${tag}-POSTROUTING`,
    forward: `BERTH-${tag}-FORWARD`,
    isolation: `BERTH-${tag}-ISOLATION`,
  };
}

/** Docker's name for a user network's bridge. */
export function bridgeNameFor(networkId: string): string {
  return `br-${networkId.slice(0, 12)}`;
}

/** Host side of an endpoint's veth: `vb` + 8 hex of the endpoint ID (unique enough, ≤15 chars). */
export function hostVethName(endpointId: string): string {
  return `vb${endpointId.slice(0, 8)}`;
}
