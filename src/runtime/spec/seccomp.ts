/**
 * Turns a Docker-format seccomp profile (the default one or a user's `seccomp=<JSON>`) into
 * the OCI `linux.seccomp` section for one container: rules whose `includes`/`excludes`
 * conditions (architecture, granted capabilities, kernel version) do not hold are dropped,
 * and the architecture map is flattened for the host's architecture.
 */
import os from 'node:os';
import { InvalidParameterError } from '../../util/errors.js';
import type { OciSeccomp, OciSeccompSyscall } from './oci-types.js';
import type { DockerSeccompCondition, DockerSeccompProfile } from './seccomp-default.js';

export interface SeccompContext {
  /** Capabilities granted to the process, `CAP_` prefixed. */
  capabilities: readonly string[];
  /** Go-style architecture name (amd64, arm64, ...); defaults to the host's. */
  arch?: string;
  /** Kernel release like `6.1.0-13-amd64`; defaults to the host's. */
  kernel?: string;
  /** Sub-architectures the kernel cannot run: left out of an `archMap` profile's list. */
  missingAbis?: readonly string[];
}

const NODE_TO_GO_ARCH: Record<string, string> = {
  x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: 'x86', s390x: 's390x', ppc64: 'ppc64le', riscv64: 'riscv64',
  mips: 'mips', mipsel: 'mipsle',
};
const GO_TO_SECCOMP_ARCH: Record<string, string> = {
  amd64: 'SCMP_ARCH_X86_64', arm64: 'SCMP_ARCH_AARCH64', arm: 'SCMP_ARCH_ARM', x86: 'SCMP_ARCH_X86',
  s390x: 'SCMP_ARCH_S390X', ppc64le: 'SCMP_ARCH_PPC64LE', riscv64: 'SCMP_ARCH_RISCV64',
};

export function hostGoArch(): string {
  return NODE_TO_GO_ARCH[process.arch] ?? process.arch;
}

/** Compares `major.minor` of two kernel releases: true when `have` >= `want`. */
export function kernelAtLeast(have: string, want: string): boolean {
  const parse = (v: string) => {
    const m = /^(\d+)\.(\d+)/.exec(v);
    return m ? [Number(m[1]), Number(m[2])] : [0, 0];
  };
  const [hMaj, hMin] = parse(have);
  const [wMaj, wMin] = parse(want);
  return hMaj > wMaj || (hMaj === wMaj && hMin >= wMin);
}

function conditionHolds(cond: DockerSeccompCondition, arch: string, caps: ReadonlySet<string>, kernel: string): { all: boolean; any: boolean } {
  // `includes` needs every listed condition; `excludes` drops the rule when any one holds.
  const checks: boolean[] = [];
  if (cond.arches && cond.arches.length > 0) checks.push(cond.arches.includes(arch));
  if (cond.caps && cond.caps.length > 0) checks.push(cond.caps.every((c) => caps.has(c)));
  if (cond.minKernel) checks.push(kernelAtLeast(kernel, cond.minKernel));
  return { all: checks.every(Boolean), any: checks.some(Boolean) };
}

export function toOciSeccomp(profile: DockerSeccompProfile, ctx: SeccompContext): OciSeccomp {
  const arch = ctx.arch ?? hostGoArch();
  const kernel = ctx.kernel ?? os.release();
  const caps = new Set(ctx.capabilities);
  if (!profile.defaultAction) throw new InvalidParameterError('seccomp profile has no defaultAction');

  let architectures: string[] | undefined;
  if (profile.architectures && profile.architectures.length > 0) {
    if (profile.archMap && profile.archMap.length > 0) {
      throw new InvalidParameterError("'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'");
    }
    architectures = [...profile.architectures];
  } else if (profile.archMap) {
    const native = GO_TO_SECCOMP_ARCH[arch];
    const entry = profile.archMap.find((a) => a.architecture === native);
    const missing = new Set(ctx.missingAbis ?? []);
    if (entry) architectures = [entry.architecture, ...(entry.subArchitectures ?? []).filter((a) => !missing.has(a))];
  }

  const syscalls: OciSeccompSyscall[] = [];
  for (const rule of profile.syscalls ?? []) {
    if (rule.name && rule.names && rule.names.length > 0) {
      throw new InvalidParameterError("use either 'name' or 'names' in a seccomp rule, not both");
    }
    if (rule.includes && !conditionHolds(rule.includes, arch, caps, kernel).all) continue;
    if (rule.excludes && conditionHolds(rule.excludes, arch, caps, kernel).any) continue;
    const names = rule.names && rule.names.length > 0 ? rule.names : rule.name ? [rule.name] : [];
    if (names.length === 0) continue;
    const out: OciSeccompSyscall = { names: [...names], action: rule.action };
    if (rule.errnoRet !== undefined) out.errnoRet = rule.errnoRet;
    if (rule.args && rule.args.length > 0) out.args = rule.args.map((a) => ({ ...a }));
    syscalls.push(out);
  }

  const result: OciSeccomp = { defaultAction: profile.defaultAction, syscalls };
  if (profile.defaultErrnoRet !== undefined) result.defaultErrnoRet = profile.defaultErrnoRet;
  if (architectures) result.architectures = architectures;
  if (profile.flags && profile.flags.length > 0) result.flags = [...profile.flags];
  return result;
}

/** Parses the JSON text the docker CLI sends for `--security-opt seccomp=FILE`. */
export function parseSeccompProfile(text: string): DockerSeccompProfile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new InvalidParameterError(`Decoding seccomp profile failed: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidParameterError('Decoding seccomp profile failed: not a JSON object');
  }
  return parsed as DockerSeccompProfile;
}
