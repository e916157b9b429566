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

export async function createNetns(path: string, opts: { loopbackUp?: boolean } = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await (await open(path, 'a')).close();
  try {
    // The command runs inside the new namespace: bringing lo up costs no extra process.
    await runTool('unshare', [`--net=${path}`, ...(opts.loopbackUp ? ['ip', 'link', 'set', 'lo', 'up'] : ['true'])]);
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
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
