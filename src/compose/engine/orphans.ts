/** Containers labelled with the project whose service is no longer in the files. */
import { progress } from '../progress/index.js';
import type { ContainerSummary } from './api.js';
import { inParallel, type ComposeContext } from './context.js';
import { isRunning, nameOf, projectContainers, serviceOf } from './observed.js';

export async function findOrphans(ctx: ComposeContext): Promise<ContainerSummary[]> {
  const known = new Set([...Object.keys(ctx.project.services), ...Object.keys(ctx.project.disabledServices)]);
  return (await projectContainers(ctx)).filter((c) => !known.has(serviceOf(c)));
}

export async function removeOrphans(ctx: ComposeContext, orphans: ContainerSummary[], timeout?: number): Promise<void> {
  await inParallel(orphans, async (c) => {
    const id = `Container ${nameOf(c)}`;
    if (isRunning(c)) {
      ctx.progress.event(progress.working(id, 'Stopping'));
      await ctx.api.stopContainer(c.Id, timeout);
    }
    ctx.progress.event(progress.working(id, 'Removing'));
    await ctx.api.removeContainer(c.Id, { force: true });
    ctx.progress.event(progress.done(id, 'Removed'));
  });
}

/** Warns about orphans, or removes them when asked (`--remove-orphans`). */
export async function handleOrphans(ctx: ComposeContext, remove: boolean, timeout?: number): Promise<void> {
  const orphans = await findOrphans(ctx);
  if (!orphans.length) return;
  if (remove) return removeOrphans(ctx, orphans, timeout);
  ctx.progress.info(
    `WARN[0000] Found orphan containers ([${orphans.map(nameOf).join(' ')}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.`,
  );
}
