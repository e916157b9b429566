import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry, type RegistryOptions, type RunningRegistry } from '../../src/registry/server/index.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar';

export function digestOf(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export interface TestRegistry {
  reg: RunningRegistry;
  root: string;
  url: string;
  cleanup(): Promise<void>;
}

/** A registry on 127.0.0.1:0 with a temp root; `cleanup` closes it and removes the root. */
export async function startTestRegistry(opts: Partial<RegistryOptions> = {}): Promise<TestRegistry> {
  const root = await mkdtemp(join(tmpdir(), 'berth-registry-test-'));
  try {
    const reg = await startRegistry({ addr: '127.0.0.1:0', root, ...opts });
    return {
      reg,
      root,
      url: reg.url,
      cleanup: async () => {
        await reg.close();
        await rm(root, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
}

export async function pushBlob(url: string, repo: string, data: Buffer, headers: Record<string, string> = {}): Promise<string> {
  const digest = digestOf(data);
  const res = await fetch(`${url}/v2/${repo}/blobs/uploads/?digest=${digest}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/octet-stream', ...headers },
    body: data,
  });
  if (res.status !== 201) throw new Error(`push blob: ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
  return digest;
}

export interface TestImage {
  config: Buffer;
  layers: Buffer[];
  manifest: Buffer;
  digest: string;
}

/** A small random image; `extra` merges into the manifest JSON (subject, artifactType...). */
export function makeImage(extra: Record<string, unknown> = {}, layerCount = 1, layerSize = 512): TestImage {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', nonce: randomBytes(8).toString('hex') }));
  const layers = Array.from({ length: layerCount }, () => randomBytes(layerSize));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: digestOf(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: OCI_LAYER, digest: digestOf(l), size: l.length })),
      ...extra,
    }),
  );
  return { config, layers, manifest, digest: digestOf(manifest) };
}

export async function pushImage(url: string, repo: string, img: TestImage, tag?: string, headers: Record<string, string> = {}): Promise<Response> {
  await pushBlob(url, repo, img.config, headers);
  for (const l of img.layers) await pushBlob(url, repo, l, headers);
  const res = await fetch(`${url}/v2/${repo}/manifests/${tag ?? img.digest}`, {
    method: 'PUT',
    headers: { 'Content-Type': OCI_MANIFEST, ...headers },
    body: img.manifest,
  });
  await res.arrayBuffer();
  return res;
}

export async function errorCode(res: Response): Promise<string | undefined> {
  const body = (await res.json()) as { errors?: Array<{ code: string }> };
  return body.errors?.[0]?.code;
}
