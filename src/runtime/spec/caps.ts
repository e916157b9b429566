/**
 * Linux capabilities with Docker's semantics: the default set Docker grants, `CapAdd` /
 * `CapDrop` with or without the `CAP_` prefix and in any case, the keyword `ALL`, and
 * privileged mode (every capability the kernel knows).
 */
import { readFileSync } from 'node:fs';
import { InvalidParameterError, errorMessage } from '../../util/errors.js';

/** Indexed by capability number, as in linux/capability.h. */
export const KNOWN_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT',
  'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE',
  'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

/** What Docker grants an unprivileged container. */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

let hostCaps: string[] | undefined;
/**
 * Capabilities this process may hand out: its bounding set (/proc/self/status CapBnd),
 * limited to what the kernel knows. Privileged and `ALL` never ask runc for more, which
 * it could not grant ("unable to apply caps").
 */
export function hostCapabilities(): string[] {
  if (!hostCaps) {
    let mask = (1n << BigInt(KNOWN_CAPABILITIES.length)) - 1n;
    try {
      const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
      if (m) mask = BigInt(`0x${m[1]}`);
    } catch {
      // not Linux; keep every known capability
    }
    hostCaps = KNOWN_CAPABILITIES.filter((_, i) => (mask >> BigInt(i)) & 1n);
  }
  return hostCaps;
}

/** `chown`, `CAP_CHOWN`, `cap_chown` -> `CAP_CHOWN`; `all` -> `ALL`. */
export function normalizeCapability(name: string): string {
  const upper = name.trim().toUpperCase();
  if (upper === 'ALL') return 'ALL';
  const full = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!(KNOWN_CAPABILITIES as readonly string[]).includes(full)) {
    throw new InvalidParameterError(`unknown capability: "${full}"`);
  }
  return full;
}

/** A list's names normalized; an unknown one is refused naming the field, as Docker does. */
function normalizeList(names: readonly string[] | null | undefined, field: 'CapAdd' | 'CapDrop'): string[] {
  try {
    return (names ?? []).map(normalizeCapability);
  } catch (err) {
    throw new InvalidParameterError(`invalid ${field}: ${errorMessage(err)}`);
  }
}

export interface CapabilityOptions {
  capAdd?: readonly string[] | null;
  capDrop?: readonly string[] | null;
  privileged?: boolean;
  /** Defaults to hostCapabilities(). */
  allCapabilities?: readonly string[];
}

/** Docker's rule: ALL in CapAdd wins; ALL in CapDrop means "only CapAdd"; else default - drop + add. */
export function resolveCapabilities(opts: CapabilityOptions): string[] {
  const all = opts.allCapabilities ?? hostCapabilities();
  if (opts.privileged) return [...all];
  const adds = normalizeList(opts.capAdd, 'CapAdd');
  const drops = normalizeList(opts.capDrop, 'CapDrop');
  let caps: string[];
  if (adds.includes('ALL')) caps = [...all];
  else if (drops.includes('ALL')) caps = adds;
  else caps = [...DEFAULT_CAPABILITIES.filter((c) => !drops.includes(c)), ...adds];
  return [...new Set(caps)];
}
