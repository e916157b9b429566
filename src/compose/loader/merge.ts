import { posOf, setPos } from './positions.js';
import { isTreeMap, OverrideTag, ResetTag } from './source.js';
import type { Tree, TreeMap } from './source.js';
import { deepEqual, listLike, mapLike } from './tree.js';

/**
 * Compose's override rules for `-f a.yaml -f b.yaml` and for `extends`, applied to canonical
 * (long syntax) trees: mappings merge key by key, scalars are replaced, sequences are appended
 * without duplicates, and a few fields follow their own rule:
 * - `command`, `entrypoint`, `healthcheck.test` are replaced as a whole;
 * - `ports` keep one entry per distinct mapping;
 * - `volumes` (and `devices`) are keyed by container target, `secrets`/`configs` by target;
 * - `env_file` is keyed by path.
 * `!reset` removes what earlier files set; `!override` replaces it without merging.
 */
export function mergeTrees(base: Tree, override: Tree, path: string[] = []): Tree {
  if (override instanceof OverrideTag) return override.value;
  if (override instanceof ResetTag) return override;
  if (isTreeMap(base) && isTreeMap(override)) return mergeMaps(base, override, path);
  if (Array.isArray(base) && Array.isArray(override)) {
    if (REPLACED.some((pattern) => matches(pattern, path))) return override;
    const keyOf = KEYED.find(([pattern]) => matches(pattern, path))?.[1];
    return mergeSequences(base, override, keyOf);
  }
  return override;
}

const REPLACED = ['services.*.command', 'services.*.entrypoint', 'services.*.healthcheck.test'];

type KeyFn = (item: Tree) => string | undefined;

const byField =
  (field: string, fallback?: (item: TreeMap) => string | undefined): KeyFn =>
  (item) => {
    if (!isTreeMap(item)) return undefined;
    const v = item[field];
    if (typeof v === 'string' || typeof v === 'number') return String(v);
    return fallback?.(item);
  };

const KEYED: Array<[string, KeyFn]> = [
  ['services.*.volumes', byField('target')],
  ['services.*.devices', (item) => (typeof item === 'string' ? item.split(':')[1] ?? item : undefined)],
  ['services.*.secrets', byField('target', (i) => (typeof i.source === 'string' ? `/run/secrets/${i.source}` : undefined))],
  ['services.*.configs', byField('target', (i) => (typeof i.source === 'string' ? `/${i.source}` : undefined))],
  ['services.*.env_file', byField('path')],
];

function matches(pattern: string, path: string[]): boolean {
  const parts = pattern.split('.');
  return parts.length === path.length && parts.every((p, i) => p === '*' || p === path[i]);
}

function mergeMaps(base: TreeMap, override: TreeMap, path: string[]): TreeMap {
  const out = mapLike(base);
  for (const [k, v] of Object.entries(base)) out[k] = v;
  for (const [k, v] of Object.entries(override)) {
    if (v instanceof ResetTag) {
      delete out[k];
      continue;
    }
    out[k] = k in base ? mergeTrees(base[k]!, v, [...path, k]) : v instanceof OverrideTag ? v.value : v;
    setPos(out, k, posOf(override, k));
  }
  return out;
}

function mergeSequences(base: Tree[], override: Tree[], keyOf: KeyFn | undefined): Tree[] {
  const out = listLike(base);
  const push = (item: Tree, from: Tree[], i: number): void => {
    setPos(out, out.length, posOf(from, i));
    out.push(item);
  };
  base.forEach((item, i) => push(item, base, i));
  override.forEach((item, i) => {
    const key = keyOf?.(item);
    if (key !== undefined) {
      const existing = out.findIndex((e) => keyOf!(e) === key);
      if (existing >= 0) {
        out[existing] = item;
        setPos(out, existing, posOf(override, i));
        return;
      }
    }
    if (out.some((e) => deepEqual(e, item))) return;
    push(item, override, i);
  });
  return out;
}
