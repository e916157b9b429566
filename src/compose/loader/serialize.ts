import { stringify } from 'yaml';
import { sortKeys } from './canonical-json.js';
import type { Project, Service } from './types.js';
import { formatGoDuration } from '../../util/go-duration.js';

export type SerializeFormat = 'yaml' | 'json';

/** Paths (inside a service) whose numbers are durations, printed the Go way (`1m30s`). */
const DURATION_PATHS = [
  'stop_grace_period',
  'healthcheck.interval',
  'healthcheck.timeout',
  'healthcheck.start_period',
  'healthcheck.start_interval',
  'deploy.restart_policy.delay',
  'deploy.restart_policy.window',
  'deploy.update_config.delay',
  'deploy.update_config.monitor',
  'deploy.rollback_config.delay',
  'deploy.rollback_config.monitor',
];

function withDurations(value: unknown, path: string): unknown {
  if (typeof value === 'number' && DURATION_PATHS.includes(path)) return formatGoDuration(value);
  if (Array.isArray(value)) return value.map((v) => withDurations(v, path));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = withDurations(v, path ? `${path}.${k}` : k);
    return out;
  }
  return value;
}

/** `x-` keys go back inline, where the user wrote them. */
function inlineExtensions<T extends { extensions?: Record<string, unknown> }>(value: T): Record<string, unknown> {
  const { extensions, ...rest } = value;
  return { ...rest, ...(extensions ?? {}) };
}

function serviceView(service: Service): Record<string, unknown> {
  const { name: _name, ...rest } = service;
  // compose omits an empty environment.
  if (Object.keys(rest.environment).length === 0) delete (rest as Partial<Service>).environment;
  return withDurations(inlineExtensions(rest), '') as Record<string, unknown>;
}

function mapValues<T>(record: Record<string, T>, fn: (v: T) => unknown): Record<string, unknown> | undefined {
  const keys = Object.keys(record);
  if (keys.length === 0) return undefined;
  return Object.fromEntries(keys.map((k) => [k, fn(record[k]!)]));
}

/** The project as `docker compose config` shows it: resolved, long syntax, sorted. */
export function projectView(project: Project): Record<string, unknown> {
  const view = {
    name: project.name,
    services: mapValues(project.services, serviceView) ?? {},
    networks: mapValues(project.networks, inlineExtensions),
    volumes: mapValues(project.volumes, inlineExtensions),
    secrets: mapValues(project.secrets, inlineExtensions),
    configs: mapValues(project.configs, inlineExtensions),
    ...project.extensions,
  };
  // Sorted keys everywhere, but `name` and `services` first as compose prints them.
  const sorted = sortKeys(view) as Record<string, unknown>;
  const { name, services, ...others } = sorted;
  return { name, services, ...others };
}

export function serializeProject(project: Project, format: SerializeFormat = 'yaml'): string {
  const view = projectView(project);
  if (format === 'json') return `${JSON.stringify(view, null, 2)}\n`;
  return stringify(view, { lineWidth: 0, aliasDuplicateObjects: false });
}
