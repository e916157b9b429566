/**
 * `down`: stop (dependents first) and remove the project's containers, one-off ones included,
 * then its networks; volumes with `-v`; images with `--rmi`.
 */
import { progress } from '../progress/index.js';
import { inParallel, type ComposeContext } from './context.js';
import { removeProjectContainers } from './lifecycle.js';
import { imageName } from './names.js';
import { findOrphans, removeOrphans } from './orphans.js';
import { removeNetworks, removeVolumes } from './resources.js';
import { isNotFound } from './api.js';

export interface DownOptions {
  volumes?: boolean;
  rmi?: 'local' | 'all';
  removeOrphans?: boolean;
  timeout?: number;
}

export async function down(ctx: ComposeContext, o: DownOptions): Promise<void> {
  const orphans = await findOrphans(ctx);
  if (o.removeOrphans) await removeOrphans(ctx, orphans, o.timeout);
  else if (orphans.length) ctx.progress.info(`WARN[0000] Found orphan containers ([${orphans.map((c) => c.Names[0]?.replace(/^\//, '')).join(' ')}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.`);
  const known = [...Object.keys(ctx.project.services), ...Object.keys(ctx.project.disabledServices)];
  await removeProjectContainers(ctx, { services: known, oneoff: 'include', stop: true, volumes: o.volumes, timeout: o.timeout });
  await removeNetworks(ctx);
  if (o.volumes) await removeVolumes(ctx);
  if (o.rmi) await removeImages(ctx, o.rmi);
}

async function removeImages(ctx: ComposeContext, which: 'local' | 'all'): Promise<void> {
  const services = Object.values(ctx.project.services).filter((s) => which === 'all' || !s.image);
  const refs = [...new Set(services.map((s) => imageName(ctx.project, s)))];
  await inParallel(refs, async (ref) => {
    const id = `Image ${ref}`;
    ctx.progress.event(progress.working(id, 'Removing'));
    try {
      await ctx.api.removeImage(ref);
    } catch (err) {
      if (!isNotFound(err)) {
        ctx.progress.event(progress.error(id, 'Error', (err as Error).message));
        throw err;
      }
    }
    ctx.progress.event(progress.done(id, 'Removed'));
  });
}
