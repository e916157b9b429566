import { readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Removes this instance's parent cgroup (`/berth-<name>`) from every hierarchy where it is
 * empty, when berthd stops with no container left. runc creates the parent on first use and
 * never removes it; test daemons would otherwise leave one behind per run.
 */
export function removeEmptyCgroupParent(parent: string, root = '/sys/fs/cgroup'): void {
  let hierarchies: string[];
  try {
    hierarchies = readdirSync(root);
  } catch {
    return;
  }
  const paths = [join(root, parent), ...hierarchies.map((h) => join(root, h, parent))];
  for (const p of paths) {
    try {
      rmdirSync(p); // fails with ENOTEMPTY/EBUSY while any container cgroup is inside: fine
    } catch {
      /* not there, or still in use */
    }
  }
}
