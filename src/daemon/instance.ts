import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { DEFAULT_CONFIG, type DaemonConfig } from './config.js';

/**
 * A short name for this berthd instance, used for everything it creates on the host outside
 * its own roots (cgroups, bridge devices, iptables chains) so that several instances and a
 * dockerd never share them. The default instance (/var/lib/berth) is "" — plain `berth`.
 */
export function instanceName(config: Pick<DaemonConfig, 'dataRoot' | 'instanceName'>): string {
  if (config.instanceName !== undefined) return config.instanceName;
  if (resolve(config.dataRoot) === DEFAULT_CONFIG.dataRoot) return '';
  return createHash('sha256').update(resolve(config.dataRoot)).digest('hex').slice(0, 6);
}

/** `/berth` or `/berth-<name>`. */
export function cgroupParent(name: string): string {
  return name ? `/berth-${name}` : '/berth';
}
