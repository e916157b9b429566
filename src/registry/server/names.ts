import { isDigest, type Digest } from '../../util/digest.js';
import { RegistryError } from './errors.js';

// The distribution spec's grammar for repository names and tags.
const NAME_RE = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG_RE = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

export function validateName(name: string): void {
  if (name.length > 255 || !NAME_RE.test(name)) throw new RegistryError('NAME_INVALID', `invalid repository name "${name}"`, { name });
}

export function isTag(ref: string): boolean {
  return TAG_RE.test(ref);
}

/**
 * A manifest reference: a tag or a digest. A name that is not a valid tag cannot exist, so
 * reading or deleting it is MANIFEST_UNKNOWN (404, as the conformance suite expects); pushing
 * to it is TAG_INVALID.
 */
export function parseReference(ref: string, forWrite = false): { tag?: string; digest?: Digest } {
  if (ref.includes(':')) {
    if (!isDigest(ref)) throw new RegistryError('DIGEST_INVALID', `invalid or unsupported digest "${ref}"`, { digest: ref });
    return { digest: ref };
  }
  if (!isTag(ref)) {
    if (forWrite) throw new RegistryError('TAG_INVALID', `invalid tag "${ref}"`, { tag: ref });
    throw new RegistryError('MANIFEST_UNKNOWN', `manifest ${ref} is not known (not a valid tag)`, { reference: ref });
  }
  return { tag: ref };
}

export function parseDigestParam(value: string | null | undefined, code: 'DIGEST_INVALID' | 'BLOB_UNKNOWN' = 'DIGEST_INVALID'): Digest {
  if (!value || !isDigest(value)) throw new RegistryError(code, `invalid or unsupported digest "${value ?? ''}"`, { digest: value ?? null });
  return value;
}
