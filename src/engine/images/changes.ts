import { InvalidParameterError } from '../../util/errors.js';
import type { ImageRuntimeConfig } from './oci.js';

/**
 * `docker import --change` and `docker commit --change`: Dockerfile instructions applied to an
 * image config. Only the instructions that change the config are allowed, as in Docker.
 */
export const CHANGE_INSTRUCTIONS = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'HEALTHCHECK', 'LABEL', 'ONBUILD', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'] as const;

export type ConfigChanger = (config: ImageRuntimeConfig, change: string) => void;

let changer: ConfigChanger | undefined;

/** The Dockerfile front end registers how to apply an instruction to a config. */
export function registerConfigChanger(fn: ConfigChanger): void {
  changer = fn;
}

export function applyChanges(config: ImageRuntimeConfig, changes: readonly string[]): ImageRuntimeConfig {
  const out: ImageRuntimeConfig = structuredClone(config);
  for (const raw of changes) {
    const change = raw.trim();
    if (change === '') continue;
    const keyword = change.split(/\s+/, 1)[0]!.toUpperCase();
    if (!(CHANGE_INSTRUCTIONS as readonly string[]).includes(keyword)) {
      throw new InvalidParameterError(`${keyword} is not a valid change command`);
    }
    if (!changer) throw new InvalidParameterError('config changes are not available: the Dockerfile front end is not loaded');
    changer(out, change);
  }
  return out;
}
