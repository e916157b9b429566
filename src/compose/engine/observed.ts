/** The project's containers as the engine sees them, found by their compose labels. */
import type { ContainerSummary } from './api.js';
import type { ComposeContext } from './context.js';
import { LABEL, projectFilter } from './labels.js';

export type OneoffFilter = 'exclude' | 'include' | 'only';

export async function projectContainers(ctx: Pick<ComposeContext, 'api' | 'project'>, o: { services?: string[]; oneoff?: OneoffFilter; all?: boolean } = {}): Promise<ContainerSummary[]> {
  const oneoff = o.oneoff ?? 'exclude';
  const extra: Record<string, string> = {};
  if (oneoff !== 'include') extra[LABEL.oneoff] = oneoff === 'only' ? 'True' : 'False';
  if (o.services?.length === 1) extra[LABEL.service] = o.services[0]!;
  const list = await ctx.api.listContainers(projectFilter(ctx.project.name, extra), o.all ?? true);
  const wanted = o.services?.length ? new Set(o.services) : undefined;
  return list.filter((c) => !wanted || wanted.has(serviceOf(c))).sort(byServiceAndNumber);
}

export function serviceOf(c: ContainerSummary): string {
  return c.Labels?.[LABEL.service] ?? '';
}

export function numberOf(c: ContainerSummary): number {
  return Number(c.Labels?.[LABEL.containerNumber] ?? 0);
}

export function nameOf(c: ContainerSummary): string {
  return (c.Names[0] ?? c.Id).replace(/^\//, '');
}

export function byServiceAndNumber(a: ContainerSummary, b: ContainerSummary): number {
  return serviceOf(a).localeCompare(serviceOf(b)) || numberOf(a) - numberOf(b) || nameOf(a).localeCompare(nameOf(b));
}

export function isRunning(c: ContainerSummary): boolean {
  return c.State === 'running' || c.State === 'restarting' || c.State === 'paused';
}
