import { humanDuration } from '../../util/human-duration.js';
import type { ContainerConfig, EndpointSettings, HostConfig, PortMap } from '../../api/types/container.js';

/** Docker's container status words. */
export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface HealthLogEntry {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

export interface HealthState {
  Status: 'starting' | 'healthy' | 'unhealthy' | 'none';
  FailingStreak: number;
  Log: HealthLogEntry[];
}

/** Docker's `State` object, as inspect shows it. */
export interface ContainerState {
  Status: ContainerStatus;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  Health?: HealthState;
}

/** What berth keeps beside Docker's State, in the same row. */
export interface Bookkeeping {
  restartCount: number;
  /** Set by an explicit stop/kill: `unless-stopped` and `always` do not restart it. */
  manuallyStopped: boolean;
  hasBeenStarted: boolean;
  /** The conmon that supervises the running process (for live restore). */
  conmonPid?: number;
}

export interface NetworkingState {
  /** NetworkSettings.Networks: endpoint per network name. */
  Networks: Record<string, EndpointSettings>;
  Ports: PortMap;
  SandboxKey: string;
}

export interface Container {
  id: string;
  name: string;
  imageId: string;
  /** What the user asked for (Config.Image). */
  imageRef: string;
  snapshotKey: string;
  created: string;
  config: ContainerConfig;
  hostConfig: HostConfig;
  state: ContainerState;
  book: Bookkeeping;
  networking: NetworkingState;
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

export function initialState(): ContainerState {
  return {
    Status: 'created',
    Running: false,
    Paused: false,
    Restarting: false,
    OOMKilled: false,
    Dead: false,
    Pid: 0,
    ExitCode: 0,
    Error: '',
    StartedAt: ZERO_TIME,
    FinishedAt: ZERO_TIME,
  };
}

/** Docker's human status for `ps`: `Up 3 seconds (healthy)`, `Exited (0) 2 minutes ago`. */
export function humanStatus(s: ContainerState, now = Date.now()): string {
  const ago = (iso: string) => humanDuration(now - Date.parse(iso));
  if (s.Status === 'running' || s.Status === 'paused') {
    const health = s.Health && s.Health.Status !== 'none' ? (s.Health.Status === 'starting' ? ' (health: starting)' : ` (${s.Health.Status})`) : '';
    return `Up ${ago(s.StartedAt)}${s.Paused ? ' (Paused)' : ''}${health}`;
  }
  if (s.Status === 'restarting') return `Restarting (${s.ExitCode}) ${ago(s.FinishedAt)} ago`;
  if (s.Status === 'removing') return 'Removal In Progress';
  if (s.Status === 'dead') return 'Dead';
  if (s.Status === 'exited' && s.FinishedAt !== ZERO_TIME) return `Exited (${s.ExitCode}) ${ago(s.FinishedAt)} ago`;
  return 'Created';
}
