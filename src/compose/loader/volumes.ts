import type { ServiceVolume } from './types.js';

const PROPAGATION = ['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate'];
const CONSISTENCY = ['cached', 'delegated', 'consistent'];

/** Host paths in the short syntax start like a path; anything else names a volume. */
export function looksLikePath(source: string): boolean {
  return source.startsWith('.') || source.startsWith('/') || source.startsWith('~');
}

/**
 * The short volume syntax: `/data` (anonymous), `name:/data`, `./src:/app:ro`,
 * `/host:/ctr:rw,z,rshared`, `name:/data:nocopy`. Binds made from the short syntax create
 * their host path, as in compose. Source paths are returned as written.
 */
export function parseVolumeSpec(spec: string): ServiceVolume {
  const parts = spec.split(':');
  if (parts.length > 3) throw new Error(`invalid volume "${spec}": too many colons`);
  if (parts.some((p) => p === '')) throw new Error(`invalid volume "${spec}": empty section between colons`);
  if (parts.length === 1) {
    return { type: 'volume', target: checkTarget(parts[0]!, spec) };
  }
  const [source, target, mode] = parts as [string, string, string | undefined];
  const volume: ServiceVolume = looksLikePath(source)
    ? { type: 'bind', source, target: checkTarget(target, spec), bind: { create_host_path: true } }
    : { type: 'volume', source, target: checkTarget(target, spec) };
  if (mode !== undefined) applyModes(volume, mode, spec);
  return volume;
}

function checkTarget(target: string, spec: string): string {
  if (!target.startsWith('/')) throw new Error(`invalid volume "${spec}": mount path "${target}" must be absolute`);
  return target;
}

function applyModes(volume: ServiceVolume, modes: string, spec: string): void {
  for (const option of modes.split(',')) {
    if (option === 'ro' || option === 'rw') {
      if (option === 'ro') volume.read_only = true;
    } else if (option === 'z' || option === 'Z') {
      if (volume.type !== 'bind') throw new Error(`invalid volume "${spec}": "${option}" applies to bind mounts only`);
      volume.bind = { ...volume.bind, selinux: option };
    } else if (PROPAGATION.includes(option)) {
      if (volume.type !== 'bind') throw new Error(`invalid volume "${spec}": propagation applies to bind mounts only`);
      volume.bind = { ...volume.bind, propagation: option };
    } else if (option === 'nocopy') {
      if (volume.type !== 'volume') throw new Error(`invalid volume "${spec}": nocopy applies to volumes only`);
      volume.volume = { ...volume.volume, nocopy: true };
    } else if (CONSISTENCY.includes(option)) {
      volume.consistency = option;
    } else {
      throw new Error(`invalid volume "${spec}": unknown mode "${option}"`);
    }
  }
}
