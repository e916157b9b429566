import { ComposeError } from './errors.js';

/**
 * Start and stop order of services. A service starts after everything in its `depends_on`
 * (links, volumes_from and `network_mode: service:x` are added there while loading); it stops
 * before them. Services in one level do not depend on each other and can start in parallel.
 */

/** Minimal view of a project: service name → names it depends on. */
export interface DependencySource {
  services: Record<string, { depends_on?: Record<string, unknown> }>;
}

function dependenciesOf(project: DependencySource, name: string): string[] {
  return Object.keys(project.services[name]?.depends_on ?? {})
    .filter((dep) => dep in project.services)
    .sort();
}

/** A cycle as a path that ends where it starts (`a -> b -> a`), or undefined. */
export function findCycle(project: DependencySource): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const dep of dependenciesOf(project, name)) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const name of Object.keys(project.services).sort()) {
    const cycle = visit(name);
    if (cycle) return cycle;
  }
  return undefined;
}

export function assertAcyclic(project: DependencySource): void {
  const cycle = findCycle(project);
  if (cycle) throw new ComposeError(`dependency cycle detected: ${cycle.join(' -> ')}`);
}

/** Levels for `up`: level 0 has no dependencies, level n depends only on levels below it. */
export function startLevels(project: DependencySource): string[][] {
  assertAcyclic(project);
  const level = new Map<string, number>();
  const levelOf = (name: string): number => {
    const known = level.get(name);
    if (known !== undefined) return known;
    const deps = dependenciesOf(project, name);
    const value = deps.length === 0 ? 0 : Math.max(...deps.map(levelOf)) + 1;
    level.set(name, value);
    return value;
  };
  const levels: string[][] = [];
  for (const name of Object.keys(project.services).sort()) {
    const l = levelOf(name);
    (levels[l] ??= []).push(name);
  }
  return levels.map((names) => names.sort());
}

/** Services in the order `up` starts them. */
export function startOrder(project: DependencySource): string[] {
  return startLevels(project).flat();
}

/** Services in the order `down` stops them: dependents first. */
export function stopOrder(project: DependencySource): string[] {
  return startOrder(project).reverse();
}

/** The named services plus everything they depend on, transitively. */
export function withDependencies(project: DependencySource, names: string[]): string[] {
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    dependenciesOf(project, name).forEach(visit);
  };
  names.forEach(visit);
  return [...seen].sort();
}
