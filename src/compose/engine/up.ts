/**
 * `up`: networks and volumes, images, then every selected service converged in dependency
 * order. Each service waits for its dependencies (converged and meeting their `depends_on`
 * condition); independent services proceed in parallel.
 */
import { withDependencies, type Service } from '../loader/index.js';
import { ComposeEngineError, type ComposeContext } from './context.js';
import { waitDependencies, waitRunningAndHealthy } from './dependencies.js';
import { convergeService, desiredScale, type RecreatePolicy } from './convergence.js';
import { ensureImages, type BuildPolicy } from './images.js';
import { handleOrphans } from './orphans.js';
import { ensureResources } from './resources.js';

export interface UpOptions {
  /** Services named on the command line (their dependencies come along unless noDeps). */
  services?: string[];
  noDeps?: boolean;
  build: BuildPolicy;
  recreate: RecreatePolicy;
  removeOrphans?: boolean;
  scale?: Record<string, number>;
  /** Create but do not start (`create`, `up --no-start`). */
  noStart?: boolean;
  wait?: boolean;
  timeout?: number;
}

/** The services an operation works on: the named ones (+ dependencies) or all. */
export function selectServices(ctx: ComposeContext, names: string[] | undefined, noDeps = false): Service[] {
  for (const n of names ?? []) if (!ctx.project.services[n]) throw new ComposeEngineError(`no such service: ${n}`);
  const selected = names?.length ? (noDeps ? names : withDependencies(ctx.project, names)) : Object.keys(ctx.project.services);
  return selected.map((n) => ctx.project.services[n]!);
}

export async function up(ctx: ComposeContext, o: UpOptions): Promise<Service[]> {
  const services = selectServices(ctx, o.services, o.noDeps);
  for (const name of Object.keys(o.scale ?? {})) if (!ctx.project.services[name]) throw new ComposeEngineError(`no such service: ${name}`);
  await handleOrphans(ctx, Boolean(o.removeOrphans), o.timeout);
  await ensureResources(ctx, services);
  const images = await ensureImages(ctx, services, o.build);
  const selected = new Set(services.map((s) => s.name));
  const changed = new Map<string, Promise<boolean>>();
  const converge = (service: Service): Promise<boolean> => {
    let p = changed.get(service.name);
    if (p) return p;
    p = (async () => {
      const deps = Object.keys(service.depends_on ?? {}).filter((d) => selected.has(d));
      const depChanged = await Promise.all(deps.map((d) => converge(ctx.project.services[d]!)));
      if (!o.noStart) await waitDependencies(ctx, { ...service, depends_on: Object.fromEntries(Object.entries(service.depends_on ?? {}).filter(([d]) => selected.has(d))) });
      const restartDependents = deps.some((d, i) => depChanged[i] && service.depends_on?.[d]?.restart);
      const result = await convergeService(ctx, service, {
        scale: desiredScale(service, o.scale?.[service.name]),
        recreate: o.recreate,
        image: images.get(service.name)!,
        start: !o.noStart,
        restartDependents,
        timeout: o.timeout,
      });
      return result.changed;
    })();
    changed.set(service.name, p);
    return p;
  };
  const results = await Promise.allSettled(services.map(converge));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  if (o.wait && !o.noStart) await waitRunningAndHealthy(ctx, services.map((s) => s.name));
  return services;
}
