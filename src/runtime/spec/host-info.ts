/**
 * Facts about the host that spec generation needs but must not read itself (so it stays a
 * pure function): kernel rlimits, available CPUs and memory nodes, cgroup features.
 * `detectHostInfo()` reads them once per process.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { hostCapabilities } from './caps.js';
import { readHostRlimits, type HostRlimit } from './rlimits.js';

export interface HostInfo {
  rlimits: ReadonlyMap<string, HostRlimit>;
  /** Capabilities the kernel supports. */
  capabilities: readonly string[];
  cpuCount: number;
  /** cpuset lists like `0-3`. */
  availableCpus: string;
  availableMems: string;
  /** The memory cgroup can limit swap (memsw on v1, memory.swap.max on v2). */
  swapLimit: boolean;
  /** blkio/io weight can be set. */
  blkioWeight: boolean;
  /** Static init binaries usable as /sbin/docker-init, first found wins. */
  initPath?: string;
  /** The cgroup layout; `v1` and `hybrid` use per-controller hierarchies. */
  cgroupMode: 'v1' | 'v2' | 'hybrid';
  /** Seccomp sub-architectures (`SCMP_ARCH_*`) this kernel was built without. */
  missingSyscallAbis: readonly string[];
}

const INIT_CANDIDATES = ['/usr/bin/tini-static', '/usr/bin/catatonit', '/usr/libexec/docker/docker-init', '/usr/bin/docker-init'];

function readTrim(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function detectCgroupMode(root = '/sys/fs/cgroup'): 'v1' | 'v2' | 'hybrid' {
  if (existsSync(`${root}/cgroup.controllers`)) return 'v2';
  if (existsSync(`${root}/unified/cgroup.controllers`)) return 'hybrid';
  return 'v1';
}

/**
 * The compat syscall ABIs of an x86_64 kernel that its symbol table shows are absent: the
 * dispatcher (`ia32_sys_call`/`x32_sys_call` since 6.9, `*_sys_call_table` before) exists only
 * when the ABI is built in. A seccomp filter section for an ABI the kernel cannot run protects
 * nothing, yet runc pays for compiling it on every container start (x32 alone is ~19 ms here).
 * Unreadable or empty symbol tables (kptr hardening hides addresses, not names) drop nothing.
 */
export function missingAbisFromKallsyms(kallsyms: string, arch = process.arch): string[] {
  if (arch !== 'x64' || !/ (x64_sys_call|sys_call_table)$/m.test(kallsyms)) return [];
  const missing: string[] = [];
  if (!/ ia32_sys_call(_table)?$/m.test(kallsyms)) missing.push('SCMP_ARCH_X86');
  if (!/ x32_sys_call(_table)?$/m.test(kallsyms)) missing.push('SCMP_ARCH_X32');
  return missing;
}

function detectMissingSyscallAbis(): string[] {
  if (process.arch !== 'x64') return [];
  return missingAbisFromKallsyms(readTrim('/proc/kallsyms') ?? '');
}

let cached: HostInfo | undefined;
export function detectHostInfo(): HostInfo {
  if (cached) return cached;
  const mode = detectCgroupMode();
  const cpuCount = os.cpus().length;
  const v2 = mode === 'v2';
  cached = {
    rlimits: readHostRlimits(),
    capabilities: hostCapabilities(),
    cpuCount,
    availableCpus:
      readTrim(v2 ? '/sys/fs/cgroup/cpuset.cpus.effective' : '/sys/fs/cgroup/cpuset/cpuset.cpus') || `0-${cpuCount - 1}`,
    availableMems: readTrim(v2 ? '/sys/fs/cgroup/cpuset.mems.effective' : '/sys/fs/cgroup/cpuset/cpuset.mems') || '0',
    swapLimit: v2 ? true : existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes'),
    blkioWeight: v2 ? (readTrim('/sys/fs/cgroup/cgroup.controllers') ?? '').split(' ').includes('io') : existsSync('/sys/fs/cgroup/blkio/blkio.weight'),
    initPath: INIT_CANDIDATES.find((p) => existsSync(p)),
    cgroupMode: mode,
    missingSyscallAbis: detectMissingSyscallAbis(),
  };
  return cached;
}
