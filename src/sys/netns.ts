/**
 * Named network namespaces kept as bind-mounted nsfs files under a directory we choose (the
 * daemon's exec root), not /run/netns: `ip netns add` hardcodes /run/netns, where the names of
 * several berthd instances would collide. `unshare --net=FILE true` creates the namespace and
 * bind-mounts it on FILE in one process; the namespace then lives as long as the mount does.
 * Deleting is unmount + unlink. Processes enter a namespace with `nsenter --net=FILE`.
 */
import { mkdir, open, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isMountPoint, unmount } from './mount.js';
import { runTool, type RunResult } from './ip.js';

export interface CreateNetnsOptions {
  loopbackUp?: boolean;
  /**
   * `ip -batch` lines run inside the new namespace by the same process (after lo is up), so a
   * sandbox with its interfaces costs one process. See `hostNetnsPath` to reach back out.
   */
  batch?: string[];
}

export async function createNetns(path: string, opts: CreateNetnsOptions = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await (await open(path, 'a')).close();
  try {
    // The command runs inside the new namespace: configuring it costs no extra process.
    const lines = [...(opts.loopbackUp ? ['link set dev lo up'] : []), ...(opts.batch ?? [])];
    if (lines.length === 0) await runTool('unshare', [`--net=${path}`, 'true']);
    else await runTool('unshare', [`--net=${path}`, 'ip', '-batch', '-'], { input: lines.join('\n') + '\n' });
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
}

/**
 * The daemon's own network namespace as a path `ip ... netns PATH` accepts (iproute2 opens
 * any argument containing a slash as a file), for commands run inside a sandbox that create
 * a link's peer back on the host side.
 */
export function hostNetnsPath(): string {
  return `/proc/${process.pid}/ns/net`;
}

/** Unmounts and removes a namespace file; a missing file is not an error. */
export async function deleteNetns(path: string): Promise<void> {
  if (await isMountPoint(path).catch(() => false)) await unmount(path, { lazy: true });
  await rm(path, { force: true });
}

/** Runs a command inside the namespace (tests, benchmarks and in-netns tools). */
export function execInNetns(path: string, cmd: string, args: string[], input?: string): Promise<RunResult> {
  return runTool(cmd, args, { netns: path, input });
}
