/**
 * Log drivers and their options, as Docker names them. A container's effective LogConfig is
 * its own `HostConfig.LogConfig` or the daemon's `log-driver`/`log-opts`. Validation runs at
 * create, so a typo is a 400 then rather than a silent default later.
 *
 * What berth does with each driver (conmon always writes the local k8s-file log, which
 * `docker logs` reads — Docker's "dual logging"):
 *   json-file, local   the local log, rotated at max-size keeping max-file files
 *   none               no local log at all; `docker logs` refuses
 *   syslog, fluentd, gelf, journald
 *                      the local log (rotated at 20m, 5 files) is tailed and shipped
 */
import { existsSync } from 'node:fs';
import type { LogConfig } from '../../api/types/container.js';
import { InvalidParameterError, NotImplementedError } from '../../util/errors.js';
import { parseGoDuration } from '../../util/go-duration.js';

export type LogDriverName = 'json-file' | 'local' | 'none' | 'syslog' | 'fluentd' | 'gelf' | 'journald';

const COMMON = ['mode', 'max-buffer-size'];
const ATTRS = ['tag', 'labels', 'labels-regex', 'env', 'env-regex'];
const CACHE = ['cache-disabled', 'cache-max-size', 'cache-max-file', 'cache-compress'];

const DRIVER_OPTS: Record<LogDriverName, string[]> = {
  'json-file': ['max-size', 'max-file', 'compress', ...ATTRS],
  local: ['max-size', 'max-file', 'compress'],
  none: [],
  syslog: ['syslog-address', 'syslog-facility', 'syslog-tls-ca-cert', 'syslog-tls-cert', 'syslog-tls-key', 'syslog-tls-skip-verify', 'syslog-format', ...ATTRS, ...CACHE],
  fluentd: [
    'fluentd-address', 'fluentd-async', 'fluentd-async-connect', 'fluentd-buffer-limit', 'fluentd-retry-wait', 'fluentd-max-retries',
    'fluentd-sub-second-precision', 'fluentd-request-ack', 'fluentd-write-timeout', ...ATTRS, ...CACHE,
  ],
  gelf: ['gelf-address', 'gelf-compression-type', 'gelf-compression-level', 'gelf-tcp-max-reconnect', 'gelf-tcp-reconnect-delay', ...ATTRS, ...CACHE],
  journald: [...ATTRS, ...CACHE],
};

export const SHIPPING_DRIVERS: readonly LogDriverName[] = ['syslog', 'fluentd', 'gelf', 'journald'];
export const JOURNAL_SOCKET = '/run/systemd/journal/socket';

export const SYSLOG_FACILITIES: Record<string, number> = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};

export interface EffectiveLogConfig {
  driver: LogDriverName;
  opts: Record<string, string>;
}

function isDuration(text: string): boolean {
  try {
    return parseGoDuration(text) >= 0;
  } catch {
    return false;
  }
}

function isDriver(name: string): name is LogDriverName {
  return Object.hasOwn(DRIVER_OPTS, name);
}

/** The container's LogConfig, or the daemon defaults when it has none. */
export function effectiveLogConfig(config: LogConfig | undefined | null, defaults: { driver: string; opts: Record<string, string> }): EffectiveLogConfig {
  const type = config?.Type || defaults.driver || 'json-file';
  const opts = config?.Type ? (config.Config ?? {}) : { ...defaults.opts, ...(config?.Config ?? {}) };
  if (!isDriver(type)) throw new InvalidParameterError(`logger: no log driver named '${type}' is registered`);
  return { driver: type, opts };
}

/** Go-units RAMInBytes: `10m`, `1.5g`, `512k`, `100` (bytes). */
export function parseSize(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)i?b?$/i.exec(value.trim());
  if (!m) throw new InvalidParameterError(`invalid size: '${value}'`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't' | 'p'];
  return Math.floor(Number(m[1]) * mult);
}

/**
 * Checks a container's LogConfig (or the daemon defaults) the way Docker does at create:
 * unknown driver, unknown option, malformed values, journald without a journal.
 * The container service calls this from `create`.
 */
export function validateLogConfig(config: LogConfig | undefined | null, defaults: { driver: string; opts: Record<string, string> } = { driver: 'json-file', opts: {} }): EffectiveLogConfig {
  const eff = effectiveLogConfig(config, defaults);
  const allowed = new Set([...DRIVER_OPTS[eff.driver], ...(eff.driver === 'none' ? [] : COMMON)]);
  for (const key of Object.keys(eff.opts)) {
    if (!allowed.has(key)) throw new InvalidParameterError(`unknown log opt '${key}' for ${eff.driver} log driver`);
  }
  const o = eff.opts;
  for (const k of ['max-size', 'cache-max-size', 'max-buffer-size']) if (o[k] !== undefined && o[k] !== '-1') parseSize(o[k]!);
  for (const k of ['max-file', 'cache-max-file']) {
    if (o[k] !== undefined && !(/^\d+$/.test(o[k]!) && Number(o[k]) >= 1)) throw new InvalidParameterError(`invalid value for ${k}: ${o[k]}: max-file must be a positive integer`);
  }
  if (o['max-file'] !== undefined && Number(o['max-file']) > 1 && o['max-size'] === undefined) {
    throw new InvalidParameterError('max-file cannot be set without max-size');
  }
  for (const k of ['compress', 'cache-compress', 'cache-disabled', 'fluentd-async', 'fluentd-async-connect', 'fluentd-sub-second-precision', 'fluentd-request-ack', 'syslog-tls-skip-verify']) {
    if (o[k] !== undefined && !/^(true|false|1|0)$/i.test(o[k]!)) throw new InvalidParameterError(`invalid value for ${k}: ${o[k]}`);
  }
  if (o.mode !== undefined && o.mode !== 'blocking' && o.mode !== 'non-blocking') throw new InvalidParameterError(`logger: logging mode not supported: ${o.mode}`);
  if (o['syslog-facility'] !== undefined && !(o['syslog-facility'] in SYSLOG_FACILITIES) && !/^\d+$/.test(o['syslog-facility'])) {
    throw new InvalidParameterError(`invalid syslog facility value: ${o['syslog-facility']}`);
  }
  if (o['syslog-format'] !== undefined && !['', 'rfc3164', 'rfc5424', 'rfc5424micro'].includes(o['syslog-format'])) {
    throw new InvalidParameterError(`Invalid syslog format: ${o['syslog-format']}`);
  }
  if (o['syslog-address'] !== undefined && !/^(udp|tcp|tcp\+tls|unix|unixgram):\/\//.test(o['syslog-address'])) {
    throw new InvalidParameterError(`unsupported scheme: '${o['syslog-address'].split('://')[0]}'`);
  }
  if (o['gelf-address'] !== undefined && !/^udp:\/\/[^:]+:\d+$/.test(o['gelf-address'])) {
    throw new InvalidParameterError(`gelf-address should be in form proto://address, got ${o['gelf-address']} (berth ships GELF over udp)`);
  }
  if (o['gelf-compression-type'] !== undefined && !['gzip', 'zlib', 'none'].includes(o['gelf-compression-type'])) {
    throw new InvalidParameterError(`Unknown gelf compression type: ${o['gelf-compression-type']}`);
  }
  if (o['fluentd-buffer-limit'] !== undefined && !/^\d+$/.test(o['fluentd-buffer-limit'])) throw new InvalidParameterError(`invalid fluentd-buffer-limit: ${o['fluentd-buffer-limit']}`);
  if (o['fluentd-max-retries'] !== undefined && !/^\d+$/.test(o['fluentd-max-retries'])) throw new InvalidParameterError(`invalid fluentd-max-retries: ${o['fluentd-max-retries']}`);
  if (o['fluentd-retry-wait'] !== undefined && !isDuration(o['fluentd-retry-wait'])) throw new InvalidParameterError(`invalid fluentd-retry-wait: ${o['fluentd-retry-wait']}`);
  if (eff.driver === 'journald' && !existsSync(JOURNAL_SOCKET)) {
    throw new InvalidParameterError(`failed to initialize logging driver: journald is not enabled on this host (no ${JOURNAL_SOCKET})`);
  }
  return eff;
}

/** How the local log is bounded: conmon's --log-size-max and how many old files to keep. */
export interface LocalLogPolicy {
  /** No local file at all (`none`). */
  disabled: boolean;
  /** `docker logs` may read it (not with `none` or a shipping driver's cache-disabled). */
  readable: boolean;
  maxSize?: number;
  /** Files kept in all, the current one included (Docker's max-file). */
  maxFiles: number;
  compress: boolean;
}

const MB = 1024 * 1024;

export function localLogPolicy(eff: EffectiveLogConfig): LocalLogPolicy {
  const o = eff.opts;
  const bool = (v: string | undefined, d: boolean) => (v === undefined ? d : /^(true|1)$/i.test(v));
  if (eff.driver === 'none') return { disabled: true, readable: false, maxFiles: 1, compress: false };
  if (eff.driver === 'json-file') {
    const size = o['max-size'] && o['max-size'] !== '-1' ? parseSize(o['max-size']) : undefined;
    return { disabled: false, readable: true, maxSize: size, maxFiles: size ? Number(o['max-file'] ?? 1) : 1, compress: bool(o.compress, false) };
  }
  if (eff.driver === 'local') {
    // Docker's local driver defaults: 20m, 5 files, compressed.
    return { disabled: false, readable: true, maxSize: o['max-size'] ? parseSize(o['max-size']) : 20 * MB, maxFiles: Number(o['max-file'] ?? 5), compress: bool(o.compress, true) };
  }
  // Shipping drivers tail a local file; it doubles as the cache `docker logs` reads (Docker's
  // cache-* options). With cache-disabled the file stays but is kept to its minimum.
  if (bool(o['cache-disabled'], false)) return { disabled: false, readable: false, maxSize: 1 * MB, maxFiles: 1, compress: false };
  return { disabled: false, readable: true, maxSize: o['cache-max-size'] ? parseSize(o['cache-max-size']) : 20 * MB, maxFiles: Number(o['cache-max-file'] ?? 5), compress: bool(o['cache-compress'], true) };
}

/** `docker logs` on a container without a local log fails like Docker's. */
export function assertLogsReadable(config: LogConfig | undefined | null, defaults: { driver: string; opts: Record<string, string> }): void {
  const eff = effectiveLogConfig(config, defaults);
  if (!localLogPolicy(eff).readable) throw new NotImplementedError('configured logging driver does not support reading');
}
