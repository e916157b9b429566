/** IPv4 address and prefix arithmetic on 32-bit unsigned numbers. */
import { InvalidParameterError } from '../../util/errors.js';

export interface Cidr {
  /** Network address (host bits cleared). */
  base: number;
  prefix: number;
}

export function parseIPv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text.trim());
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parses `a.b.c.d/n`; host bits are cleared (Docker accepts 10.1.2.3/16 as 10.1.0.0/16). */
export function parseCidr(text: string): Cidr | undefined {
  const [addr, len, extra] = text.split('/');
  if (extra !== undefined || len === undefined || !/^\d{1,2}$/.test(len)) return undefined;
  const ip = parseIPv4(addr!);
  const prefix = Number(len);
  if (ip === undefined || prefix > 32) return undefined;
  return { base: (ip & maskOf(prefix)) >>> 0, prefix };
}

export function mustParseCidr(text: string, what = 'subnet'): Cidr {
  const c = parseCidr(text);
  if (!c) throw new InvalidParameterError(`invalid ${what} ${text}: expected an IPv4 CIDR like 10.1.0.0/16`);
  return c;
}

export function formatCidr(c: Cidr): string {
  return `${formatIPv4(c.base)}/${c.prefix}`;
}

export function cidrSize(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function cidrLast(c: Cidr): number {
  return c.base + cidrSize(c) - 1;
}

export function cidrContains(c: Cidr, ip: number): boolean {
  return ip >= c.base && ip <= cidrLast(c);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.base <= cidrLast(b) && b.base <= cidrLast(a);
}
