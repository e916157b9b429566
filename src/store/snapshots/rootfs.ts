/**
 * Mounting a snapshot's mounts as a container rootfs. Overlay's mount data is limited to one
 * page; with many layers the absolute lowerdir list is too long, so the paths are rewritten
 * relative to their common directory and mount(8) runs there (as containerd does).
 */
import { posix } from 'node:path';
import { mount, unmountAll } from '../../sys/mount.js';
import { SystemError } from '../../util/errors.js';
import type { Mount } from './types.js';

/** Mount data must fit in a page (4096) with room for the kernel's own additions. */
const MAX_OPTIONS_LENGTH = 4000;
const PATH_OPTIONS = ['lowerdir', 'upperdir', 'workdir'];

function commonDir(paths: string[]): string {
  let common = posix.dirname(paths[0]!);
  for (const p of paths) {
    while (common !== '/' && !p.startsWith(`${common}/`)) common = posix.dirname(common);
  }
  return common;
}

/** Returns overlay options that fit, and the directory to run mount in when they are relative. */
export function compactOverlayOptions(options: string[]): { options: string[]; cwd?: string } {
  if (options.join(',').length <= MAX_OPTIONS_LENGTH) return { options };
  const paths: string[] = [];
  for (const o of options) {
    const [k, v] = splitOption(o);
    if (v !== undefined && PATH_OPTIONS.includes(k)) paths.push(...v.split(':'));
  }
  if (paths.length === 0) return { options };
  const cwd = commonDir(paths);
  const rel = (p: string) => posix.relative(cwd, p);
  const compact = options.map((o) => {
    const [k, v] = splitOption(o);
    if (v === undefined || !PATH_OPTIONS.includes(k)) return o;
    return `${k}=${v.split(':').map(rel).join(':')}`;
  });
  if (compact.join(',').length > MAX_OPTIONS_LENGTH) {
    throw new SystemError(`overlay mount options are too long (${compact.join(',').length} bytes) even with relative paths: too many layers`);
  }
  return { options: compact, cwd };
}

function splitOption(o: string): [string, string | undefined] {
  const i = o.indexOf('=');
  return i < 0 ? [o, undefined] : [o.slice(0, i), o.slice(i + 1)];
}

/** Mounts the snapshot mounts on `target`, in order. */
export async function mountRootfs(mounts: Mount[], target: string): Promise<void> {
  for (const m of mounts) {
    if (m.type === 'overlay') {
      const { options, cwd } = compactOverlayOptions(m.options);
      await mount('overlay', m.source, target, options, { cwd });
    } else {
      await mount(m.type, m.source, target, m.options);
    }
  }
}

/** Unmounts everything stacked on `target`; a no-op when nothing is mounted there. */
export async function unmountRootfs(target: string, opts: { lazy?: boolean } = {}): Promise<void> {
  await unmountAll(target, opts);
}
