/**
 * Step cache keys. A key covers everything that decides a step's result:
 * - the parent: the image ID the step starts from (`scratch` for FROM scratch);
 * - the instruction, expanded, with its flags (`original` is not enough: `$A` may change);
 * - for RUN, the build args in scope (they are in the environment) and the mounts;
 * - for COPY/ADD, the content hash of every source (names, modes, bytes; never mtimes), or the
 *   image ID a `--from` source comes from.
 * Anything else a step depends on must be added by the caller as `inputs`.
 */
import { createHash } from 'node:crypto';

export interface CacheKeyInput {
  parent: string;
  instruction: string;
  inputs?: unknown;
}

export function cacheKey(input: CacheKeyInput): string {
  const h = createHash('sha256');
  h.update('berth-build-cache-v1\0');
  h.update(JSON.stringify([input.parent, input.instruction, input.inputs ?? null]));
  return `sha256:${h.digest('hex')}`;
}
