/**
 * The labels Docker Compose puts on what it creates (compose v2 `pkg/api/labels.go`; v1.29
 * uses the same keys). Every other command finds a project's objects through them, so
 * `berth compose`, `docker compose` and `docker-compose` 1.29 see each other's containers.
 */
import { BERTH_VERSION } from '../../api/version.js';

export const LABEL = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  containerNumber: 'com.docker.compose.container-number',
  configHash: 'com.docker.compose.config-hash',
  oneoff: 'com.docker.compose.oneoff',
  slug: 'com.docker.compose.slug',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  environmentFile: 'com.docker.compose.project.environment_file',
  version: 'com.docker.compose.version',
  dependsOn: 'com.docker.compose.depends_on',
  image: 'com.docker.compose.image',
  replace: 'com.docker.compose.replace',
  network: 'com.docker.compose.network',
  volume: 'com.docker.compose.volume',
} as const;

/** What `com.docker.compose.version` says: the berth release that wrote the object. */
export const COMPOSE_VERSION = BERTH_VERSION;

/** `label=` filter values selecting a project's objects (optionally one-off or not). */
export function projectFilter(project: string, extra: Record<string, string> = {}): string[] {
  return [`${LABEL.project}=${project}`, ...Object.entries(extra).map(([k, v]) => `${k}=${v}`)];
}
