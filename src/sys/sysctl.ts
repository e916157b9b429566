/**
 * sysctl reads and writes through /proc/sys (no process per call). Keys use the dotted form
 * (`net.ipv4.ip_forward`); interface names with dots are not supported, as with sysctl(8).
 */
import { access, readFile, writeFile } from 'node:fs/promises';
import { SystemError } from '../util/errors.js';
import { runTool } from './ip.js';

function keyPath(key: string): string {
  return '/proc/sys/' + key.replace(/\./g, '/');
}

export async function readSysctl(key: string): Promise<string | undefined> {
  try {
    return (await readFile(keyPath(key), 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** Writes only when the value differs, so read-only /proc/sys with the right value is fine. */
export async function writeSysctl(key: string, value: string): Promise<void> {
  if ((await readSysctl(key)) === value) return;
  try {
    await writeFile(keyPath(key), value);
  } catch (err) {
    throw new SystemError(`cannot set ${key}=${value}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Makes bridged traffic go through iptables (needed for icc=false and for published ports
 * reached from a container on the same bridge). Loads br_netfilter when the knob is missing.
 * Returns false if the kernel has no br_netfilter at all.
 */
export async function enableBridgeNetfilter(): Promise<boolean> {
  const knob = 'net.bridge.bridge-nf-call-iptables';
  try {
    await access(keyPath(knob));
  } catch {
    try {
      await runTool('modprobe', ['br_netfilter']);
    } catch {
      return false;
    }
  }
  await writeSysctl(knob, '1');
  return true;
}
