import { InvalidParameterError } from '../../util/errors.js';
import { checkFilters } from '../../util/filters.js';
import { matchLabels } from '../images/views.js';
import type { VolumeRecord } from './store.js';

/** The label Docker (23+) puts on volumes created without a name; prune's default target. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

export const VOLUME_LIST_FILTERS = ['dangling', 'driver', 'label', 'name'] as const;
export const VOLUME_PRUNE_FILTERS = ['label', 'label!', 'all'] as const;

export function isAnonymous(v: VolumeRecord): boolean {
  return ANONYMOUS_LABEL in v.labels;
}

/** Go's time.RFC3339: seconds precision. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface VolumeView {
  Name: string;
  Driver: string;
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string>;
  Scope: 'local' | 'global';
  Options: Record<string, string> | null;
  Status?: Record<string, unknown>;
  UsageData?: { Size: number; RefCount: number };
}

export function volumeView(v: VolumeRecord, o: { mountpoint: string; scope?: 'local' | 'global'; status?: Record<string, unknown>; usage?: { Size: number; RefCount: number } }): VolumeView {
  return {
    CreatedAt: rfc3339(v.createdAt),
    Driver: v.driver,
    Labels: v.labels,
    Mountpoint: o.mountpoint,
    Name: v.name,
    Options: Object.keys(v.options).length ? v.options : null,
    Scope: o.scope ?? 'local',
    ...(o.status ? { Status: o.status } : {}),
    ...(o.usage ? { UsageData: o.usage } : {}),
  };
}

function parseBool(key: string, v: string): boolean {
  const l = v.toLowerCase();
  if (l === 'true' || l === '1') return true;
  if (l === 'false' || l === '0') return false;
  throw new InvalidParameterError(`invalid filter '${key}=${v}'`);
}

/** `GET /volumes` filters: dangling, driver, label, name (substring, as Docker matches). */
export function volumeMatcher(filters: Map<string, string[]>, inUse: (name: string) => boolean): (v: VolumeRecord) => boolean {
  checkFilters(filters, VOLUME_LIST_FILTERS);
  const dangling = filters.get('dangling')?.map((d) => parseBool('dangling', d));
  return (v) => {
    if (dangling && !dangling.some((d) => d === !inUse(v.name))) return false;
    const drivers = filters.get('driver');
    if (drivers && !drivers.includes(v.driver)) return false;
    const labels = filters.get('label');
    if (labels && !matchLabels(v.labels, labels)) return false;
    const names = filters.get('name');
    if (names && !names.some((n) => v.name.includes(n) || safeRegex(n)?.test(v.name))) return false;
    return true;
  };
}

/** `POST /volumes/prune` filters: label, label!, all. Without all=true only anonymous volumes. */
export function pruneMatcher(filters: Map<string, string[]>): (v: VolumeRecord) => boolean {
  checkFilters(filters, VOLUME_PRUNE_FILTERS);
  const all = (filters.get('all') ?? []).some((a) => parseBool('all', a));
  return (v) => {
    if (!all && !isAnonymous(v)) return false;
    const labels = filters.get('label');
    if (labels && !matchLabels(v.labels, labels)) return false;
    const notLabels = filters.get('label!');
    if (notLabels && notLabels.some((l) => matchLabels(v.labels, [l]))) return false;
    return true;
  };
}

function safeRegex(s: string): RegExp | undefined {
  try {
    return new RegExp(s);
  } catch {
    return undefined;
  }
}
