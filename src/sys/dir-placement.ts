/**
 * Where the filesystem puts the directories berthd makes for each container and snapshot.
 *
 * ext4 puts a new directory in its parent's block group while that group has room, and a new
 * file in its directory's group, so everything under one parent shares a group. Without a
 * journal (this project's VMs), allocating an inode steps over every inode of the group freed
 * in the last 60 s (300 s while its table block is dirty), one buffer lookup each: after a few
 * hundred containers came and went, each new file or directory there cost 0.1–0.7 ms instead
 * of ~15 µs, and a `docker run` makes some 25–30 of them.
 *
 * The TOPDIR inode flag (`chattr +T`) tells ext4's Orlov allocator that the subdirectories of
 * a directory are unrelated, as those of /home are: it spreads them over the groups with the
 * most room, and the files each one holds follow it there.
 */
import { closeSync, constants, openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { libc } from './libc.js';

/** FS_TOPDIR_FL, <linux/fs.h>. */
const TOPDIR_FLAG = 0x20000;

/**
 * Marks `dir` so that its subdirectories are spread over the disk (see above). Only a hint:
 * false where the filesystem or the platform has no such flag (tmpfs, xfs, btrfs, no koffi).
 */
export function spreadSubdirectories(dir: string): boolean {
  const calls = libc();
  if (!calls) return false;
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    const flags = calls.inodeFlags(fd);
    if (!(flags & TOPDIR_FLAG)) calls.setInodeFlags(fd, flags | TOPDIR_FLAG);
    return true;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

/** Makes each of `dirs` (with its parents) and spreads its subdirectories (spreadSubdirectories). */
export async function makeSpreadDirectories(dirs: string[]): Promise<void> {
  await Promise.all(dirs.map((d) => mkdir(d, { recursive: true })));
  for (const d of dirs) spreadSubdirectories(d);
}
