/**
 * Platforms as the `platform` query parameter gives them (`linux`, `linux/amd64`,
 * `linux/arm64/v8`, `arm64`), normalized as containerd's platforms package does, so that
 * `x86_64` is `amd64` and a bare OS means this host's architecture.
 */
import { InvalidParameterError } from '../../util/errors.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

const ARCH_ALIASES: Record<string, string> = { x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64', i386: '386', i686: '386', armhf: 'arm', armel: 'arm' };
const KNOWN_OS = new Set(['linux', 'windows', 'darwin', 'freebsd', 'netbsd', 'openbsd', 'solaris', 'illumos', 'aix', 'plan9', 'js', 'wasip1']);

function normalizeArch(arch: string): string {
  const a = arch.toLowerCase();
  return ARCH_ALIASES[a] ?? a;
}

/** This host's platform, as images name it. */
export function hostPlatform(): Platform {
  return { os: 'linux', architecture: normalizeArch(process.arch === 'x64' ? 'amd64' : process.arch === 'ia32' ? '386' : process.arch) };
}

export function parsePlatform(value: string): Platform {
  const parts = value.toLowerCase().split('/');
  if (parts.some((p) => p === '') || parts.length > 3) throw new InvalidParameterError(`invalid platform "${value}": expected os[/arch[/variant]]`);
  if (parts.length === 1) {
    const [one] = parts as [string];
    return KNOWN_OS.has(one) ? { ...hostPlatform(), os: one } : { os: 'linux', architecture: normalizeArch(one) };
  }
  const [os, arch, variant] = parts as [string, string, string | undefined];
  return { os, architecture: normalizeArch(arch), ...(variant ? { variant } : {}) };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** Whether an image of platform `have` serves `wanted` (a variant counts only when both name one). */
export function platformMatches(wanted: Platform, have: Platform): boolean {
  if (wanted.os !== have.os || wanted.architecture !== normalizeArch(have.architecture)) return false;
  return !wanted.variant || !have.variant || wanted.variant === have.variant;
}
