/**
 * Docker resource settings (HostConfig / the update body) -> OCI `linux.resources`, with
 * Docker's validation and messages. Shared by create (config.json) and `runc update`.
 */
import { InvalidParameterError } from '../../util/errors.js';
import type { Resources } from '../../api/types/container.js';
import type { OciResources } from './oci-types.js';
import type { HostInfo } from './host-info.js';

const MIN_MEMORY = 6 * 1024 * 1024;
const DEFAULT_CFS_PERIOD = 100_000;

/** Parses a cpuset list (`0-2,4`) into its members; undefined if malformed. */
export function parseCpuset(list: string): Set<number> | undefined {
  const out = new Set<number>();
  if (list.trim() === '') return out;
  for (const part of list.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return undefined;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) return undefined;
    for (let i = lo; i <= hi; i++) out.add(i);
  }
  return out;
}

function checkCpuset(value: string, available: string, what: 'cpus' | 'mems'): void {
  const wanted = parseCpuset(value);
  if (!wanted) throw new InvalidParameterError(`Invalid value ${value} for cpuset ${what}`);
  const have = parseCpuset(available) ?? new Set<number>();
  for (const n of wanted) {
    if (!have.has(n)) {
      throw new InvalidParameterError(
        what === 'cpus'
          ? `Requested CPUs are not available - requested ${value}, available: ${available}`
          : `Requested memory nodes are not available - requested ${value}, available: ${available}`,
      );
    }
  }
}

export interface ResourceResult {
  resources: OciResources;
  warnings: string[];
}

/**
 * Converts and validates. `forUpdate` skips Docker's create-time default of swap = 2 x memory
 * (update keeps the current swap unless given).
 */
export function buildResources(r: Resources, host: Pick<HostInfo, 'cpuCount' | 'availableCpus' | 'availableMems' | 'swapLimit' | 'blkioWeight'>, forUpdate = false): ResourceResult {
  const warnings: string[] = [];
  const out: OciResources = {};
  const memory = r.Memory ?? 0;
  let swap = r.MemorySwap ?? 0;
  const reservation = r.MemoryReservation ?? 0;

  if (memory !== 0 && memory < MIN_MEMORY) throw new InvalidParameterError('Minimum memory limit allowed is 6MB');
  if (memory > 0 && swap > 0 && swap < memory) {
    throw new InvalidParameterError('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (memory === 0 && swap > 0 && !forUpdate) {
    throw new InvalidParameterError('You should always set the Memory limit when using Memoryswap limit, see usage');
  }
  if (reservation !== 0 && reservation < MIN_MEMORY) throw new InvalidParameterError('Minimum memory reservation allowed is 6MB');
  if (memory > 0 && reservation > 0 && memory < reservation) {
    throw new InvalidParameterError('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  const swappiness = r.MemorySwappiness;
  if (swappiness !== undefined && swappiness !== null && swappiness !== -1 && (swappiness < 0 || swappiness > 100)) {
    throw new InvalidParameterError(`Invalid value: ${swappiness}, valid memory swappiness range is 0-100`);
  }
  if (memory > 0 && swap === 0 && !forUpdate) swap = memory * 2;
  if (swap !== 0 && !host.swapLimit) {
    warnings.push('Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.');
    swap = 0;
  }
  const mem: NonNullable<OciResources['memory']> = {};
  if (memory > 0) mem.limit = memory;
  if (swap !== 0) mem.swap = swap;
  if (reservation > 0) mem.reservation = reservation;
  if (swappiness !== undefined && swappiness !== null && swappiness >= 0) mem.swappiness = swappiness;
  if (r.OomKillDisable) {
    mem.disableOOMKiller = true;
    if (memory === 0) warnings.push('OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.');
  }
  if (Object.keys(mem).length > 0) out.memory = mem;

  const nano = r.NanoCpus ?? 0;
  const period = r.CpuPeriod ?? 0;
  const quota = r.CpuQuota ?? 0;
  if (nano > 0 && period > 0) throw new InvalidParameterError('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nano > 0 && quota > 0) throw new InvalidParameterError('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  if (nano < 0 || nano > host.cpuCount * 1e9) {
    throw new InvalidParameterError(`Range of CPUs is from 0.01 to ${host.cpuCount}.00, as there are only ${host.cpuCount} CPUs available`);
  }
  if (period !== 0 && (period < 1000 || period > 1_000_000)) {
    throw new InvalidParameterError('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  }
  if (quota > 0 && quota < 1000) throw new InvalidParameterError('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  if ((r.CpuShares ?? 0) < 0) throw new InvalidParameterError('invalid CPU shares: must be positive');
  const cpu: NonNullable<OciResources['cpu']> = {};
  if (r.CpuShares) cpu.shares = r.CpuShares;
  if (nano > 0) {
    cpu.period = DEFAULT_CFS_PERIOD;
    cpu.quota = Math.round((nano * DEFAULT_CFS_PERIOD) / 1e9);
  } else {
    if (period > 0) cpu.period = period;
    if (quota !== 0) cpu.quota = quota;
  }
  if (r.CpuRealtimePeriod) cpu.realtimePeriod = r.CpuRealtimePeriod;
  if (r.CpuRealtimeRuntime) cpu.realtimeRuntime = r.CpuRealtimeRuntime;
  if (r.CpusetCpus) {
    checkCpuset(r.CpusetCpus, host.availableCpus, 'cpus');
    cpu.cpus = r.CpusetCpus;
  }
  if (r.CpusetMems) {
    checkCpuset(r.CpusetMems, host.availableMems, 'mems');
    cpu.mems = r.CpusetMems;
  }
  if (Object.keys(cpu).length > 0) out.cpu = cpu;

  if (r.PidsLimit !== undefined && r.PidsLimit !== null) {
    if (r.PidsLimit > 0) out.pids = { limit: r.PidsLimit };
    else if (forUpdate) out.pids = { limit: -1 };
  }

  // As Docker: where the kernel has no blkio weight, any weight is discarded before its range is checked.
  const weight = r.BlkioWeight ?? 0;
  if (weight > 0 && !host.blkioWeight) warnings.push('Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.');
  else if (weight !== 0) {
    if (weight < 10 || weight > 1000) throw new InvalidParameterError('Range of blkio weight is from 10 to 1000');
    out.blockIO = { weight };
  }
  return { resources: out, warnings };
}
