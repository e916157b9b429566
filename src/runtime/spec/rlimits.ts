/**
 * Ulimits: Docker's names (`nofile`, `nproc`, ...) mapped to OCI `RLIMIT_*`, validated and
 * clamped to the host's hard limits (a container can never be granted more than the process
 * that starts it has: runc would fail with EPERM). The host's limits come from
 * /proc/self/limits; "unlimited" is RLIM_INFINITY, which only a bigint can hold exactly.
 */
import { readFileSync } from 'node:fs';
import { InvalidParameterError } from '../../util/errors.js';
import type { Ulimit } from '../../api/types/container.js';

export const RLIM_INFINITY = 2n ** 64n - 1n;

/** A limit value as written to config.json: a bigint only where a number cannot be exact. */
export type RlimitValue = number | bigint;

export interface HostRlimit {
  soft: bigint;
  hard: bigint;
}

/** Docker ulimit name -> OCI rlimit type. */
export const ULIMIT_TYPES: Record<string, string> = {
  as: 'RLIMIT_AS', core: 'RLIMIT_CORE', cpu: 'RLIMIT_CPU', data: 'RLIMIT_DATA', fsize: 'RLIMIT_FSIZE',
  locks: 'RLIMIT_LOCKS', memlock: 'RLIMIT_MEMLOCK', msgqueue: 'RLIMIT_MSGQUEUE', nice: 'RLIMIT_NICE',
  nofile: 'RLIMIT_NOFILE', nproc: 'RLIMIT_NPROC', rss: 'RLIMIT_RSS', rtprio: 'RLIMIT_RTPRIO',
  rttime: 'RLIMIT_RTTIME', sigpending: 'RLIMIT_SIGPENDING', stack: 'RLIMIT_STACK',
};

/** /proc/<pid>/limits row title -> OCI rlimit type. */
const PROC_LIMIT_NAMES: Record<string, string> = {
  'Max cpu time': 'RLIMIT_CPU', 'Max file size': 'RLIMIT_FSIZE', 'Max data size': 'RLIMIT_DATA',
  'Max stack size': 'RLIMIT_STACK', 'Max core file size': 'RLIMIT_CORE', 'Max resident set': 'RLIMIT_RSS',
  'Max processes': 'RLIMIT_NPROC', 'Max open files': 'RLIMIT_NOFILE', 'Max locked memory': 'RLIMIT_MEMLOCK',
  'Max address space': 'RLIMIT_AS', 'Max file locks': 'RLIMIT_LOCKS', 'Max pending signals': 'RLIMIT_SIGPENDING',
  'Max msgqueue size': 'RLIMIT_MSGQUEUE', 'Max nice priority': 'RLIMIT_NICE',
  'Max realtime priority': 'RLIMIT_RTPRIO', 'Max realtime timeout': 'RLIMIT_RTTIME',
};

export function parseProcLimits(text: string): Map<string, HostRlimit> {
  const out = new Map<string, HostRlimit>();
  const value = (s: string): bigint => (s === 'unlimited' ? RLIM_INFINITY : BigInt(s));
  for (const line of text.split('\n').slice(1)) {
    const m = /^(Max [a-z ]+?)\s{2,}(\S+)\s+(\S+)/.exec(line);
    if (!m) continue;
    const type = PROC_LIMIT_NAMES[m[1] ?? ''];
    if (type) out.set(type, { soft: value(m[2] ?? ''), hard: value(m[3] ?? '') });
  }
  return out;
}

let cachedHostLimits: Map<string, HostRlimit> | undefined;
/** The limits of this process (what runc, started by conmon started by us, inherits). */
export function readHostRlimits(): Map<string, HostRlimit> {
  cachedHostLimits ??= parseProcLimits(readFileSync('/proc/self/limits', 'utf8'));
  return cachedHostLimits;
}

const toValue = (v: bigint): RlimitValue => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);

/**
 * Validates Docker ulimits and clamps each to the host's hard limit. Docker treats -1 as
 * unlimited. Returns OCI rlimits plus warnings for every clamp.
 */
export function buildRlimits(
  ulimits: readonly Ulimit[],
  hostLimits: ReadonlyMap<string, HostRlimit>,
): { rlimits: { type: string; soft: RlimitValue; hard: RlimitValue }[]; warnings: string[] } {
  const warnings: string[] = [];
  const byType = new Map<string, { type: string; soft: RlimitValue; hard: RlimitValue }>();
  for (const u of ulimits) {
    const type = ULIMIT_TYPES[u.Name];
    if (!type) throw new InvalidParameterError(`invalid ulimit type: ${u.Name}`);
    const req = (n: number): bigint => (n < 0 ? RLIM_INFINITY : BigInt(Math.trunc(n)));
    let soft = req(u.Soft);
    let hard = req(u.Hard);
    if (soft > hard) {
      throw new InvalidParameterError(`ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`);
    }
    const host = hostLimits.get(type);
    if (host && hard > host.hard) {
      warnings.push(`ulimit ${u.Name} hard limit ${u.Hard} exceeds the host's ${host.hard}; clamped`);
      hard = host.hard;
      if (soft > hard) soft = hard;
    }
    byType.set(type, { type, soft: toValue(soft), hard: toValue(hard) });
  }
  return { rlimits: [...byType.values()], warnings };
}
