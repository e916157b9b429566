/** ID and name helpers shared by the list formatters. */

/** `sha256:abc…` → `abc…` cut to 12 characters (stringid.TruncateID). */
export function truncateId(id: string): string {
  const bare = id.includes(':') ? id.slice(id.indexOf(':') + 1) : id;
  return bare.slice(0, 12);
}

/** formatter.Ellipsis: cut to `max` runes, the last one replaced by `…`. */
export function ellipsis(s: string, max: number): string {
  const runes = [...s];
  if (runes.length <= max) return s;
  if (max <= 0) return '';
  return `${runes.slice(0, max - 1).join('')}…`;
}

/** Splits `name[:tag]` (a colon after the last slash is the tag) or `name@digest`. */
export function splitReference(ref: string): { repo: string; tag?: string; digest?: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { repo: ref.slice(0, at), digest: ref.slice(at + 1) };
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref };
}

/** Go's time.Time.String() for a unix time, in UTC: `2024-01-02 15:04:05 +0000 UTC`. */
export function goTimeString(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const iso = d.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} +0000 UTC`;
}

/** RFC 3339 without fractional seconds (what `-H=false` and CreatedAt columns show). */
export function rfc3339(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** Go's encoding/json escapes <, > and & for HTML safety; docker's --format json keeps that. */
export function goJSON(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}
