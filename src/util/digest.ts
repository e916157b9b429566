import { createHash } from 'node:crypto';
import { InvalidParameterError } from './errors.js';

/** A content digest in OCI form: `sha256:<64 hex>`. */
export type Digest = `sha256:${string}`;

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function isDigest(value: string): value is Digest {
  return DIGEST_RE.test(value);
}

export function parseDigest(value: string): Digest {
  if (!isDigest(value)) throw new InvalidParameterError(`invalid digest "${value}": expected sha256:<64 hex characters>`);
  return value;
}

export function sha256(data: string | Buffer): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** The 64 hex characters of a digest. */
export function hexOf(digest: Digest): string {
  return digest.slice('sha256:'.length);
}

/** Docker shows image and container IDs as the first 12 hex characters. */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
