/** The Compose file loader: files in, one resolved and typed Project out. */
export { loadProject, normalizeProjectName, findDefaultFiles } from './load.js';
export type { LoadProjectOptions } from './load.js';
export { ComposeError, formatPath } from './errors.js';
export { serializeProject, projectView } from './serialize.js';
export type { SerializeFormat } from './serialize.js';
export { serviceConfigHash } from './hash.js';
export { startLevels, startOrder, stopOrder, findCycle, withDependencies } from './graph.js';
export { substitute } from './interpolate.js';
export { parseDotenv } from './dotenv.js';
export { parsePortSpec } from './ports.js';
export { parseVolumeSpec } from './volumes.js';
export { shellSplit } from './shellwords.js';
export { parseBytes } from './units.js';
export type * from './types.js';
