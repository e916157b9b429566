import * as path from 'node:path';
import type { KeyPath } from './errors.js';
import { parsePortSpec } from './ports.js';
import { copyPositions, posOf, setPos, setSelfPos } from './positions.js';
import { isTreeMap } from './source.js';
import type { Tree, TreeMap } from './source.js';
import { errorAt, listLike, listOrMapToMap, mapLike, stringOrList, throughTags } from './tree.js';
import { looksLikePath, parseVolumeSpec } from './volumes.js';

/**
 * Rewrites one file's tree into the long syntax (ports, volumes, environment, depends_on, ...)
 * with absolute paths, before files are merged: merging by key (a port, a volume target, a
 * variable name) then works the same whichever syntax each file used, and relative paths keep
 * the meaning they had in the file that wrote them.
 */
export interface CanonicalOptions {
  /** Directory relative paths are resolved against. */
  baseDir: string;
  /** Home directory for `~`. */
  home: string;
}

export function resolveHostPath(p: string, options: CanonicalOptions): string {
  if (p === '~') return options.home;
  if (p.startsWith('~/')) return path.join(options.home, p.slice(2));
  return path.resolve(options.baseDir, p);
}

function isRemoteContext(context: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(context) || context.startsWith('git@') || context.startsWith('github.com/');
}

export function canonicalizeFile(tree: TreeMap, options: CanonicalOptions): TreeMap {
  const out = mapLike(tree);
  for (const [key, value] of Object.entries(tree)) {
    if (key === 'services' && isTreeMap(value)) {
      const services = mapLike(value);
      for (const [name, svc] of Object.entries(value)) {
        services[name] = throughTags(svc, (s) => (isTreeMap(s) ? canonicalService(s, ['services', name], options) : s));
      }
      out[key] = services;
    } else if ((key === 'secrets' || key === 'configs') && isTreeMap(value)) {
      const defs = mapLike(value);
      for (const [name, def] of Object.entries(value)) {
        if (isTreeMap(def) && typeof def.file === 'string') {
          const copy = mapLike(def);
          Object.assign(copy, def, { file: resolveHostPath(def.file, options) });
          defs[name] = copy;
        } else {
          defs[name] = def;
        }
      }
      out[key] = defs;
    } else if ((key === 'networks' || key === 'volumes') && isTreeMap(value)) {
      const defs = mapLike(value);
      for (const [name, def] of Object.entries(value)) {
        defs[name] = isTreeMap(def) && 'labels' in def ? withMap(def, 'labels', [key, name]) : def;
      }
      out[key] = defs;
    } else {
      out[key] = value;
    }
  }
  return out;
}

function withMap(def: TreeMap, key: string, path: KeyPath): TreeMap {
  const copy = mapLike(def);
  Object.assign(copy, def);
  copy[key] = throughTags(def[key]!, (v) => listOrMapToMap(v, def, key, [...path, key]));
  return copy;
}

const MAP_KEYS = ['environment', 'labels', 'annotations', 'sysctls', 'storage_opt'];
const STRING_OR_LIST_KEYS = ['dns', 'dns_search', 'dns_opt', 'tmpfs'];

function canonicalService(svc: TreeMap, path: KeyPath, options: CanonicalOptions): TreeMap {
  const out = mapLike(svc);
  for (const [key, raw] of Object.entries(svc)) {
    const p = [...path, key];
    out[key] = throughTags(raw, (value) => {
      if (MAP_KEYS.includes(key)) return listOrMapToMap(value, svc, key, p);
      if (STRING_OR_LIST_KEYS.includes(key)) return stringOrList(value, svc, key, p);
      switch (key) {
        case 'extra_hosts':
          return canonicalExtraHosts(value, svc, key, p);
        case 'build':
          return canonicalBuild(value, svc, p, options);
        case 'ports':
          return canonicalPorts(value, svc, p);
        case 'expose':
          return Array.isArray(value) ? value.map((v) => (typeof v === 'number' ? String(v) : v)) : value;
        case 'volumes':
          return canonicalVolumes(value, svc, p, options);
        case 'env_file':
          return canonicalEnvFiles(value, svc, p, options);
        case 'depends_on':
          return canonicalDependsOn(value, svc, p);
        case 'networks':
          return Array.isArray(value) ? listToNullMap(value, svc, key, p) : value;
        case 'secrets':
        case 'configs':
          return canonicalFileRefs(value, p);
        case 'extends':
          return canonicalExtends(value, svc, p, options);
        case 'ulimits':
          return canonicalUlimits(value);
        case 'deploy':
          return isTreeMap(value) && 'labels' in value ? withMap(value, 'labels', p) : value;
        default:
          return value;
      }
    });
  }
  return out;
}

function listToNullMap(value: Tree[], container: unknown, key: string, path: KeyPath): TreeMap {
  const out: TreeMap = {};
  setSelfPos(out, posOf(container, key));
  value.forEach((item, i) => {
    if (typeof item !== 'string') throw errorAt(value, i, [...path, i], 'must be a string');
    setPos(out, item, posOf(value, i));
    out[item] = null;
  });
  return out;
}

/** `host:ip`, `host=ip` or a mapping → host → list of addresses. */
function canonicalExtraHosts(value: Tree, container: unknown, key: string, path: KeyPath): TreeMap {
  const out: TreeMap = {};
  copyPositions(value, out);
  setSelfPos(out, posOf(container, key));
  const add = (host: string, ip: Tree, pos: unknown, k: string | number): void => {
    const ips = Array.isArray(ip) ? ip.map(String) : [String(ip)];
    const existing = out[host];
    out[host] = [...(Array.isArray(existing) ? existing : []), ...ips];
    setPos(out, host, posOf(pos, k));
  };
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      const text = String(item);
      const sep = text.includes('=') ? text.indexOf('=') : text.indexOf(':');
      if (sep <= 0) throw errorAt(value, i, [...path, i], `invalid extra host "${text}": expected host:ip or host=ip`);
      add(text.slice(0, sep), text.slice(sep + 1), value, i);
    });
  } else if (isTreeMap(value)) {
    for (const [host, ip] of Object.entries(value)) add(host, ip, value, host);
  } else if (value !== null) {
    throw errorAt(container, key, path, 'must be a mapping or a list');
  }
  return out;
}

function canonicalBuild(value: Tree, svc: TreeMap, path: KeyPath, options: CanonicalOptions): Tree {
  if (typeof value === 'string') {
    const out: TreeMap = { context: isRemoteContext(value) ? value : resolveHostPath(value, options) };
    setSelfPos(out, posOf(svc, 'build'));
    return out;
  }
  if (!isTreeMap(value)) throw errorAt(svc, 'build', path, 'must be a string or a mapping');
  const out = mapLike(value);
  Object.assign(out, value);
  const context = typeof value.context === 'string' ? value.context : '.';
  out.context = isRemoteContext(context) ? context : resolveHostPath(context, options);
  for (const k of ['args', 'labels']) if (k in value) out[k] = throughTags(value[k]!, (v) => listOrMapToMap(v, value, k, [...path, k]));
  if ('extra_hosts' in value) out.extra_hosts = canonicalExtraHosts(value.extra_hosts!, value, 'extra_hosts', [...path, 'extra_hosts']);
  if (Array.isArray(value.secrets)) out.secrets = canonicalFileRefs(value.secrets, [...path, 'secrets']);
  if (typeof value.ssh === 'string') out.ssh = [value.ssh];
  if (isTreeMap(value.ssh)) out.ssh = Object.entries(value.ssh).map(([k, v]) => (v === null ? k : `${k}=${String(v)}`));
  return out;
}

function canonicalPorts(value: Tree, svc: TreeMap, path: KeyPath): Tree {
  if (!Array.isArray(value)) throw errorAt(svc, 'ports', path, 'must be a list');
  const out: Tree[] = [];
  setSelfPos(out, posOf(svc, 'ports'));
  value.forEach((item, i) => {
    if (typeof item === 'string' || typeof item === 'number') {
      let ports;
      try {
        ports = parsePortSpec(item);
      } catch (err) {
        throw errorAt(value, i, [...path, i], (err as Error).message);
      }
      for (const port of ports) {
        const entry = { ...port } as TreeMap;
        setSelfPos(entry, posOf(value, i));
        setPos(out, out.length, posOf(value, i));
        out.push(entry);
      }
    } else if (isTreeMap(item)) {
      setPos(out, out.length, posOf(value, i));
      out.push(item);
    } else {
      throw errorAt(value, i, [...path, i], 'must be a string, a number or a mapping');
    }
  });
  return out;
}

function canonicalVolumes(value: Tree, svc: TreeMap, path: KeyPath, options: CanonicalOptions): Tree {
  if (!Array.isArray(value)) throw errorAt(svc, 'volumes', path, 'must be a list');
  const out = listLike(value);
  value.forEach((item, i) => {
    let entry: TreeMap;
    if (typeof item === 'string') {
      try {
        entry = parseVolumeSpec(item) as unknown as TreeMap;
      } catch (err) {
        throw errorAt(value, i, [...path, i], (err as Error).message);
      }
      setSelfPos(entry, posOf(value, i));
    } else if (isTreeMap(item)) {
      entry = mapLike(item);
      Object.assign(entry, item);
    } else {
      throw errorAt(value, i, [...path, i], 'must be a string or a mapping');
    }
    if (entry.type === 'bind' && typeof entry.source === 'string') {
      entry.source = resolveHostPath(entry.source, options);
    } else if (entry.type === 'volume' && typeof entry.source === 'string' && looksLikePath(entry.source) && isTreeMap(item)) {
      throw errorAt(value, i, [...path, i], `invalid volume: source "${entry.source}" of a volume mount must be a volume name`);
    }
    out.push(entry);
  });
  return out;
}

function canonicalEnvFiles(value: Tree, svc: TreeMap, path: KeyPath, options: CanonicalOptions): Tree {
  const list = stringOrList(value, svc, 'env_file', path);
  const out = listLike(list);
  list.forEach((item, i) => {
    if (typeof item === 'string') {
      out.push({ path: resolveHostPath(item, options), required: true });
    } else if (isTreeMap(item) && typeof item.path === 'string') {
      const entry = mapLike(item);
      Object.assign(entry, item, { path: resolveHostPath(item.path, options) });
      if (!('required' in item)) entry.required = true;
      out.push(entry);
    } else {
      throw errorAt(list, i, [...path, i], 'must be a path or a mapping with "path"');
    }
  });
  return out;
}

function canonicalDependsOn(value: Tree, svc: TreeMap, path: KeyPath): Tree {
  if (Array.isArray(value)) {
    const out: TreeMap = {};
    setSelfPos(out, posOf(svc, 'depends_on'));
    value.forEach((item, i) => {
      if (typeof item !== 'string') throw errorAt(value, i, [...path, i], 'must be a string');
      setPos(out, item, posOf(value, i));
      out[item] = { condition: 'service_started', required: true };
    });
    return out;
  }
  return value;
}

function canonicalFileRefs(value: Tree, path: KeyPath): Tree {
  if (!Array.isArray(value)) return value;
  const out = listLike(value);
  value.forEach((item, i) => {
    if (typeof item === 'string') {
      const entry: TreeMap = { source: item };
      setSelfPos(entry, posOf(value, i));
      out.push(entry);
    } else {
      out.push(item);
    }
  });
  void path;
  return out;
}

function canonicalExtends(value: Tree, svc: TreeMap, path: KeyPath, options: CanonicalOptions): Tree {
  if (typeof value === 'string') {
    const out: TreeMap = { service: value };
    setSelfPos(out, posOf(svc, 'extends'));
    return out;
  }
  if (!isTreeMap(value) || typeof value.service !== 'string') throw errorAt(svc, 'extends', path, 'must be a service name or a mapping with "service"');
  const out = mapLike(value);
  Object.assign(out, value);
  if (typeof value.file === 'string') out.file = resolveHostPath(value.file, options);
  return out;
}

function canonicalUlimits(value: Tree): Tree {
  if (!isTreeMap(value)) return value;
  const out = mapLike(value);
  for (const [name, limit] of Object.entries(value)) {
    out[name] = typeof limit === 'number' || typeof limit === 'string' ? { soft: limit, hard: limit } : limit;
  }
  return out;
}
