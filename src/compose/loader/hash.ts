import { hexOf, sha256 } from '../../util/digest.js';
import { canonicalJson } from './canonical-json.js';
import type { Service } from './types.js';

/**
 * The `com.docker.compose.config-hash` of a service: sha256 (hex) of the canonical JSON of its
 * resolved definition. Like compose's ServiceHash it leaves out what does not change the
 * container itself, so scaling, changing the pull policy or the build recipe, or reordering
 * dependencies does not recreate it: build, pull_policy, scale, deploy.replicas, depends_on
 * and profiles. Secrets and configs given by `environment:`/`content:` hold data the service
 * does not; the engine folds it in for the container label (engine/injected-files.ts).
 */
export function serviceConfigHash(service: Service): string {
  const { build: _build, pull_policy: _pull, scale: _scale, depends_on: _deps, profiles: _profiles, ...rest } = service;
  const relevant: Omit<Service, 'build' | 'pull_policy' | 'scale' | 'depends_on' | 'profiles'> = { ...rest };
  if (rest.deploy) {
    const { replicas: _replicas, ...deploy } = rest.deploy;
    relevant.deploy = deploy;
  }
  return hexOf(sha256(canonicalJson(relevant)));
}
