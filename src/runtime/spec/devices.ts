/**
 * Host device nodes for `--device` and privileged containers (stat of /dev entries).
 * Kept apart from generateSpec so that one stays pure.
 */
import { readdirSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { HostConfig } from '../../api/types/container.js';
import type { HostDevice } from './generate.js';

function fromStats(p: string, st: Stats): HostDevice | undefined {
  const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : undefined;
  if (!type) return undefined;
  const rdev = st.rdev;
  const major = ((rdev >> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
  const minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
  return { path: p, type, major, minor, fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
}

/** The device at `hostPath`, or undefined when it is missing or not a device node. */
export function statHostDevice(hostPath: string): HostDevice | undefined {
  try {
    return fromStats(hostPath, statSync(hostPath));
  } catch {
    return undefined;
  }
}

/** Every device node under /dev except the per-container ones (pts, shm, mqueue). */
export function listHostDevices(root = '/dev'): HostDevice[] {
  const out: HostDevice[] = [];
  const skip = new Set(['pts', 'shm', 'mqueue', 'console']);
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (dir === root && skip.has(name)) continue;
      const p = path.join(dir, name);
      let st: Stats;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p);
      else {
        const d = fromStats(p, st);
        if (d) out.push(d);
      }
    }
  };
  walk(root);
  return out;
}

/** The `devices` input of generateSpec for this HostConfig. */
export function devicesForHostConfig(hc: HostConfig): (HostDevice | undefined)[] {
  if (hc.Privileged) return listHostDevices();
  return (hc.Devices ?? []).map((d) => statHostDevice(d.PathOnHost));
}
