import { isIP } from 'node:net';

/** Registry settings from the daemon config (`insecure-registries`, `registry-mirrors`). */
export interface RegistrySettings {
  insecureRegistries: string[];
  registryMirrors: string[];
}

/** One base URL to try for a registry host, best first. */
export interface Endpoint {
  /** `https://registry-1.docker.io`, `http://127.0.0.1:5000` */
  base: URL;
  /** Plain HTTP (or unverified) is acceptable for this host. */
  insecure: boolean;
  mirror: boolean;
}

export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_API = 'https://registry-1.docker.io';

function hostOnly(hostPort: string): string {
  if (hostPort.startsWith('[')) return hostPort.slice(1, hostPort.indexOf(']'));
  const colon = hostPort.lastIndexOf(':');
  return colon > 0 && hostPort.indexOf(':') === colon ? hostPort.slice(0, colon) : hostPort;
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, o) => (n << 8) + Number(o), 0) >>> 0;
}

function inCidr(ip: string, cidr: string): boolean {
  const [net, bitsText] = cidr.split('/');
  if (!net || bitsText === undefined || isIP(ip) !== 4 || isIP(net) !== 4) return false;
  const bits = Number(bitsText);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (ipv4ToInt(ip) & mask) === (ipv4ToInt(net) & mask);
}

/** Docker treats 127.0.0.0/8 and ::1 (and so localhost) as insecure registries by default. */
export function isLoopbackHost(host: string): boolean {
  const h = hostOnly(host);
  return h === 'localhost' || h === '::1' || inCidr(h, '127.0.0.0/8');
}

export function isInsecure(host: string, settings: RegistrySettings): boolean {
  if (isLoopbackHost(host)) return true;
  const h = hostOnly(host);
  return settings.insecureRegistries.some((entry) => entry === host || entry === h || (entry.includes('/') && inCidr(h, entry)));
}

/** The normalized server address `docker login` and X-Registry-Auth use: a host[:port]. */
export function registryHost(serverAddress: string): string {
  let s = serverAddress.trim();
  s = s.replace(/^https?:\/\//, '');
  s = s.replace(/\/.*$/, '');
  if (s === '' || s === 'index.docker.io' || s === 'registry-1.docker.io') return DOCKER_HUB;
  return s;
}

/**
 * Base URLs to try for a registry host. Insecure hosts try HTTPS first and fall back to plain
 * HTTP (as dockerd does); docker.io pulls try the mirrors first.
 */
export function endpointsFor(host: string, settings: RegistrySettings, purpose: 'pull' | 'push' | 'login'): Endpoint[] {
  if (host === DOCKER_HUB) {
    const mirrors = purpose === 'pull' ? settings.registryMirrors.map((m) => ({ base: new URL(m.replace(/\/+$/, '')), insecure: isInsecure(new URL(m).host, settings), mirror: true })) : [];
    return [...mirrors, { base: new URL(DOCKER_HUB_API), insecure: false, mirror: false }];
  }
  if (isInsecure(host, settings)) {
    return [
      { base: new URL(`https://${host}`), insecure: true, mirror: false },
      { base: new URL(`http://${host}`), insecure: true, mirror: false },
    ];
  }
  return [{ base: new URL(`https://${host}`), insecure: false, mirror: false }];
}
