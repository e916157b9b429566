import type { KeyPath } from './errors.js';
import { InterpolationError, substitute, unsetWarning } from './interpolate.js';
import type { Lookup } from './interpolate.js';
import { isTreeMap, OverrideTag } from './source.js';
import type { Tree } from './source.js';
import { errorAt, listLike, mapLike } from './tree.js';

export interface InterpolateTreeOptions {
  lookup: Lookup;
  /** Collects one warning per unset variable. */
  warnings: Set<string>;
}

/** Interpolates every string value of a file (keys are left as written, like compose). */
export function interpolateTree(tree: Tree, options: InterpolateTreeOptions): Tree {
  return walk(tree, undefined, undefined, [], options);
}

function walk(value: Tree, container: unknown, key: string | number | undefined, path: KeyPath, options: InterpolateTreeOptions): Tree {
  if (typeof value === 'string') {
    try {
      return substitute(value, { lookup: options.lookup, onUnset: (name) => options.warnings.add(unsetWarning(name)) });
    } catch (err) {
      if (err instanceof InterpolationError) throw errorAt(container, key, path, err.message);
      throw err;
    }
  }
  if (value instanceof OverrideTag) return new OverrideTag(walk(value.value, container, key, path, options));
  if (Array.isArray(value)) {
    const out = listLike(value);
    value.forEach((item, i) => out.push(walk(item, value, i, [...path, i], options)));
    return out;
  }
  if (isTreeMap(value)) {
    const out = mapLike(value);
    for (const [k, v] of Object.entries(value)) out[k] = walk(v, value, k, [...path, k], options);
    return out;
  }
  return value;
}
