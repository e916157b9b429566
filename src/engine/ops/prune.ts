/**
 * `POST /containers/prune`: removes every container that is not running (created, exited,
 * dead), narrowed by `until` and `label`/`label!` filters, and reports the bytes their
 * writable layers held: measured before removal, so the figure is what was really freed.
 */
import type { ContainerService } from '../containers/service.js';
import { matchLabels } from '../images/views.js';
import type { OverlaySnapshotter } from '../../store/snapshots/overlay.js';
import { checkFilters, parseTime } from '../../util/filters.js';
import { errorMessage } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import { containerSizeRw } from './disk-usage.js';

export const CONTAINER_PRUNE_FILTERS = ['until', 'label', 'label!'] as const;

export async function pruneContainers(
  deps: { containers: ContainerService; snapshots: OverlaySnapshotter; log: Logger },
  filters: Map<string, string[]>,
): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }> {
  checkFilters(filters, CONTAINER_PRUNE_FILTERS);
  const untilValue = filters.get('until')?.[0];
  const until = untilValue !== undefined ? parseTime(untilValue) : undefined;
  const labels = filters.get('label');
  const notLabels = filters.get('label!');
  const deleted: string[] = [];
  let reclaimed = 0;
  for (const c of deps.containers.store.all()) {
    if (c.state.Running || c.state.Paused || c.state.Restarting || c.state.Status === 'removing') continue;
    if (until !== undefined && Date.parse(c.created) / 1000 >= until) continue;
    const own = c.config.Labels ?? {};
    if (labels && !matchLabels(own, labels)) continue;
    if (notLabels && matchLabels(own, notLabels)) continue;
    const size = await containerSizeRw(deps, c.snapshotKey);
    try {
      await deps.containers.remove(c.id, { volumes: false });
      deleted.push(c.id);
      reclaimed += size;
    } catch (err) {
      deps.log.warn('prune: cannot remove container', { id: c.id.slice(0, 12), err: errorMessage(err) });
    }
  }
  return { ContainersDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
}
