import { existsSync, readFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { parse as parseYaml } from 'yaml';
import type { Logger } from '../../util/log.js';
import type { AccessRule } from '../auth/access.js';

/** Options of `startRegistry`, also the shape of a `--config` file (YAML or JSON). */
export interface RegistryOptions {
  /** HOST:PORT to listen on; port 0 picks a free one. */
  addr: string;
  /** Storage root: blobs/, uploads/, tmp/ and registry.db live here. */
  root: string;
  /** Refuse every write with 405 UNSUPPORTED. */
  readOnly?: boolean;
  /** PEM text or file paths. */
  tls?: { cert: string; key: string };
  /** An htpasswd file (bcrypt entries): enables Basic auth, and is where the token endpoint checks credentials. */
  htpasswd?: string;
  /** Docker token auth. Without `key` an ES256 key is generated at start. */
  token?: { realm?: string; issuer?: string; service?: string; key?: string; expiresIn?: number; rules?: AccessRule[] };
  /** Access rules (also accepted under `token.rules`). */
  rules?: AccessRule[];
  /** Pull-through cache of an upstream registry; implies read-only for pushes. */
  proxy?: { url: string; username?: string; password?: string };
  /** Run GC every this many milliseconds (0 or absent: never). */
  gcInterval?: number;
  /** GC settings for scheduled and admin runs. */
  gc?: { gracePeriodMs?: number; deleteUntagged?: boolean };
  /** true: JSON lines on stdout; a string: append to that file; or a stream. */
  accessLog?: boolean | string | Writable;
  logger?: Logger;
}

/** PEM text as is, or the contents of the file it names. */
export function pemOrFile(value: string): string {
  return value.includes('-----BEGIN') ? value : readFileSync(value, 'utf8');
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `90s`, `10m`, `1h`, `500ms` or plain milliseconds. */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim());
  if (!m) throw new Error(`invalid duration "${value}" (use e.g. 500ms, 30s, 10m, 1h)`);
  return Number(m[1]) * UNITS[m[2] ?? 'ms']!;
}

/** Loads a config file (YAML or JSON); durations may be written as strings. */
export function loadConfigFile(file: string): Partial<RegistryOptions> {
  if (!existsSync(file)) throw new Error(`config file ${file} does not exist`);
  const text = readFileSync(file, 'utf8');
  const raw = (file.endsWith('.json') ? JSON.parse(text) : parseYaml(text)) as Record<string, unknown> | null;
  if (!raw || typeof raw !== 'object') throw new Error(`config file ${file} is not a mapping`);
  const out = raw as Partial<RegistryOptions> & { gcInterval?: number | string; gc?: { gracePeriodMs?: number; gracePeriod?: string; deleteUntagged?: boolean } };
  if (out.gcInterval !== undefined) out.gcInterval = parseDuration(out.gcInterval);
  if (out.gc?.gracePeriod !== undefined) out.gc.gracePeriodMs = parseDuration(out.gc.gracePeriod);
  return out;
}
