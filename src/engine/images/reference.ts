import { InvalidParameterError } from '../../util/errors.js';
import { isDigest, type Digest } from '../../util/digest.js';

/**
 * Image references as Docker understands them (distribution/reference's grammar):
 * `[domain[:port]/]path[:tag][@digest]`, with `docker.io` and `library/` implied for
 * familiar names. We store the normalized form (`docker.io/library/busybox:latest`) and
 * show the familiar one (`busybox:latest`).
 */
export interface Reference {
  domain: string;
  /** Repository path without domain: `library/busybox`. */
  path: string;
  tag?: string;
  digest?: Digest;
}

export const DEFAULT_DOMAIN = 'docker.io';
export const DEFAULT_TAG = 'latest';
const LEGACY_DOMAIN = 'index.docker.io';

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const MAX_NAME = 255;

function invalid(ref: string, why?: string): InvalidParameterError {
  return new InvalidParameterError(why ? `invalid reference format: ${why}` : `invalid reference format: "${ref}"`);
}

function isDomain(part: string): boolean {
  if (part === 'localhost') return true;
  if (!part.includes('.') && !part.includes(':')) return false;
  const [host = '', port] = part.startsWith('[') ? [part.slice(0, part.indexOf(']') + 1), part.slice(part.indexOf(']') + 2) || undefined] : part.split(':');
  if (port !== undefined && !/^\d+$/.test(port)) return false;
  if (host.startsWith('[')) return true;
  return host.split('.').every((c) => DOMAIN_COMPONENT.test(c));
}

/** Parses and normalizes a reference. Does not add a default tag. */
export function parseReference(input: string): Reference {
  const ref = input.trim();
  if (ref === '') throw invalid(ref, 'repository name must have at least one component');
  let rest = ref;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const d = rest.slice(at + 1);
    if (!isDigest(d)) throw invalid(ref);
    digest = d;
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(ref);
  }
  const parts = rest.split('/');
  let domain = DEFAULT_DOMAIN;
  if (parts.length > 1 && isDomain(parts[0]!)) {
    domain = parts.shift()!;
    if (domain === LEGACY_DOMAIN) domain = DEFAULT_DOMAIN;
  }
  if (parts.length === 0 || parts.some((p) => p === '')) throw invalid(ref);
  for (const p of parts) {
    if (!COMPONENT.test(p)) {
      if (COMPONENT.test(p.toLowerCase())) throw invalid(ref, `repository name (${parts.join('/')}) must be lowercase`);
      throw invalid(ref);
    }
  }
  if (domain === DEFAULT_DOMAIN && parts.length === 1) parts.unshift('library');
  const path = parts.join('/');
  if (domain.length + 1 + path.length > MAX_NAME) throw invalid(ref, `repository name must not be more than ${MAX_NAME} characters`);
  return { domain, path, tag, digest };
}

/** Parses and adds `:latest` when neither tag nor digest is given. */
export function parseTaggedReference(input: string): Reference {
  const ref = parseReference(input);
  if (!ref.tag && !ref.digest) ref.tag = DEFAULT_TAG;
  return ref;
}

export function repositoryName(ref: Pick<Reference, 'domain' | 'path'>): string {
  return `${ref.domain}/${ref.path}`;
}

/** Fully qualified: `docker.io/library/busybox:latest`. */
export function formatReference(ref: Reference): string {
  let s = repositoryName(ref);
  if (ref.tag) s += `:${ref.tag}`;
  if (ref.digest) s += `@${ref.digest}`;
  return s;
}

/** What Docker shows: `busybox:latest`, `me/app:1`, `localhost:5000/x:y`. */
export function familiarName(normalized: string): string {
  const ref = parseReference(normalized);
  let repo = ref.domain === DEFAULT_DOMAIN ? ref.path.replace(/^library\//, '') : repositoryName(ref);
  if (ref.tag) repo += `:${ref.tag}`;
  if (ref.digest) repo += `@${ref.digest}`;
  return repo;
}

/** The familiar repository without tag: `busybox`. */
export function familiarRepository(ref: Pick<Reference, 'domain' | 'path'>): string {
  return ref.domain === DEFAULT_DOMAIN ? ref.path.replace(/^library\//, '') : repositoryName(ref);
}

/** A tag alone must match Docker's tag grammar. */
export function validateTag(tag: string): void {
  if (!TAG.test(tag)) throw new InvalidParameterError(`invalid tag format: "${tag}"`);
}
