import { ComposeError } from './errors.js';
import type { KeyPath } from './errors.js';
import { Fields } from './fields.js';
import { findCycle } from './graph.js';
import { posOf } from './positions.js';
import { normalizeNetwork, normalizeSecret, normalizeVolume } from './resources.js';
import { normalizeService } from './service.js';
import { isTreeMap } from './source.js';
import type { Tree, TreeMap } from './source.js';
import type { Project, Service } from './types.js';

export interface NormalizeOptions {
  name: string;
  workingDir: string;
  composeFiles: string[];
  env: Record<string, string>;
  warnings: Set<string>;
  profiles: string[];
  includeServices: string[];
}

const TOP_LEVEL_KEYS = ['version', 'name', 'services', 'networks', 'volumes', 'secrets', 'configs', 'include', 'models'];
const SERVICE_NAME_RE = /^[a-zA-Z0-9._-]+$/;

/** Where a key path of the merged tree was written, for errors found after typing. */
function locate(tree: TreeMap, path: KeyPath): { pos: ReturnType<typeof posOf>; path: KeyPath } {
  let container: Tree = tree;
  let pos = posOf(tree);
  for (const seg of path) {
    if (container === null || typeof container !== 'object') break;
    pos = posOf(container, seg) ?? pos;
    container = (container as Record<string | number, Tree>)[seg as never] ?? null;
  }
  return { pos, path };
}

/** Turns the merged tree into the typed Project: types, defaults, profiles and cross-references. */
export async function normalizeProject(tree: TreeMap, options: NormalizeOptions): Promise<Project> {
  const top = new Fields(tree, []);
  top.checkKeys(TOP_LEVEL_KEYS);
  if ('version' in tree) options.warnings.add('the attribute `version` is obsolete, it will be ignored');
  const fail = (path: KeyPath, reason: string): never => {
    throw new ComposeError(reason, locate(tree, path));
  };

  const all: Record<string, Service> = {};
  const servicesTree = top.sub('services');
  for (const name of Object.keys(servicesTree?.map ?? {})) {
    if (!SERVICE_NAME_RE.test(name)) fail(['services', name], `invalid service name "${name}": only [a-zA-Z0-9._-] are allowed`);
    const f = servicesTree!.sub(name);
    if (!f) fail(['services', name], 'must be a mapping');
    all[name] = await normalizeService(name, f!, { env: options.env, warnings: options.warnings });
  }

  const project: Project = {
    name: options.name,
    workingDir: options.workingDir,
    composeFiles: options.composeFiles,
    services: {},
    disabledServices: {},
    networks: section(top, 'networks', (k, f) => normalizeNetwork(k, f, options.name)),
    volumes: section(top, 'volumes', (k, f) => normalizeVolume(k, f, options.name)),
    secrets: section(top, 'secrets', (k, f) => normalizeSecret(k, f, options.name, 'secret')),
    configs: section(top, 'configs', (k, f) => normalizeSecret(k, f, options.name, 'config')),
    profiles: options.profiles,
    environment: options.env,
    extensions: top.extensions() ?? {},
    warnings: [],
  };

  for (const service of Object.values(all)) addImplicitDependencies(service, all, fail);
  for (const service of Object.values(all)) checkReferences(service, all, project, fail);
  for (const service of Object.values(all)) {
    if (!service.network_mode && !service.networks) service.networks = { default: null };
  }
  if (Object.values(all).some((s) => s.networks && 'default' in s.networks) && !project.networks.default) {
    project.networks.default = { name: `${options.name}_default` };
  }
  applyProfiles(project, all, options, fail);
  const cycle = findCycle(project);
  if (cycle) fail(['services', cycle[0]!, 'depends_on'], `dependency cycle detected: ${cycle.join(' -> ')}`);
  project.warnings = [...options.warnings];
  return project;
}

function section<T>(top: Fields, key: string, fn: (name: string, f: Fields | undefined) => T): Record<string, T> {
  const s = top.sub(key);
  const out: Record<string, T> = {};
  for (const name of Object.keys(s?.map ?? {})) {
    const value = s!.map[name];
    if (value !== null && !isTreeMap(value)) s!.fail(name, 'must be a mapping');
    out[name] = fn(name, s!.sub(name));
  }
  return out;
}

type Fail = (path: KeyPath, reason: string) => never;

/** links, volumes_from and network_mode service:x imply depends_on, as in compose. */
function addImplicitDependencies(service: Service, all: Record<string, Service>, fail: Fail): void {
  const add = (dep: string, key: string, index?: number): void => {
    const path = ['services', service.name, key, ...(index !== undefined ? [index] : [])];
    if (!(dep in all)) fail(path, `service "${service.name}" refers to undefined service "${dep}"`);
    service.depends_on ??= {};
    service.depends_on[dep] ??= { condition: 'service_started', restart: false, required: true };
  };
  service.links?.forEach((link, i) => add(link.split(':')[0]!, 'links', i));
  service.volumes_from?.forEach((from, i) => {
    if (from.startsWith('container:')) return;
    add(from.replace(/^service:/, '').split(':')[0]!, 'volumes_from', i);
  });
  if (service.network_mode?.startsWith('service:')) add(service.network_mode.slice('service:'.length), 'network_mode');
}

function checkReferences(service: Service, all: Record<string, Service>, project: Project, fail: Fail): void {
  const at = (...path: KeyPath): KeyPath => ['services', service.name, ...path];
  for (const dep of Object.keys(service.depends_on ?? {})) {
    if (!(dep in all)) fail(at('depends_on', dep), `service "${service.name}" depends on undefined service "${dep}"`);
  }
  for (const network of Object.keys(service.networks ?? {})) {
    if (network !== 'default' && !(network in project.networks)) fail(at('networks', network), `service "${service.name}" refers to undefined network ${network}: invalid compose project`);
  }
  if (service.network_mode && service.networks) fail(at('network_mode'), `service "${service.name}" declares mutually exclusive network_mode and networks`);
  service.volumes?.forEach((volume, i) => {
    if (volume.type === 'volume' && volume.source && !(volume.source in project.volumes)) {
      fail(at('volumes', i), `service "${service.name}" refers to undefined volume ${volume.source}: invalid compose project`);
    }
  });
  for (const kind of ['secrets', 'configs'] as const) {
    service[kind]?.forEach((ref, i) => {
      if (!(ref.source in project[kind])) fail(at(kind, i), `service "${service.name}" refers to undefined ${kind.slice(0, -1)} ${ref.source}: invalid compose project`);
    });
  }
  service.build?.secrets?.forEach((ref, i) => {
    if (!(ref.source in project.secrets)) fail(at('build', 'secrets', i), `service "${service.name}" refers to undefined build secret ${ref.source}: invalid compose project`);
  });
}

/**
 * A service with `profiles` is enabled when one of them is active (`*` activates all) or when
 * it is named explicitly. A dependency on a disabled service is an error unless `required: false`.
 */
function applyProfiles(project: Project, all: Record<string, Service>, options: NormalizeOptions, fail: Fail): void {
  for (const name of options.includeServices) {
    if (!(name in all)) throw new ComposeError(`no such service: ${name}`);
  }
  const active = new Set(options.profiles);
  const enabled = (s: Service): boolean =>
    !s.profiles || s.profiles.length === 0 || active.has('*') || s.profiles.some((p) => active.has(p)) || options.includeServices.includes(s.name);
  for (const service of Object.values(all)) {
    if (enabled(service)) project.services[service.name] = service;
    else project.disabledServices[service.name] = service;
  }
  for (const service of Object.values(project.services)) {
    for (const [dep, spec] of Object.entries(service.depends_on ?? {})) {
      if (dep in project.services) continue;
      if (spec.required) {
        const profiles = project.disabledServices[dep]?.profiles?.join(', ') ?? '';
        fail(['services', service.name, 'depends_on', dep], `service "${service.name}" depends on service "${dep}" which is disabled (profiles: ${profiles})`);
      }
      delete service.depends_on![dep];
    }
  }
}
