/**
 * `depends_on` conditions, checked before a service starts:
 *   service_started                 — the dependency's containers were started
 *   service_healthy                 — every container reports healthy (fails when one turns
 *                                     unhealthy, exits, or has no health check)
 *   service_completed_successfully  — every container exited with status 0
 * A dependency with `required: false` that fails only warns.
 */
import type { Service, ServiceDependency } from '../loader/index.js';
import { progress } from '../progress/index.js';
import { ComposeEngineError, sleep, type ComposeContext } from './context.js';
import { nameOf, projectContainers } from './observed.js';

const POLL_MS = 100;

async function waitHealthy(ctx: ComposeContext, dep: string, signal?: AbortSignal): Promise<void> {
  const containers = await projectContainers(ctx, { services: [dep] });
  for (const c of containers) {
    const id = `Container ${nameOf(c)}`;
    ctx.progress.event(progress.working(id, 'Waiting'));
    for (;;) {
      if (signal?.aborted) throw new ComposeEngineError('aborted');
      const info = await ctx.api.inspectContainer(c.Id);
      const health = info.State.Health?.Status;
      if (!info.Config.Healthcheck?.Test && !health) throw new ComposeEngineError(`dependency failed to start: container ${nameOf(c)} has no healthcheck configured`);
      if (health === 'healthy') break;
      if (health === 'unhealthy') {
        ctx.progress.event(progress.error(id, 'Error'));
        const last = info.State.Health?.Log?.at(-1)?.Output?.trim();
        throw new ComposeEngineError(`dependency failed to start: container ${nameOf(c)} is unhealthy${last ? ` (last check: ${last})` : ''}`);
      }
      if (!info.State.Running && !info.State.Restarting) {
        ctx.progress.event(progress.error(id, 'Error'));
        throw new ComposeEngineError(`dependency failed to start: container ${nameOf(c)} exited (${info.State.ExitCode})`);
      }
      await sleep(POLL_MS);
    }
    ctx.progress.event(progress.done(id, 'Healthy'));
  }
}

async function waitCompleted(ctx: ComposeContext, dep: string): Promise<void> {
  const containers = await projectContainers(ctx, { services: [dep] });
  for (const c of containers) {
    const id = `Container ${nameOf(c)}`;
    ctx.progress.event(progress.working(id, 'Waiting'));
    const code = await ctx.api.waitContainer(c.Id, 'not-running');
    if (code !== 0) {
      ctx.progress.event(progress.error(id, 'Error'));
      throw new ComposeEngineError(`service "${dep}" didn't complete successfully: exit ${code}`);
    }
    ctx.progress.event(progress.done(id, 'Exited'));
  }
}

async function waitOne(ctx: ComposeContext, dep: string, d: ServiceDependency): Promise<void> {
  if (d.condition === 'service_healthy') await waitHealthy(ctx, dep);
  else if (d.condition === 'service_completed_successfully') await waitCompleted(ctx, dep);
}

/** Waits until every dependency of `service` meets its condition. */
export async function waitDependencies(ctx: ComposeContext, service: Service): Promise<void> {
  await Promise.all(
    Object.entries(service.depends_on ?? {}).map(async ([dep, d]) => {
      if (!ctx.project.services[dep]) {
        if (d.required) throw new ComposeEngineError(`service "${service.name}" depends on undefined service "${dep}"`);
        return;
      }
      try {
        await waitOne(ctx, dep, d);
      } catch (err) {
        if (d.required) throw err;
        ctx.progress.info(`WARN[0000] optional dependency "${dep}" of "${service.name}" failed: ${(err as Error).message}`);
      }
    }),
  );
}

/** `up --wait`: every container of the services is running, and healthy when it has a check. */
export async function waitRunningAndHealthy(ctx: ComposeContext, services: string[]): Promise<void> {
  const containers = await projectContainers(ctx, { services });
  await Promise.all(
    containers.map(async (c) => {
      const id = `Container ${nameOf(c)}`;
      ctx.progress.event(progress.working(id, 'Waiting'));
      for (;;) {
        const info = await ctx.api.inspectContainer(c.Id);
        const health = info.State.Health?.Status;
        // A restarting container counts as running in inspect (as Docker's), but has no process.
        if (info.State.Running && !info.State.Restarting && (!health || health === 'none' || health === 'healthy')) break;
        if (health === 'unhealthy') {
          ctx.progress.event(progress.error(id, 'Error'));
          throw new ComposeEngineError(`container ${nameOf(c)} is unhealthy`);
        }
        if (!info.State.Running && !info.State.Restarting) {
          // A one-shot task that completed successfully is fine (compose's --wait does the same).
          const dependedOnToComplete = Object.values(ctx.project.services).some((s) => s.depends_on?.[c.Labels?.['com.docker.compose.service'] ?? '']?.condition === 'service_completed_successfully');
          if (info.State.ExitCode === 0 && dependedOnToComplete) break;
          ctx.progress.event(progress.error(id, 'Error'));
          throw new ComposeEngineError(`container ${nameOf(c)} exited (${info.State.ExitCode})`);
        }
        await sleep(POLL_MS);
      }
      ctx.progress.event(progress.done(id, 'Healthy'));
    }),
  );
}
