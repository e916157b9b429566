/**
 * Container stats in Docker's `GET /containers/{id}/stats` shape, from cgroup counters and
 * the container's /proc/<pid>/net/dev.
 *
 * One collector serves every stats stream: containers with subscribers are sampled once a
 * second by one timer (however many clients watch them), /proc/stat is read once per tick,
 * and each sample's cpu_stats becomes the next one's precpu_stats, as in Docker.
 * Stopped containers get Docker's zeroed stats (only name and id set).
 */
import type { Container } from '../containers/model.js';
import { cgroupReader, type CgroupReader, type CgroupSample } from './cgroups.js';
import { readHostCpu, readNetDev, type NetDevCounters } from './procfs.js';

const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface CpuStats {
  cpu_usage: { total_usage: number; percpu_usage?: number[]; usage_in_kernelmode: number; usage_in_usermode: number };
  system_cpu_usage?: number;
  online_cpus?: number;
  throttling_data: { periods: number; throttled_periods: number; throttled_time: number };
}

export interface ContainerStatsJSON {
  read: string;
  preread: string;
  pids_stats: { current?: number; limit?: number };
  blkio_stats: Record<string, { major: number; minor: number; op: string; value: number }[] | null>;
  num_procs: number;
  storage_stats: Record<string, never>;
  cpu_stats: CpuStats;
  precpu_stats: CpuStats;
  memory_stats: { usage?: number; max_usage?: number; stats?: Record<string, number>; limit?: number };
  name: string;
  id: string;
  networks?: Record<string, NetDevCounters>;
}

function zeroCpu(): CpuStats {
  return { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } };
}

const EMPTY_BLKIO = ['io_service_bytes_recursive', 'io_serviced_recursive', 'io_queue_recursive', 'io_service_time_recursive', 'io_wait_time_recursive', 'io_merged_recursive', 'io_time_recursive', 'sectors_recursive'];

/** Docker's stats of a container that is not running. */
export function zeroStats(c: Pick<Container, 'id' | 'name'>): ContainerStatsJSON {
  return {
    read: ZERO_TIME,
    preread: ZERO_TIME,
    pids_stats: {},
    blkio_stats: Object.fromEntries(EMPTY_BLKIO.map((k) => [k, null])),
    num_procs: 0,
    storage_stats: {},
    cpu_stats: zeroCpu(),
    precpu_stats: zeroCpu(),
    memory_stats: {},
    name: `/${c.name}`,
    id: c.id,
  };
}

export interface StatsCollectorOptions {
  /** The instance's cgroup parent (ContainerService's), used when HostConfig.CgroupParent is unset. */
  cgroupParent: string;
  /** Finds a container's current row (undefined once removed). */
  lookup: (id: string) => Container | undefined;
  reader?: CgroupReader;
  intervalMs?: number;
}

type StatsListener = (s: ContainerStatsJSON) => void;

export class StatsCollector {
  private readonly reader: CgroupReader;
  private readonly previous = new Map<string, { read: string; cpu: CpuStats }>();
  private readonly listeners = new Map<string, Set<StatsListener>>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly opts: StatsCollectorOptions) {
    this.reader = opts.reader ?? cgroupReader();
  }

  /** The cgroup path runc was given for this container. */
  cgroupPath(c: Container): string {
    const parent = c.hostConfig.CgroupParent || this.opts.cgroupParent;
    return `${parent.replace(/\/+$/, '')}/${c.id}`;
  }

  /** Raw counters of a running container, for metrics. */
  raw(c: Container): CgroupSample | undefined {
    return c.state.Running ? this.reader(this.cgroupPath(c)) : undefined;
  }

  /** One sample now; `precpu_stats` is the container's previous sample (if any). */
  sample(c: Container, host = readHostCpu()): ContainerStatsJSON {
    const raw = this.raw(c);
    if (!raw) {
      this.previous.delete(c.id);
      return zeroStats(c);
    }
    const read = new Date().toISOString();
    const cpu: CpuStats = {
      cpu_usage: {
        total_usage: raw.cpuTotalNs,
        ...(raw.cpuPerCpuNs ? { percpu_usage: raw.cpuPerCpuNs } : {}),
        usage_in_kernelmode: raw.cpuKernelNs,
        usage_in_usermode: raw.cpuUserNs,
      },
      system_cpu_usage: host.systemUsageNs,
      online_cpus: host.onlineCpus,
      throttling_data: raw.throttling,
    };
    const prev = this.previous.get(c.id);
    this.previous.set(c.id, { read, cpu });
    const networks = c.state.Pid > 0 && c.hostConfig.NetworkMode !== 'host' ? readNetDev(c.state.Pid) : {};
    const out: ContainerStatsJSON = {
      read,
      preread: prev?.read ?? ZERO_TIME,
      pids_stats: { current: raw.pidsCurrent, ...(raw.pidsLimit !== undefined ? { limit: raw.pidsLimit } : {}) },
      blkio_stats: {
        ...Object.fromEntries(EMPTY_BLKIO.map((k) => [k, null])),
        io_service_bytes_recursive: raw.ioServiceBytes,
        io_serviced_recursive: raw.ioServiced,
      },
      num_procs: 0,
      storage_stats: {},
      cpu_stats: cpu,
      precpu_stats: prev?.cpu ?? zeroCpu(),
      memory_stats: {
        usage: raw.memoryUsage,
        ...(raw.memoryMaxUsage !== undefined ? { max_usage: raw.memoryMaxUsage } : {}),
        stats: raw.memoryStat,
        limit: raw.memoryLimit,
      },
      name: `/${c.name}`,
      id: c.id,
    };
    if (Object.keys(networks).length) out.networks = networks;
    return out;
  }

  /** Calls `listener` with a fresh sample of container `id` every interval; returns the unsubscribe. */
  subscribe(id: string, listener: StatsListener): () => void {
    let set = this.listeners.get(id);
    if (!set) this.listeners.set(id, (set = new Set()));
    set.add(listener);
    this.timer ??= setInterval(() => this.tick(), this.opts.intervalMs ?? 1000);
    return () => {
      set.delete(listener);
      if (set.size === 0) {
        this.listeners.delete(id);
        this.previous.delete(id);
      }
      if (this.listeners.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  private tick(): void {
    const host = readHostCpu();
    for (const [id, set] of this.listeners) {
      const c = this.opts.lookup(id);
      if (!c) continue;
      const s = this.sample(c, host);
      for (const l of set) l(s);
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }
}
