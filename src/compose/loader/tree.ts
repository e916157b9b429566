import { ComposeError } from './errors.js';
import type { KeyPath } from './errors.js';
import { copyPositions, posOf, setPos, setSelfPos } from './positions.js';
import { isTreeMap, OverrideTag, ResetTag } from './source.js';
import type { Tree, TreeMap } from './source.js';

/** Small helpers shared by the stages that rewrite the plain tree. */

export function errorAt(container: unknown, key: string | number | undefined, path: KeyPath, reason: string, cause?: unknown): ComposeError {
  return new ComposeError(reason, { pos: posOf(container, key), path, cause });
}

/** A new map with the same positions as `from`. */
export function mapLike(from: unknown): TreeMap {
  const out: TreeMap = {};
  copyPositions(from, out);
  return out;
}

/** A new array with the same positions as `from`. */
export function listLike(from: unknown): Tree[] {
  const out: Tree[] = [];
  copyPositions(from, out);
  return out;
}

/** Applies `fn` under `!override` too, and leaves `!reset` alone. */
export function throughTags(value: Tree, fn: (v: Tree) => Tree): Tree {
  if (value instanceof ResetTag) return value;
  if (value instanceof OverrideTag) return new OverrideTag(fn(value.value));
  return fn(value);
}

/** Removes `!reset` keys and unwraps `!override` values left after merging. */
export function stripTags(value: Tree): Tree {
  if (value instanceof OverrideTag) return stripTags(value.value);
  if (Array.isArray(value)) {
    const out = listLike(value);
    for (const item of value) if (!(item instanceof ResetTag)) out.push(stripTags(item));
    return out;
  }
  if (isTreeMap(value)) {
    const out = mapLike(value);
    for (const [k, v] of Object.entries(value)) if (!(v instanceof ResetTag)) out[k] = stripTags(v);
    return out;
  }
  if (value instanceof ResetTag) return null;
  return value;
}

/** `KEY=VALUE` list or mapping → mapping; a bare `KEY` in a list maps to null. */
export function listOrMapToMap(value: Tree, container: unknown, key: string | number, path: KeyPath, separator = '='): TreeMap {
  if (value === null) return {};
  if (isTreeMap(value)) {
    const out = mapLike(value);
    for (const [k, v] of Object.entries(value)) {
      if (v !== null && typeof v === 'object') throw errorAt(value, k, [...path, k], 'must be a string, number, boolean or null');
      out[k] = v;
    }
    return out;
  }
  if (Array.isArray(value)) {
    const out: TreeMap = {};
    setSelfPos(out, posOf(container, key));
    value.forEach((item, i) => {
      if (typeof item !== 'string' && typeof item !== 'number') throw errorAt(value, i, [...path, i], 'must be a string');
      const text = String(item);
      const idx = text.indexOf(separator);
      const k = idx < 0 ? text : text.slice(0, idx);
      setPos(out, k, posOf(value, i));
      out[k] = idx < 0 ? null : text.slice(idx + 1);
    });
    return out;
  }
  throw errorAt(container, key, path, 'must be a mapping or a list');
}

/** A string becomes a one-element list; lists pass. */
export function stringOrList(value: Tree, container: unknown, key: string | number, path: KeyPath): Tree[] {
  if (typeof value === 'string' || typeof value === 'number') {
    const out: Tree[] = [String(value)];
    setPos(out, 0, posOf(container, key));
    return out;
  }
  if (Array.isArray(value)) return value;
  if (value === null) return [];
  throw errorAt(container, key, path, 'must be a string or a list');
}

export function deepEqual(a: Tree, b: Tree): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]!));
  if (isTreeMap(a) && isTreeMap(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => k in b && deepEqual(a[k]!, b[k]!));
  }
  return false;
}
