import { isDigest, type Digest } from '../../util/digest.js';
import type { ManifestRef } from '../storage/metadata.js';
import { RegistryError } from './errors.js';

export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

export const MANIFEST_TYPES: readonly string[] = Object.values(MEDIA);
const INDEX_TYPES = new Set<string>([MEDIA.ociIndex, MEDIA.dockerList]);

export interface ParsedManifest {
  mediaType: string;
  refs: ManifestRef[];
  subject?: Digest;
  artifactType?: string;
  annotations?: Record<string, string>;
}

interface Descriptor {
  mediaType?: unknown;
  digest?: unknown;
  size?: unknown;
  urls?: unknown;
}

function descriptor(value: unknown, where: string): { digest: Digest; mediaType: string; foreign: boolean } {
  const d = value as Descriptor | null;
  if (!d || typeof d !== 'object' || typeof d.digest !== 'string' || typeof d.size !== 'number' || typeof d.mediaType !== 'string') {
    throw new RegistryError('MANIFEST_INVALID', `${where} is not a valid descriptor`);
  }
  if (!isDigest(d.digest)) throw new RegistryError('MANIFEST_INVALID', `${where} has an invalid or unsupported digest ${d.digest}`);
  // Foreign / non-distributable layers live elsewhere (their urls); we do not require them.
  const foreign = /foreign|nondistributable/.test(d.mediaType) && Array.isArray(d.urls) && d.urls.length > 0;
  return { digest: d.digest, mediaType: d.mediaType, foreign };
}

/**
 * Parses and validates a manifest's bytes. The media type comes from the document's own
 * `mediaType` when present (and must then agree with Content-Type), else from Content-Type,
 * else from its shape.
 */
export function parseManifest(bytes: Buffer, contentType: string | undefined): ParsedManifest {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new RegistryError('MANIFEST_INVALID', 'manifest is not valid JSON');
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new RegistryError('MANIFEST_INVALID', 'manifest is not a JSON object');
  if (doc.schemaVersion !== 2) throw new RegistryError('MANIFEST_INVALID', 'only schemaVersion 2 manifests are supported');
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  const header = contentType?.split(';')[0]?.trim();
  if (declared && header && MANIFEST_TYPES.includes(header) && header !== declared) {
    throw new RegistryError('MANIFEST_INVALID', `Content-Type ${header} does not match the manifest's mediaType ${declared}`);
  }
  const mediaType =
    declared ?? (header && MANIFEST_TYPES.includes(header) ? header : Array.isArray(doc.manifests) ? MEDIA.ociIndex : MEDIA.ociManifest);
  if (!MANIFEST_TYPES.includes(mediaType)) throw new RegistryError('MANIFEST_INVALID', `unsupported manifest media type ${mediaType}`);

  const refs: ManifestRef[] = [];
  let artifactType = typeof doc.artifactType === 'string' ? doc.artifactType : undefined;
  if (INDEX_TYPES.has(mediaType)) {
    if (!Array.isArray(doc.manifests)) throw new RegistryError('MANIFEST_INVALID', 'index has no manifests list');
    doc.manifests.forEach((m, i) => refs.push({ child: descriptor(m, `manifests[${i}]`).digest, kind: 'manifest' }));
  } else {
    const config = descriptor(doc.config, 'config');
    refs.push({ child: config.digest, kind: 'blob' });
    if (!Array.isArray(doc.layers)) throw new RegistryError('MANIFEST_INVALID', 'manifest has no layers list');
    doc.layers.forEach((l, i) => {
      const layer = descriptor(l, `layers[${i}]`);
      if (!layer.foreign) refs.push({ child: layer.digest, kind: 'blob' });
    });
    // Per the image spec, an artifact without artifactType is typed by its config.
    if (!artifactType && mediaType === MEDIA.ociManifest) artifactType = config.mediaType;
  }
  const subject = doc.subject === undefined ? undefined : descriptor(doc.subject, 'subject').digest;
  const annotations =
    doc.annotations && typeof doc.annotations === 'object' && !Array.isArray(doc.annotations) ? (doc.annotations as Record<string, string>) : undefined;
  return { mediaType, refs, subject, artifactType, annotations };
}

/** Does an Accept header admit `mediaType`? No header (or a wildcard) admits everything. */
export function accepts(acceptHeader: string | string[] | undefined, mediaType: string): boolean {
  if (!acceptHeader) return true;
  const values = (Array.isArray(acceptHeader) ? acceptHeader.join(',') : acceptHeader)
    .split(',')
    .map((v) => v.split(';')[0]?.trim() ?? '')
    .filter(Boolean);
  if (values.length === 0) return true;
  if (values.includes(mediaType) || values.includes('*/*')) return true;
  // Only negotiate when the client speaks about manifest types at all (a bare `application/json` client gets the bytes).
  return !values.some((v) => MANIFEST_TYPES.includes(v));
}
