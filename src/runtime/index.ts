/**
 * berth's OCI runtime layer: spec generation, runc/crun, conmon supervision, attach, exec,
 * logs and recovery. The container service imports from here only.
 *
 *   generateSpec(...)            Docker Config + HostConfig -> config.json (pure; spec/generate.ts)
 *   ConmonRuntime.open(layout)   the ContainerRuntime: create/start/kill/delete/pause/resume/
 *                                update/state/attach/resize/wait/exec/recover (container-runtime.ts)
 *   readLogs({path, follow...})  the k8s-file log conmon writes (logs.ts)
 *
 * See container-runtime.ts for the create -> attach -> start -> wait -> delete sequence.
 */
export { ConmonRuntime } from './container-runtime.js';
export type {
  AttachStream,
  ConmonRuntimeOptions,
  ContainerRuntime,
  CreateOptions,
  ExecOptions,
  ExecSession,
  ExitInfo,
  RecoveredState,
  RecoveredStatus,
} from './container-runtime.js';
export { containerPaths, type ContainerPaths, type RuntimeLayout } from './paths.js';
export { readLogs, parseLogRecord, formatLogRecord, type LogEntry, type LogStream, type ReadLogsOptions } from './logs.js';
export { isRuntimeName, RUNTIME_NAMES, selectRuntime, OciRuntime, type OciState, type RuntimeName, type RuntimeSelection } from './oci-runtime.js';
export {
  generateSpec,
  serializeSpec,
  resolveArgs,
  mergeEnv,
  DEFAULT_PATH,
  DEFAULT_SHM_SIZE,
  type HostDevice,
  type ImageRunConfig,
  type SpecInput,
  type SpecResult,
} from './spec/generate.js';
export { buildResources } from './spec/resources.js';
export { detectHostInfo, detectCgroupMode, type HostInfo } from './spec/host-info.js';
export { readUserDatabase, resolveUser } from './spec/user.js';
export { devicesForHostConfig, hostDevicesAt, listHostDevices } from './spec/devices.js';
export type { OciSpec, OciResources, OciMount, OciProcess } from './spec/oci-types.js';
