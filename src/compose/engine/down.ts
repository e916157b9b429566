/**
 * `down`: stop (dependents first) and remove the project's containers, one-off ones included,
 * then its networks; volumes with `-v`; images with `--rmi`.
 */
import { inParallel, withProgress, type ComposeContext } from './context.js';
import { removeProjectContainers } from './lifecycle.js';
import { imageName } from './names.js';
import { handleOrphans } from './orphans.js';
import { removeNetworks, removeVolumes } from './resources.js';
import { goneIfNotFound } from './api.js';

export interface DownOptions {
  volumes?: boolean;
  rmi?: 'local' | 'all';
  removeOrphans?: boolean;
  timeout?: number;
}

export async function down(ctx: ComposeContext, o: DownOptions): Promise<void> {
  await handleOrphans(ctx, o.removeOrphans === true, o.timeout);
  const known = [...Object.keys(ctx.project.services), ...Object.keys(ctx.project.disabledServices)];
  await removeProjectContainers(ctx, { services: known, oneoff: 'include', stop: true, volumes: o.volumes, timeout: o.timeout });
  await removeNetworks(ctx);
  if (o.volumes) await removeVolumes(ctx);
  if (o.rmi) await removeImages(ctx, o.rmi);
}

async function removeImages(ctx: ComposeContext, which: 'local' | 'all'): Promise<void> {
  const services = Object.values(ctx.project.services).filter((s) => which === 'all' || !s.image);
  const refs = [...new Set(services.map((s) => imageName(ctx.project, s)))];
  await inParallel(refs, (ref) => withProgress(ctx, `Image ${ref}`, 'Removing', 'Removed', () => goneIfNotFound(ctx.api.removeImage(ref))));
}
