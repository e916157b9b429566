import type { KeyPath } from './errors.js';
import { isTreeMap } from './source.js';
import type { Tree, TreeMap } from './source.js';
import { errorAt } from './tree.js';
import { parseGoDuration } from '../../util/go-duration.js';
import { parseBytes } from './units.js';

/**
 * Typed reads from one mapping of the merged tree. Values may be strings after interpolation
 * (`replicas: ${N}`), so numbers and booleans are also accepted in their string form, as
 * compose does. Every failure names the key path and the line.
 */
export class Fields {
  constructor(
    readonly map: TreeMap,
    readonly path: KeyPath,
  ) {}

  fail(key: string | number, reason: string): never {
    throw errorAt(this.map, key, [...this.path, key], reason);
  }

  has(key: string): boolean {
    return key in this.map && this.map[key] !== undefined;
  }

  /** Rejects keys outside `allowed`, except `x-` extensions. */
  checkKeys(allowed: readonly string[]): void {
    for (const key of Object.keys(this.map)) {
      if (key.startsWith('x-') || allowed.includes(key)) continue;
      throw errorAt(this.map, key, this.path, `additional property ${key} is not allowed`);
    }
  }

  extensions(): Record<string, unknown> | undefined {
    const entries = Object.entries(this.map).filter(([k]) => k.startsWith('x-'));
    return entries.length > 0 ? Object.fromEntries(entries) : undefined;
  }

  sub(key: string): Fields | undefined {
    const v = this.map[key];
    if (v === undefined || v === null) return undefined;
    if (!isTreeMap(v)) this.fail(key, 'must be a mapping');
    return new Fields(v, [...this.path, key]);
  }

  raw(key: string): Tree | undefined {
    return this.map[key];
  }

  str(key: string): string | undefined {
    const v = this.map[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    this.fail(key, 'must be a string');
  }

  bool(key: string): boolean | undefined {
    const v = this.map[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'boolean') return v;
    if (typeof v === 'string') {
      const lower = v.toLowerCase();
      if (['true', 'yes', 'y', 'on', '1'].includes(lower)) return true;
      if (['false', 'no', 'n', 'off', '0'].includes(lower)) return false;
    }
    this.fail(key, `must be a boolean, got ${JSON.stringify(v)}`);
  }

  num(key: string): number | undefined {
    const v = this.map[key];
    if (v === undefined || v === null) return undefined;
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (!Number.isFinite(n)) this.fail(key, `must be a number, got ${JSON.stringify(v)}`);
    return n;
  }

  int(key: string): number | undefined {
    const n = this.num(key);
    if (n !== undefined && !Number.isInteger(n)) this.fail(key, `must be an integer, got ${n}`);
    return n;
  }

  duration(key: string): number | undefined {
    const v = this.str(key);
    if (v === undefined) return undefined;
    try {
      return parseGoDuration(v.trim());
    } catch (err) {
      this.fail(key, (err as Error).message);
    }
  }

  bytes(key: string): number | undefined {
    const v = this.map[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' && typeof v !== 'number') this.fail(key, 'must be a size like "64m"');
    try {
      return parseBytes(v);
    } catch (err) {
      this.fail(key, (err as Error).message);
    }
  }

  /** File modes are octal in YAML 1.2 only with 0o; compose also accepts the string "0440". */
  mode(key: string): number | undefined {
    const v = this.map[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number') return v;
    if (typeof v === 'string' && /^0?o?[0-7]+$/.test(v)) return parseInt(v.replace(/^0?o?/, ''), 8);
    this.fail(key, `must be a file mode, got ${JSON.stringify(v)}`);
  }

  strList(key: string): string[] | undefined {
    const v = this.map[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) this.fail(key, 'must be a list of strings');
    return v.map((item, i) => {
      if (typeof item === 'string') return item;
      if (typeof item === 'number' || typeof item === 'boolean') return String(item);
      throw errorAt(v, i, [...this.path, key, i], 'must be a string');
    });
  }

  /** A mapping of strings (already converted from list form by the canonical stage). */
  strMap(key: string): Record<string, string> | undefined {
    const v = this.map[key];
    if (v === undefined || v === null) return undefined;
    if (!isTreeMap(v)) this.fail(key, 'must be a mapping');
    const out: Record<string, string> = {};
    for (const [k, item] of Object.entries(v)) {
      if (item !== null && typeof item === 'object') throw errorAt(v, k, [...this.path, key, k], 'must be a string');
      out[k] = item === null ? '' : String(item);
    }
    return out;
  }

  /** Like strMap but keeps `null` for keys given without a value. */
  nullableMap(key: string): Record<string, string | null> | undefined {
    const v = this.map[key];
    if (v === undefined || v === null) return undefined;
    if (!isTreeMap(v)) this.fail(key, 'must be a mapping');
    const out: Record<string, string | null> = {};
    for (const [k, item] of Object.entries(v)) {
      if (item !== null && typeof item === 'object') throw errorAt(v, k, [...this.path, key, k], 'must be a string');
      out[k] = item === null ? null : String(item);
    }
    return out;
  }

  /** A list whose items are mappings, as Fields. */
  mapList(key: string): Fields[] | undefined {
    const v = this.map[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) this.fail(key, 'must be a list');
    return v.map((item, i) => {
      if (!isTreeMap(item)) throw errorAt(v, i, [...this.path, key, i], 'must be a mapping');
      return new Fields(item, [...this.path, key, i]);
    });
  }

  oneOf<T extends string>(key: string, values: readonly T[]): T | undefined {
    const v = this.str(key);
    if (v === undefined) return undefined;
    if (!(values as readonly string[]).includes(v)) this.fail(key, `must be one of ${values.join(', ')}, got "${v}"`);
    return v as T;
  }
}

/** Drops undefined fields so serialized output and hashes only carry what was set. */
export function compact<T extends object>(value: T): T {
  for (const key of Object.keys(value) as Array<keyof T>) if (value[key] === undefined) delete value[key];
  return value;
}
