/** The compose project engine: a loaded Project → Engine API calls. */
export { ComposeApi, isNotFound } from './api.js';
export type { ContainerSummary, ContainerInspect } from './api.js';
export { ComposeEngineError, type ComposeContext } from './context.js';
export { LABEL, COMPOSE_VERSION, projectFilter } from './labels.js';
export { containerName, imageName } from './names.js';
export { containerSpec } from './container-spec.js';
export { up, selectServices, type UpOptions } from './up.js';
export { down, type DownOptions } from './down.js';
export { convergeService, desiredScale, type RecreatePolicy } from './convergence.js';
export { ensureImages, buildService, pullImage, splitImageRef, type BuildPolicy } from './images.js';
export { ensureResources } from './resources.js';
export { waitDependencies, waitRunningAndHealthy } from './dependencies.js';
export * from './lifecycle.js';
export { streamLogs, streamContainerLogs, PrefixPrinter, type LogConsumer, type LogOptions } from './logs.js';
export { createOneoff, type RunOptions } from './oneoff.js';
export { projectContainers, nameOf, serviceOf, numberOf, isRunning } from './observed.js';
export { psRow, listProjects, imageRows, portsText, type PsRow, type ProjectRow, type ImageRow } from './listing.js';
export { followProject, type FollowOptions } from './attached.js';
