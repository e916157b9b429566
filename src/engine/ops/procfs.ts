/**
 * Cheap reads of small kernel files (cgroupfs, procfs). These files are regenerated on every
 * read and are a few hundred bytes, so one open/read/close into a shared buffer is all it
 * takes: no streams, no thread pool, no allocation beyond the string. The stats collector
 * reads ~15 of them per container per second, so this matters.
 */
import { closeSync, openSync, readSync } from 'node:fs';

const shared = Buffer.allocUnsafe(256 * 1024);

/** The file's text, or undefined when it does not exist or cannot be read. */
export function readSmallFile(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    let total = 0;
    for (;;) {
      const n = readSync(fd, shared, total, shared.length - total, null);
      if (n === 0 || total + n >= shared.length) {
        total += n;
        break;
      }
      total += n;
    }
    return shared.toString('latin1', 0, total);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** A file holding one integer (`max` or missing → undefined). */
export function readInt(path: string): number | undefined {
  const s = readSmallFile(path);
  if (s === undefined) return undefined;
  const n = Number(s.trim());
  return Number.isFinite(n) ? n : undefined;
}

/** `key value` lines (memory.stat, cpu.stat, cpuacct.stat) as numbers. */
export function readKeyValues(path: string): Record<string, number> {
  const out: Record<string, number> = {};
  const s = readSmallFile(path);
  if (!s) return out;
  for (const line of s.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp <= 0) continue;
    const v = Number(line.slice(sp + 1));
    if (Number.isFinite(v)) out[line.slice(0, sp)] = v;
  }
  return out;
}

export interface NetDevCounters {
  rx_bytes: number;
  rx_packets: number;
  rx_errors: number;
  rx_dropped: number;
  tx_bytes: number;
  tx_packets: number;
  tx_errors: number;
  tx_dropped: number;
}

/** `/proc/<pid>/net/dev`: counters per interface of the process' network namespace (lo left out). */
export function readNetDev(pid: number): Record<string, NetDevCounters> {
  const out: Record<string, NetDevCounters> = {};
  const s = readSmallFile(`/proc/${pid}/net/dev`);
  if (!s) return out;
  for (const line of s.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (name === 'lo') continue;
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    out[name] = {
      rx_bytes: f[0] ?? 0,
      rx_packets: f[1] ?? 0,
      rx_errors: f[2] ?? 0,
      rx_dropped: f[3] ?? 0,
      tx_bytes: f[8] ?? 0,
      tx_packets: f[9] ?? 0,
      tx_errors: f[10] ?? 0,
      tx_dropped: f[11] ?? 0,
    };
  }
  return out;
}

const USER_HZ = 100;
const NS_PER_TICK = 1e9 / USER_HZ;

/** Host CPU time (ns, all CPUs, as Docker's system_cpu_usage) and online CPU count, from /proc/stat. */
export function readHostCpu(): { systemUsageNs: number; onlineCpus: number } {
  const s = readSmallFile('/proc/stat') ?? '';
  let systemUsageNs = 0;
  let onlineCpus = 0;
  for (const line of s.split('\n')) {
    if (line.startsWith('cpu ')) {
      // user nice system idle iowait irq softirq steal (guest time is already in user)
      const f = line.slice(4).trim().split(/\s+/).slice(0, 8).map(Number);
      systemUsageNs = f.reduce((a, b) => a + b, 0) * NS_PER_TICK;
    } else if (/^cpu\d/.test(line)) onlineCpus++;
    else if (onlineCpus > 0) break;
  }
  return { systemUsageNs, onlineCpus };
}

export function ticksToNs(ticks: number): number {
  return ticks * NS_PER_TICK;
}

/** Total memory of the host, from /proc/meminfo (bytes). */
export function hostMemoryBytes(): number {
  const s = readSmallFile('/proc/meminfo') ?? '';
  const m = /^MemTotal:\s+(\d+) kB/m.exec(s);
  return m ? Number(m[1]) * 1024 : 0;
}
