import { checkFilters, parseTime } from '../../util/filters.js';
import { InvalidParameterError } from '../../util/errors.js';
import { matchLabels } from './views.js';
import type { ImageService } from './service.js';

export const IMAGE_PRUNE_FILTERS = ['dangling', 'until', 'label', 'label!'] as const;

/**
 * `docker image prune`: dangling images (or, with dangling=false, every image no container
 * uses), narrowed by `until` and `label`/`label!` filters. Reports what went and the space
 * garbage collection reclaimed.
 */
export async function pruneImages(
  service: ImageService,
  filters: Map<string, string[]>,
): Promise<{ ImagesDeleted: Record<string, string>[] | null; SpaceReclaimed: number }> {
  checkFilters(filters, IMAGE_PRUNE_FILTERS);
  const danglingValue = filters.get('dangling')?.[0] ?? 'true';
  if (!['true', 'false', '1', '0'].includes(danglingValue)) throw new InvalidParameterError(`invalid filter 'dangling=${danglingValue}'`);
  const danglingOnly = danglingValue === 'true' || danglingValue === '1';
  const untilValue = filters.get('until')?.[0];
  const until = untilValue !== undefined ? parseTime(untilValue) : undefined;
  const labels = filters.get('label');
  const notLabels = filters.get('label!');

  const deleted: Record<string, string>[] = [];
  for (const img of service.images.list()) {
    if (!service.images.get(img.id)) continue; // removed as a parent of an earlier one
    const tags = service.images.tagsOf(img.id);
    if (danglingOnly && tags.length > 0) continue;
    if ((service.deps.imageUsers?.(img.id) ?? []).length > 0) continue;
    if (service.images.childrenOf(img.id).length > 0) continue;
    if (until !== undefined && Date.parse(img.created) / 1000 >= until) continue;
    if (labels && !matchLabels(img.labels, labels)) continue;
    if (notLabels && matchLabels(img.labels, notLabels)) continue;
    deleted.push(...(await service.remove(img.id, { force: true, prune: true, deferGc: true })));
  }
  const reclaimed = await service.gc();
  return { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
}
