/**
 * Per-container resource counters from cgroupfs, for cgroup v1 (one hierarchy per
 * controller: `/sys/fs/cgroup/<controller>/<path>`) and v2 (one unified hierarchy:
 * `/sys/fs/cgroup/<path>`). On a "hybrid" host (v1 controllers plus an empty v2 `unified`
 * mount) the counters live in the v1 hierarchies. A container's cgroup path is
 * `<cgroupParent>/<id>`, as spec/generate.ts sets `linux.cgroupsPath`.
 */
import { existsSync } from 'node:fs';
import { hostMemoryBytes, readInt, readKeyValues, readSmallFile, ticksToNs } from './procfs.js';

export type CgroupMode = 'v1' | 'v2' | 'hybrid';

export function detectCgroupMode(root = '/sys/fs/cgroup'): CgroupMode {
  if (existsSync(`${root}/cgroup.controllers`)) return 'v2';
  return existsSync(`${root}/unified`) ? 'hybrid' : 'v1';
}

export interface BlkioEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

/** One reading of a container's cgroup counters, in Docker's units (ns, bytes). */
export interface CgroupSample {
  cpuTotalNs: number;
  cpuPerCpuNs?: number[];
  cpuKernelNs: number;
  cpuUserNs: number;
  throttling: { periods: number; throttled_periods: number; throttled_time: number };
  memoryUsage: number;
  memoryMaxUsage?: number;
  memoryLimit: number;
  memoryStat: Record<string, number>;
  ioServiceBytes: BlkioEntry[];
  ioServiced: BlkioEntry[];
  pidsCurrent: number;
  pidsLimit?: number;
}

/** Reads one container's counters; undefined when its cgroup is gone (container stopped). */
export type CgroupReader = (cgroupPath: string) => CgroupSample | undefined;

export function cgroupReader(mode: CgroupMode = detectCgroupMode(), root = '/sys/fs/cgroup'): CgroupReader {
  const hostMem = hostMemoryBytes();
  return mode === 'v2' ? (p) => readV2(`${root}${p}`, hostMem) : (p) => readV1(root, p, hostMem);
}

/** The limits files say "unlimited" with a huge number (v1) or `max` (v2): Docker shows host memory. */
function memoryLimit(raw: number | undefined, hostMem: number): number {
  return raw === undefined || raw <= 0 || raw >= 2 ** 62 || (hostMem > 0 && raw > hostMem) ? hostMem : raw;
}

function readV1(root: string, path: string, hostMem: number): CgroupSample | undefined {
  const cpuacct = `${root}/cpuacct${path}`;
  const cpuTotalNs = readInt(`${cpuacct}/cpuacct.usage`);
  if (cpuTotalNs === undefined) return undefined;
  const perCpu = readSmallFile(`${cpuacct}/cpuacct.usage_percpu`)?.trim().split(/\s+/).map(Number);
  const cpuStat = readKeyValues(`${cpuacct}/cpuacct.stat`);
  const throttle = readKeyValues(`${root}/cpu${path}/cpu.stat`);
  const mem = `${root}/memory${path}`;
  const blkio = `${root}/blkio${path}`;
  const pids = `${root}/pids${path}`;
  return {
    cpuTotalNs,
    cpuPerCpuNs: perCpu,
    cpuKernelNs: ticksToNs(cpuStat.system ?? 0),
    cpuUserNs: ticksToNs(cpuStat.user ?? 0),
    throttling: { periods: throttle.nr_periods ?? 0, throttled_periods: throttle.nr_throttled ?? 0, throttled_time: throttle.throttled_time ?? 0 },
    memoryUsage: readInt(`${mem}/memory.usage_in_bytes`) ?? 0,
    memoryMaxUsage: readInt(`${mem}/memory.max_usage_in_bytes`),
    memoryLimit: memoryLimit(readInt(`${mem}/memory.limit_in_bytes`), hostMem),
    memoryStat: readKeyValues(`${mem}/memory.stat`),
    ioServiceBytes: readBlkioV1(`${blkio}/blkio.throttle.io_service_bytes_recursive`),
    ioServiced: readBlkioV1(`${blkio}/blkio.throttle.io_serviced_recursive`),
    pidsCurrent: readInt(`${pids}/pids.current`) ?? 0,
    pidsLimit: readInt(`${pids}/pids.max`),
  };
}

/** `8:0 Read 4096` lines (the `Total` lines are dropped as Docker does not show them). */
function readBlkioV1(file: string): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of (readSmallFile(file) ?? '').split('\n')) {
    const [dev, op, value] = line.split(' ');
    if (!dev || !op || value === undefined) continue;
    const [major, minor] = dev.split(':').map(Number);
    out.push({ major: major ?? 0, minor: minor ?? 0, op, value: Number(value) });
  }
  return out;
}

function readV2(dir: string, hostMem: number): CgroupSample | undefined {
  const cpu = readKeyValues(`${dir}/cpu.stat`);
  if (cpu.usage_usec === undefined) return undefined;
  const ioServiceBytes: BlkioEntry[] = [];
  const ioServiced: BlkioEntry[] = [];
  for (const line of (readSmallFile(`${dir}/io.stat`) ?? '').split('\n')) {
    const [dev, ...kvs] = line.trim().split(' ');
    if (!dev || kvs.length === 0) continue;
    const [major = 0, minor = 0] = dev.split(':').map(Number);
    const kv = Object.fromEntries(kvs.map((x) => x.split('=')).map(([k, v]) => [k, Number(v)]));
    ioServiceBytes.push({ major, minor, op: 'read', value: kv.rbytes ?? 0 }, { major, minor, op: 'write', value: kv.wbytes ?? 0 });
    ioServiced.push({ major, minor, op: 'read', value: kv.rios ?? 0 }, { major, minor, op: 'write', value: kv.wios ?? 0 });
  }
  return {
    cpuTotalNs: cpu.usage_usec * 1000,
    cpuKernelNs: (cpu.system_usec ?? 0) * 1000,
    cpuUserNs: (cpu.user_usec ?? 0) * 1000,
    throttling: { periods: cpu.nr_periods ?? 0, throttled_periods: cpu.nr_throttled ?? 0, throttled_time: (cpu.throttled_usec ?? 0) * 1000 },
    memoryUsage: readInt(`${dir}/memory.current`) ?? 0,
    memoryMaxUsage: readInt(`${dir}/memory.peak`),
    memoryLimit: memoryLimit(readInt(`${dir}/memory.max`), hostMem),
    memoryStat: readKeyValues(`${dir}/memory.stat`),
    ioServiceBytes,
    ioServiced,
    pidsCurrent: readInt(`${dir}/pids.current`) ?? 0,
    pidsLimit: readInt(`${dir}/pids.max`),
  };
}
