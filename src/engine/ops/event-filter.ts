/**
 * Docker's event filters (moby `daemon/events/filter.go`): every key given must match; within
 * one key any value may match. Names (container, network, volume, ...) match the actor's ID,
 * an ID prefix or its `name` attribute; `image` matches the image ID or name with or without
 * its tag; `event` matches the action exactly, except `health_status`, `exec_create` and
 * `exec_start`, which match as prefixes (`health_status: healthy`).
 */
import type { EngineEvent } from '../events/bus.js';
import { checkFilters } from '../../util/filters.js';
import { InvalidParameterError } from '../../util/errors.js';

export const EVENT_FILTERS = ['config', 'container', 'daemon', 'event', 'image', 'label', 'network', 'node', 'plugin', 'scope', 'secret', 'service', 'type', 'volume'] as const;
const EVENT_TYPES = ['builder', 'config', 'container', 'daemon', 'image', 'network', 'node', 'plugin', 'secret', 'service', 'volume'];
const PREFIX_ACTIONS = ['health_status', 'exec_create', 'exec_start'];
const NAMED_TYPES = ['container', 'network', 'volume', 'daemon', 'plugin', 'node', 'service', 'secret', 'config'] as const;

export type EventPredicate = (e: EngineEvent) => boolean;

/** Validates `filters` and returns the predicate for them. */
export function eventFilter(filters: Map<string, string[]>): EventPredicate {
  checkFilters(filters, EVENT_FILTERS);
  for (const t of filters.get('type') ?? []) if (!EVENT_TYPES.includes(t)) throw new InvalidParameterError(`invalid filter 'type=${t}'`);
  for (const s of filters.get('scope') ?? []) if (s !== 'local' && s !== 'swarm') throw new InvalidParameterError(`invalid filter 'scope=${s}'`);
  const has = (k: string) => (filters.get(k)?.length ?? 0) > 0;
  const values = (k: string) => filters.get(k) ?? [];
  const fuzzyActions = values('event').some((v) => PREFIX_ACTIONS.includes(v));

  return (e) => {
    if (has('event')) {
      const ok = fuzzyActions ? values('event').some((v) => e.Action.startsWith(v)) : values('event').includes(e.Action);
      if (!ok) return false;
    }
    if (has('type') && !values('type').includes(e.Type)) return false;
    if (has('scope') && !values('scope').includes(e.scope)) return false;
    for (const t of NAMED_TYPES) {
      if (!has(t)) continue;
      const name = e.Actor.Attributes.name ?? '';
      if (!values(t).some((v) => e.Actor.ID.startsWith(v) || (name !== '' && name.startsWith(v)))) return false;
    }
    if (has('image') && !imageMatches(e, values('image'))) return false;
    if (has('label') && !labelsMatch(e.Actor.Attributes, values('label'))) return false;
    return true;
  };
}

function stripTag(ref: string): string {
  const at = ref.indexOf('@');
  if (at >= 0) return ref.slice(0, at);
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? ref.slice(0, colon) : ref;
}

function imageMatches(e: EngineEvent, wanted: string[]): boolean {
  const name = e.Actor.Attributes[e.Type === 'image' ? 'name' : 'image'] ?? '';
  const candidates = [e.Actor.ID, name, stripTag(e.Actor.ID), stripTag(name)].filter(Boolean);
  return wanted.some((w) => candidates.includes(w));
}

/** `label=key` (present) or `label=key=value`; all given labels must match. */
function labelsMatch(attrs: Record<string, string>, wanted: string[]): boolean {
  return wanted.every((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) return w in attrs;
    return attrs[w.slice(0, eq)] === w.slice(eq + 1);
  });
}
