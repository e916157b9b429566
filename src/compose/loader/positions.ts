/**
 * Where a value came from. The loader works on plain JS trees (objects, arrays, scalars) so
 * that merging, extends and interpolation stay simple; positions live beside the tree in a
 * WeakMap keyed by the container object, one entry per key or index. Code that rebuilds a
 * container copies the positions over, so an error found late (after merging several files)
 * can still name the file and line the value was written on.
 */
export interface SourcePos {
  file: string;
  line: number;
}

/** Position used for keys of a container that have no entry of their own. */
const SELF = Symbol('self');
type Key = string | number | typeof SELF;

const table = new WeakMap<object, Map<Key, SourcePos>>();

function entries(container: object): Map<Key, SourcePos> {
  let map = table.get(container);
  if (!map) {
    map = new Map();
    table.set(container, map);
  }
  return map;
}

export function setPos(container: object, key: string | number, pos: SourcePos | undefined): void {
  if (pos) entries(container).set(key, pos);
}

/** Position of the container itself: the fallback for keys that were synthesized later. */
export function setSelfPos(container: object, pos: SourcePos | undefined): void {
  if (pos) entries(container).set(SELF, pos);
}

export function posOf(container: unknown, key?: string | number): SourcePos | undefined {
  if (typeof container !== 'object' || container === null) return undefined;
  const map = table.get(container);
  if (!map) return undefined;
  return (key !== undefined ? map.get(key) : undefined) ?? map.get(SELF);
}

/** Copies every key position (and the self position) from one container to another. */
export function copyPositions(from: unknown, to: object): void {
  if (typeof from !== 'object' || from === null) return;
  const map = table.get(from);
  if (!map) return;
  const target = entries(to);
  for (const [k, v] of map) target.set(k, v);
}
