/**
 * start / stop / restart / kill / pause / unpause / rm over a project's containers. Stopping
 * goes in reverse dependency order (dependents first), starting in dependency order.
 */
import { startLevels } from '../loader/index.js';
import type { ContainerSummary } from './api.js';
import { inParallel, withProgress, type ComposeContext } from './context.js';
import { LABEL } from './labels.js';
import { isRunning, nameOf, projectContainers, serviceOf, type OneoffFilter } from './observed.js';

export interface Selection {
  services?: string[];
  oneoff?: OneoffFilter;
}

/** Groups containers by level of the dependency graph; unknown services (orphans) go last. */
function byLevel(ctx: ComposeContext, containers: ContainerSummary[]): ContainerSummary[][] {
  const levels = startLevels(ctx.project);
  const levelOf = new Map<string, number>();
  levels.forEach((names, i) => names.forEach((n) => levelOf.set(n, i)));
  const out: ContainerSummary[][] = levels.map(() => []);
  const unknown: ContainerSummary[] = [];
  for (const c of containers) {
    const l = levelOf.get(serviceOf(c));
    if (l === undefined) unknown.push(c);
    else out[l]!.push(c);
  }
  if (unknown.length) out.push(unknown);
  return out.filter((l) => l.length);
}

function stopTimeoutOf(ctx: ComposeContext, c: ContainerSummary, override?: number): number | undefined {
  if (override !== undefined) return override;
  const grace = ctx.project.services[serviceOf(c)]?.stop_grace_period;
  return grace !== undefined ? Math.ceil(grace / 1e9) : undefined;
}

/** Applies `action` level by level: forwards for start, backwards for stop. */
async function inOrder(ctx: ComposeContext, containers: ContainerSummary[], reverse: boolean, action: (c: ContainerSummary) => Promise<void>): Promise<void> {
  const levels = byLevel(ctx, containers);
  if (reverse) levels.reverse();
  for (const level of levels) await inParallel(level, action);
}

function step(ctx: ComposeContext, c: ContainerSummary, working: string, done: string, fn: () => Promise<void>): Promise<void> {
  return withProgress(ctx, `Container ${nameOf(c)}`, working, done, fn);
}

export async function stopProject(ctx: ComposeContext, sel: Selection & { timeout?: number }): Promise<void> {
  const containers = (await projectContainers(ctx, { services: sel.services, oneoff: sel.oneoff })).filter(isRunning);
  await inOrder(ctx, containers, true, (c) => step(ctx, c, 'Stopping', 'Stopped', () => ctx.api.stopContainer(c.Id, stopTimeoutOf(ctx, c, sel.timeout))));
}

export async function startProject(ctx: ComposeContext, sel: Selection): Promise<void> {
  const containers = (await projectContainers(ctx, { services: sel.services })).filter((c) => !isRunning(c));
  await inOrder(ctx, containers, false, (c) => step(ctx, c, 'Starting', 'Started', () => ctx.api.startContainer(c.Id)));
}

export async function restartProject(ctx: ComposeContext, sel: Selection & { timeout?: number }): Promise<void> {
  const containers = await projectContainers(ctx, { services: sel.services });
  await inOrder(ctx, containers, false, (c) => step(ctx, c, 'Restarting', 'Started', () => ctx.api.restartContainer(c.Id, stopTimeoutOf(ctx, c, sel.timeout))));
}

export async function killProject(ctx: ComposeContext, sel: Selection & { signal?: string }): Promise<void> {
  const containers = (await projectContainers(ctx, { services: sel.services })).filter(isRunning);
  await inParallel(containers, (c) => step(ctx, c, 'Killing', 'Killed', () => ctx.api.killContainer(c.Id, sel.signal)));
}

export async function pauseProject(ctx: ComposeContext, sel: Selection): Promise<void> {
  const containers = (await projectContainers(ctx, { services: sel.services })).filter((c) => c.State === 'running');
  await inParallel(containers, (c) => step(ctx, c, 'Pausing', 'Paused', () => ctx.api.pauseContainer(c.Id)));
}

export async function unpauseProject(ctx: ComposeContext, sel: Selection): Promise<void> {
  const containers = (await projectContainers(ctx, { services: sel.services })).filter((c) => c.State === 'paused');
  await inParallel(containers, (c) => step(ctx, c, 'Unpausing', 'Unpaused', () => ctx.api.unpauseContainer(c.Id)));
}

/** Removes stopped containers (running ones too with `stop`, stopping them first in order). */
export async function removeProjectContainers(ctx: ComposeContext, sel: Selection & { stop?: boolean; volumes?: boolean; timeout?: number }): Promise<ContainerSummary[]> {
  let containers = await projectContainers(ctx, { services: sel.services, oneoff: sel.oneoff });
  if (sel.stop) {
    await inOrder(ctx, containers.filter(isRunning), true, (c) => step(ctx, c, 'Stopping', 'Stopped', () => ctx.api.stopContainer(c.Id, stopTimeoutOf(ctx, c, sel.timeout))));
    containers = await projectContainers(ctx, { services: sel.services, oneoff: sel.oneoff });
  }
  const removable = containers.filter((c) => !isRunning(c));
  await inParallel(removable, (c) => step(ctx, c, 'Removing', 'Removed', () => ctx.api.removeContainer(c.Id, { volumes: sel.volumes, force: true })));
  return removable;
}

/** Containers of a service, one by `--index` (1-based container number). */
export async function containerOf(ctx: ComposeContext, service: string, index = 1): Promise<ContainerSummary | undefined> {
  const list = await projectContainers(ctx, { services: [service], all: false });
  return list.find((c) => Number(c.Labels?.[LABEL.containerNumber]) === index);
}
