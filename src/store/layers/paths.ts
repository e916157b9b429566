/**
 * Turning tar entry names into paths inside a root. Names are cleaned lexically first (as Go's
 * filepath.Clean does), so "a/../b" is "b"; anything that still leaves the root is refused.
 */
import { posix } from 'node:path';
import { InvalidParameterError } from '../../util/errors.js';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
/** aufs kept hard-link bookkeeping under .wh..wh.*; such entries carry nothing for us. */
export const WHITEOUT_META_PREFIX = '.wh..wh.';

/** Returns the entry's path relative to the root ('' is the root itself), or throws. */
export function normalizeEntryName(name: string, what = 'entry'): string {
  if (name.includes('\0')) throw new InvalidParameterError(`layer ${what} ${JSON.stringify(name)} contains a NUL byte`);
  if (name.startsWith('/')) throw new InvalidParameterError(`layer ${what} ${JSON.stringify(name)} has an absolute path`);
  const clean = posix.normalize(name.replace(/\/+$/, '') || '.');
  if (clean === '..' || clean.startsWith('../')) {
    throw new InvalidParameterError(`layer ${what} ${JSON.stringify(name)} points outside the layer root`);
  }
  return clean === '.' ? '' : clean.replace(/^\.\//, '');
}

export function splitPath(rel: string): string[] {
  return rel === '' ? [] : rel.split('/');
}
