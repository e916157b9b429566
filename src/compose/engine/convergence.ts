/**
 * Bringing one service to its desired state, like compose v2's convergence.go:
 *   - containers beyond the scale are stopped and removed (highest numbers first);
 *   - a container whose config hash or image differs is recreated (stop, rename the old one
 *     out of the way, create the new one under the same name and number, remove the old);
 *   - missing numbers are created;
 *   - everything not running is started (secondary networks are connected first).
 */
import type { Service } from '../loader/index.js';
import { progress } from '../progress/index.js';
import type { ContainerSummary } from './api.js';
import { containerSpec, type ContainerSpec } from './container-spec.js';
import { ComposeEngineError, inParallel, type ComposeContext } from './context.js';
import type { ResolvedImage } from './images.js';
import { configHash, copyInjectedFiles } from './injected-files.js';
import { LABEL } from './labels.js';
import { isRunning, nameOf, numberOf, projectContainers } from './observed.js';

export type RecreatePolicy = 'diverged' | 'force' | 'never';

export interface ConvergeOptions {
  scale: number;
  recreate: RecreatePolicy;
  image: ResolvedImage;
  /** Start the containers (false for `up --no-start` / `create`). */
  start: boolean;
  /** A dependency with `restart: true` was recreated: restart containers that stay. */
  restartDependents: boolean;
  timeout?: number;
}

export interface ConvergeResult {
  /** Container IDs, in number order. */
  containers: string[];
  /** Whether any container was created or recreated. */
  changed: boolean;
}

function stopTimeout(service: Service, override?: number): number | undefined {
  if (override !== undefined) return override;
  return service.stop_grace_period !== undefined ? Math.ceil(service.stop_grace_period / 1e9) : undefined;
}

/** Resolves `service:x` references to x's first container. */
export async function serviceResolver(ctx: ComposeContext): Promise<(name: string) => string | undefined> {
  const all = await projectContainers(ctx);
  return (name) => {
    const c = all.find((x) => x.Labels?.[LABEL.service] === name);
    return c ? nameOf(c) : undefined;
  };
}

/** Aliases other services request through `links: [service:alias]`. */
export function linkAliases(ctx: ComposeContext, service: Service): string[] {
  const out: string[] = [];
  for (const other of Object.values(ctx.project.services)) {
    for (const link of other.links ?? []) {
      const [target, alias] = link.split(':');
      if (target === service.name && alias && alias !== target) out.push(alias);
    }
  }
  return out;
}

/**
 * Creates the container, connects its other networks and copies its environment/content
 * secrets and configs in. A container left without them would look up to date to the next
 * `up` (its config hash matches), so a failure removes it.
 */
export async function createFromSpec(ctx: ComposeContext, service: Service, spec: ContainerSpec): Promise<string> {
  const id = await ctx.api.createContainer(spec.name, spec.body);
  try {
    for (const extra of spec.extraNetworks) await ctx.api.connectNetwork(extra.network, id, extra.endpoint);
    await copyInjectedFiles(ctx, service, id);
  } catch (err) {
    await ctx.api.removeContainer(id, { force: true }).catch(() => undefined);
    throw err;
  }
  return id;
}

export async function specFor(ctx: ComposeContext, service: Service, number: number, image: ResolvedImage, labels: Record<string, string> = {}): Promise<ContainerSpec> {
  const spec = containerSpec({
    project: ctx.project,
    service,
    number,
    image: image.ref,
    imageId: image.id,
    configHash: configHash(ctx.project, service),
    // Listing the project is only worth it when the service refers to another one.
    resolveService: service.network_mode?.startsWith('service:') || service.volumes_from?.length ? await serviceResolver(ctx) : () => undefined,
    linkAliases: linkAliases(ctx, service),
  });
  Object.assign(spec.body.Labels, labels);
  return spec;
}

function mustRecreate(ctx: ComposeContext, c: ContainerSummary, service: Service, o: ConvergeOptions): boolean {
  if (o.recreate === 'never') return false;
  if (o.recreate === 'force') return true;
  const labels = c.Labels ?? {};
  return labels[LABEL.configHash] !== configHash(ctx.project, service) || (Boolean(o.image.id) && labels[LABEL.image] !== undefined && labels[LABEL.image] !== o.image.id);
}

async function removeContainer(ctx: ComposeContext, service: Service, c: ContainerSummary, timeout?: number): Promise<void> {
  const id = `Container ${nameOf(c)}`;
  if (isRunning(c)) {
    ctx.progress.event(progress.working(id, 'Stopping'));
    await ctx.api.stopContainer(c.Id, stopTimeout(service, timeout));
    ctx.progress.event(progress.done(id, 'Stopped'));
  }
  ctx.progress.event(progress.working(id, 'Removing'));
  await ctx.api.removeContainer(c.Id, { force: true });
  ctx.progress.event(progress.done(id, 'Removed'));
}

async function recreate(ctx: ComposeContext, service: Service, c: ContainerSummary, o: ConvergeOptions): Promise<string> {
  const name = nameOf(c);
  const id = `Container ${name}`;
  ctx.progress.event(progress.working(id, 'Recreate'));
  if (isRunning(c)) await ctx.api.stopContainer(c.Id, stopTimeout(service, o.timeout));
  await ctx.api.renameContainer(c.Id, `${c.Id.slice(0, 12)}_${name}`);
  const spec = await specFor(ctx, service, numberOf(c) || 1, o.image, { [LABEL.replace]: c.Id });
  const created = await createFromSpec(ctx, service, spec);
  await ctx.api.removeContainer(c.Id, { force: true });
  ctx.progress.event(progress.done(id, 'Recreated'));
  return created;
}

async function create(ctx: ComposeContext, service: Service, number: number, o: ConvergeOptions): Promise<{ id: string; name: string }> {
  const spec = await specFor(ctx, service, number, o.image);
  const id = `Container ${spec.name}`;
  ctx.progress.event(progress.working(id, 'Creating'));
  try {
    const created = await createFromSpec(ctx, service, spec);
    ctx.progress.event(progress.done(id, 'Created'));
    return { id: created, name: spec.name };
  } catch (err) {
    ctx.progress.event(progress.error(id, 'Error', (err as Error).message));
    throw new ComposeEngineError(`failed to create container ${spec.name}: ${(err as Error).message}`);
  }
}

/** Starts the given containers (those not running), reporting each. */
export async function startContainers(ctx: ComposeContext, ids: string[], names: Map<string, string>): Promise<void> {
  await inParallel(ids, async (cid) => {
    const id = `Container ${names.get(cid) ?? cid.slice(0, 12)}`;
    ctx.progress.event(progress.working(id, 'Starting'));
    try {
      await ctx.api.startContainer(cid);
    } catch (err) {
      ctx.progress.event(progress.error(id, 'Error', (err as Error).message));
      throw new ComposeEngineError(`failed to start ${id.toLowerCase()}: ${(err as Error).message}`);
    }
    ctx.progress.event(progress.done(id, 'Started'));
  });
}

export async function convergeService(ctx: ComposeContext, service: Service, o: ConvergeOptions): Promise<ConvergeResult> {
  if (service.container_name && o.scale > 1) throw new ComposeEngineError(`service "${service.name}" sets container_name "${service.container_name}": it cannot be scaled to ${o.scale}`);
  const observed = await projectContainers(ctx, { services: [service.name] });
  // Keep the lowest numbers; drop duplicates and everything beyond the scale.
  const keep: ContainerSummary[] = [];
  const drop: ContainerSummary[] = [];
  const seen = new Set<number>();
  for (const c of observed) {
    const n = numberOf(c);
    if (keep.length < o.scale && !seen.has(n)) {
      keep.push(c);
      seen.add(n);
    } else drop.push(c);
  }
  await inParallel(drop.reverse(), (c) => removeContainer(ctx, service, c, o.timeout));

  const names = new Map<string, string>();
  const toStart: string[] = [];
  let changed = false;
  const result: Array<{ number: number; id: string }> = [];
  await inParallel(keep, async (c) => {
    if (mustRecreate(ctx, c, service, o)) {
      const created = await recreate(ctx, service, c, o);
      names.set(created, nameOf(c));
      toStart.push(created);
      changed = true;
      result.push({ number: numberOf(c), id: created });
      return;
    }
    names.set(c.Id, nameOf(c));
    result.push({ number: numberOf(c), id: c.Id });
    if (c.State === 'paused') return;
    if (!isRunning(c)) toStart.push(c.Id);
    else if (o.restartDependents && o.start) {
      const id = `Container ${nameOf(c)}`;
      ctx.progress.event(progress.working(id, 'Restarting'));
      await ctx.api.restartContainer(c.Id, stopTimeout(service, o.timeout));
      ctx.progress.event(progress.done(id, 'Started'));
    } else ctx.progress.event(progress.done(`Container ${nameOf(c)}`, 'Running'));
  });
  const missing: number[] = [];
  for (let n = 1; seen.size + missing.length < o.scale; n++) if (!seen.has(n)) missing.push(n);
  await inParallel(missing, async (n) => {
    const created = await create(ctx, service, n, o);
    names.set(created.id, created.name);
    toStart.push(created.id);
    changed = true;
    result.push({ number: n, id: created.id });
  });
  if (o.start) await startContainers(ctx, toStart, names);
  return { containers: result.sort((a, b) => a.number - b.number).map((r) => r.id), changed };
}

/** The scale a service asks for: `--scale`, then `scale:`, then `deploy.replicas`, else 1. */
export function desiredScale(service: Service, override?: number): number {
  return override ?? service.scale ?? service.deploy?.replicas ?? 1;
}
