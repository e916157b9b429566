/** `-f key=value` flags → the `filters` query parameter (`{"key":{"value":true}}` is docker's wire form). */
import { CliError } from './errors.js';

export function parseFilters(values: string[]): Record<string, Record<string, boolean>> {
  const out: Record<string, Record<string, boolean>> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new CliError(`bad format of filter (expected name=value)`);
    const key = v.slice(0, eq).trim().toLowerCase();
    const value = v.slice(eq + 1).trim();
    (out[key] ??= {})[value] = true;
  }
  return out;
}

/** undefined when there are no filters, so the query stays clean. */
export function filtersQuery(values: string[]): string | undefined {
  return values.length ? JSON.stringify(parseFilters(values)) : undefined;
}
