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

/** Every device node under `root`, by default /dev without the per-container ones (pts, shm, mqueue). */
export function listHostDevices(root = '/dev', opts: { skip?: string[] } = {}): HostDevice[] {
  const out: HostDevice[] = [];
  const skip = new Set(opts.skip ?? ['pts', 'shm', 'mqueue', 'console']);
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

/**
 * The device nodes at `hostPath`: the node itself, or as Docker every node under a directory
 * (`--device /dev/snd`); none when there is nothing (or no device) there.
 */
export function hostDevicesAt(hostPath: string): HostDevice[] {
  let st: Stats;
  try {
    st = statSync(hostPath);
  } catch {
    return [];
  }
  if (!st.isDirectory()) return [fromStats(hostPath, st)].filter((d) => d !== undefined);
  return listHostDevices(hostPath, { skip: [] });
}

/** The `devices` input of generateSpec for this HostConfig. */
export function devicesForHostConfig(hc: HostConfig): HostDevice[][] {
  if (hc.Privileged) return [listHostDevices()];
  return (hc.Devices ?? []).map((d) => hostDevicesAt(d.PathOnHost));
}
