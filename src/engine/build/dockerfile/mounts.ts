/**
 * `RUN --mount=type=cache,target=/root/.cache,sharing=locked` parsed into typed mounts, with
 * BuildKit's validation and defaults (frontend/dockerfile/instructions/commands_runmount.go).
 *
 * Values may contain build variables (`uid=$UID`). Mounts are parsed once when the Dockerfile is
 * read, with such values left unchecked, and again with an expander at build time.
 */
import { withSuggestion } from './errors.js';

export type MountType = 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
export type MountSharing = 'shared' | 'private' | 'locked';

export interface RunMount {
  type: MountType;
  /** Stage name or index, or image reference, for bind and cache mounts. */
  from?: string;
  source?: string;
  /** Where the mount appears; for secrets and ssh a default is chosen at build time. */
  target?: string;
  readOnly: boolean;
  /** tmpfs size limit in bytes. */
  size?: number;
  /** Cache id (defaults to the target) or secret / ssh id. */
  id?: string;
  sharing?: MountSharing;
  required: boolean;
  /** secret mounts: expose the secret as this environment variable. */
  env?: string;
  mode?: number;
  uid?: number;
  gid?: number;
}

const MOUNT_TYPES: readonly MountType[] = ['bind', 'cache', 'tmpfs', 'secret', 'ssh'];
const SHARING: readonly MountSharing[] = ['shared', 'private', 'locked'];
const ALL_KEYS = [
  'type', 'from', 'source', 'target', 'readonly', 'id', 'sharing', 'required', 'size', 'mode', 'uid', 'gid',
  'src', 'dst', 'destination', 'ro', 'rw', 'readwrite', 'env',
];

/** Comma-separated fields with CSV quoting (`"a,b"` is one field, `""` a literal quote). */
export function splitCsvFields(text: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      fields.push(field);
      field = '';
    } else field += ch;
  }
  if (quoted) throw new Error(`failed to parse csv mounts: unterminated quote in "${text}"`);
  fields.push(field);
  return fields;
}

function parseBool(key: string, value: string): boolean {
  const v = value.toLowerCase();
  if (['1', 't', 'true'].includes(v)) return true;
  if (['0', 'f', 'false'].includes(v)) return false;
  throw new Error(`invalid value for ${key}: ${value}`);
}

function parseUint(key: string, value: string, radix: 8 | 10): number {
  const re = radix === 8 ? /^[0-7]+$/ : /^\d+$/;
  const n = re.test(value) ? Number.parseInt(value, radix) : NaN;
  if (!Number.isSafeInteger(n) || n > 0xffffffff) throw new Error(`invalid value ${value} for ${key}`);
  return n;
}

/** docker/go-units RAMInBytes: `64m`, `1.5g`, `512k`, `1024` (binary units). */
export function parseRamSize(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?$/i.exec(value.trim());
  if (!m) throw new Error(`invalid size: '${value}'`);
  const power = ['', 'k', 'm', 'g', 't', 'p'].indexOf(m[2]!.toLowerCase());
  return Math.floor(Number(m[1]) * 1024 ** power);
}

const hasVariable = (value: string): boolean => value.includes('$');

/**
 * Parse one `--mount` value. With `expand`, every value is expanded and fully checked; without,
 * values that reference variables are kept as written and checked later.
 */
export function parseMount(spec: string, expand?: (word: string) => string): RunMount {
  const mount: RunMount = { type: 'bind', readOnly: true, required: false };
  let readOnlyGiven = false;

  for (const field of splitCsvFields(spec)) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    if (eq < 0) {
      switch (key) {
        case 'readonly':
        case 'ro':
          mount.readOnly = true;
          readOnlyGiven = true;
          continue;
        case 'readwrite':
        case 'rw':
          mount.readOnly = false;
          readOnlyGiven = true;
          continue;
        case 'required':
          if (mount.type !== 'secret' && mount.type !== 'ssh') {
            throw new Error(`unexpected key '${key}' for mount type '${mount.type}'`);
          }
          mount.required = true;
          continue;
        default:
          throw new Error(`invalid field '${field}' must be a key=value pair`);
      }
    }
    let value = field.slice(eq + 1);
    if (key === 'from' && value.slice(0, -1).includes('$')) {
      throw new Error(`'from' doesn't support variable expansion, define alias stage instead`);
    }
    if (expand) value = expand(value);
    else if (hasVariable(value)) {
      // Checked again once the variable is known; keep strings so the graph can see them.
      if (key === 'target' || key === 'dst' || key === 'destination') mount.target = value;
      else if (key === 'source' || key === 'src') mount.source = value;
      else if (key === 'id') mount.id = value;
      continue;
    }
    switch (key) {
      case 'type': {
        const type = value.toLowerCase() as MountType;
        if (!MOUNT_TYPES.includes(type)) {
          throw new Error(withSuggestion(`unsupported mount type "${value}"`, value, MOUNT_TYPES, true));
        }
        mount.type = type;
        break;
      }
      case 'from':
        mount.from = value;
        break;
      case 'source':
      case 'src':
        mount.source = value;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        mount.target = value;
        break;
      case 'readonly':
      case 'ro':
        mount.readOnly = parseBool(key, value);
        readOnlyGiven = true;
        break;
      case 'readwrite':
      case 'rw':
        mount.readOnly = !parseBool(key, value);
        readOnlyGiven = true;
        break;
      case 'required':
        if (mount.type !== 'secret' && mount.type !== 'ssh') {
          throw new Error(`unexpected key '${key}' for mount type '${mount.type}'`);
        }
        mount.required = parseBool(key, value);
        break;
      case 'size':
        if (mount.type !== 'tmpfs') throw new Error(`unexpected key '${key}' for mount type '${mount.type}'`);
        try {
          mount.size = parseRamSize(value);
        } catch {
          throw new Error(`invalid value for ${key}: ${value}`);
        }
        break;
      case 'id':
        mount.id = value;
        break;
      case 'sharing': {
        const sharing = value.toLowerCase() as MountSharing;
        if (!SHARING.includes(sharing)) {
          throw new Error(withSuggestion(`unsupported sharing value "${value}"`, value, SHARING, true));
        }
        mount.sharing = sharing;
        break;
      }
      case 'mode':
        mount.mode = parseUint('mode', value, 8);
        break;
      case 'uid':
        mount.uid = parseUint('uid', value, 10);
        break;
      case 'gid':
        mount.gid = parseUint('gid', value, 10);
        break;
      case 'env':
        mount.env = value;
        break;
      default:
        throw new Error(withSuggestion(`unexpected key '${key}' in '${field}'`, key, ALL_KEYS, true));
    }
  }

  const fileInfoAllowed = mount.type === 'secret' || mount.type === 'ssh' || mount.type === 'cache';
  if (!fileInfoAllowed) {
    for (const k of ['mode', 'uid', 'gid'] as const) {
      if (mount[k] !== undefined) throw new Error(`${k} not allowed for "${mount.type}" type mounts`);
    }
  }
  // Caches and tmpfs are writable unless asked otherwise; everything else is read-only.
  if (!readOnlyGiven) mount.readOnly = !(mount.type === 'cache' || mount.type === 'tmpfs');
  if (mount.type === 'secret') {
    if (mount.from !== undefined) throw new Error('secret mount should not have a from');
    if (mount.sharing !== undefined) throw new Error('secret mount should not define sharing');
    if (!mount.source && !mount.target && !mount.id) throw new Error('invalid secret mount. one of source, target required');
    if (mount.source && mount.id) throw new Error("both source and id can't be set");
  }
  if (mount.sharing !== undefined && mount.type !== 'cache') {
    throw new Error(`invalid cache sharing set for ${mount.type} mount`);
  }
  if ((mount.type === 'bind' || mount.type === 'cache' || mount.type === 'tmpfs') && !mount.target) {
    throw new Error(`mount type "${mount.type}" requires a target`);
  }
  return mount;
}

/**
 * Fill in the ids and targets BuildKit derives when they are not given: a cache's id is its
 * target; a secret's id comes from source or the target's base name and it lands in
 * /run/secrets/<id>; ssh uses the `default` agent at /run/buildkit/ssh_agent.<n>.
 */
export function withMountDefaults(mount: RunMount, sshIndex = 0): RunMount {
  const base = (p: string): string => p.replace(/\/+$/, '').split('/').pop() ?? p;
  switch (mount.type) {
    case 'cache':
      return { ...mount, id: mount.id || normalizePath(mount.target ?? '') };
    case 'secret': {
      const id = mount.source || mount.id || base(mount.target ?? '');
      return { ...mount, id, source: undefined, target: mount.target || `/run/secrets/${base(id)}` };
    }
    case 'ssh':
      return { ...mount, id: mount.id || 'default', target: mount.target || `/run/buildkit/ssh_agent.${sshIndex}` };
    default:
      return mount;
  }
}

/** path.Clean for POSIX paths. */
function normalizePath(p: string): string {
  const abs = p.startsWith('/');
  const parts: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop();
      else if (!abs) parts.push('..');
    } else parts.push(part);
  }
  const joined = parts.join('/');
  return abs ? '/' + joined : joined || '.';
}
