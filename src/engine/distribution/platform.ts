import type { Descriptor, Platform } from '../images/oci.js';

export interface WantedPlatform {
  os: string;
  architecture: string;
  variant?: string;
}

const NODE_ARCH: Record<string, { architecture: string; variant?: string }> = {
  x64: { architecture: 'amd64' },
  arm64: { architecture: 'arm64' },
  arm: { architecture: 'arm', variant: 'v7' },
  ia32: { architecture: '386' },
  ppc64: { architecture: 'ppc64le' },
  s390x: { architecture: 's390x' },
  riscv64: { architecture: 'riscv64' },
};

/** The platform this daemon runs containers for: what a pull picks from an index by default. */
export function hostPlatform(): WantedPlatform {
  return { os: 'linux', ...(NODE_ARCH[process.arch] ?? { architecture: process.arch }) };
}

export function formatPlatform(p: WantedPlatform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** arm64 without a variant means v8, as containerd's platform matcher treats it. */
function sameVariant(arch: string, want: string | undefined, have: string | undefined): boolean {
  if (!want) return true;
  const norm = (v: string | undefined) => (arch === 'arm64' && (v === undefined || v === '') ? 'v8' : (v ?? ''));
  return norm(want) === norm(have);
}

export function platformMatches(have: Platform | undefined, want: WantedPlatform): boolean {
  return Boolean(have && have.os === want.os && have.architecture === want.architecture && sameVariant(want.architecture, want.variant, have.variant));
}

/** The index entry for a platform, or undefined (attestation entries never match: unknown/unknown). */
export function pickManifest(entries: Descriptor[], want: WantedPlatform): Descriptor | undefined {
  return entries.find((d) => platformMatches(d.platform, want));
}
