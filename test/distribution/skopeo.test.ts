import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeTar } from '../store/helpers.js';
import { busyboxTar } from '../helpers/paths.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { digestOf, pushBlob, startTestRegistry, type TestRegistry } from '../registry/helpers.js';
import { mustRun, runCommand, runInContainer, sha256Hex } from './helpers.js';

let d: TestDaemon;
let reg: TestRegistry;
let host: string;
let work: string;
let busyboxLayer: { digest: string; size: number };

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'berth-dist-skopeo-'));
  d = await startTestDaemon();
  reg = await startTestRegistry();
  host = reg.url.replace('http://', '');
  const bytes = await readFile(busyboxTar);
  busyboxLayer = { digest: `sha256:${sha256Hex(bytes)}`, size: bytes.length };
});

after(async () => {
  await reg?.cleanup();
  await d?.stop();
  await rm(work, { recursive: true, force: true });
});

const docker = (...args: string[]) => mustRun('docker', args, d.dockerEnv());

function imageConfig(architecture: string, diffId: string): Buffer {
  return Buffer.from(JSON.stringify({ architecture, os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: [diffId] } }));
}

function manifestFor(config: Buffer, layer: { digest: string; size: number }): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
    }),
  );
}

/** A tar holding one file, as a layer that marks which platform entry was pulled. */
function markerLayer(text: string): Promise<Buffer> {
  return makeTar([{ name: 'platform.txt', content: text }]);
}

describe('images pushed by skopeo, pulled by berthd', () => {
  test('an OCI layout copied with skopeo is pulled and runs', async () => {
    const layout = join(work, 'layout');
    await mkdir(join(layout, 'blobs/sha256'), { recursive: true });
    await copyFile(busyboxTar, join(layout, 'blobs/sha256', busyboxLayer.digest.slice(7)));
    const config = imageConfig('amd64', busyboxLayer.digest);
    const manifest = manifestFor(config, busyboxLayer);
    await writeFile(join(layout, 'blobs/sha256', digestOf(config).slice(7)), config);
    await writeFile(join(layout, 'blobs/sha256', digestOf(manifest).slice(7)), manifest);
    await writeFile(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    await writeFile(
      join(layout, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digestOf(manifest), size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'v1' } }],
      }),
    );
    await mustRun('skopeo', ['copy', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${host}/skopeo/bb:v1`]);

    const out = await docker('pull', `${host}/skopeo/bb:v1`);
    assert.match(out, /Pull complete/);
    assert.match(out, /Status: Downloaded newer image/);
    // skopeo gzips the layer on the way; the unpacked layer is still busybox's tar.
    assert.match(out, /Pulling from skopeo\/bb/);
    assert.equal((await docker('image', 'inspect', '--format', '{{index .RootFS.Layers 0}}', `${host}/skopeo/bb:v1`)).trim(), busyboxLayer.digest);
    assert.match(await runInContainer(d.dockerEnv(), `${host}/skopeo/bb:v1`, ['echo', 'from-skopeo']), /from-skopeo/);
  });

  test('a multi-platform index: amd64 by default, arm64 with --platform', async () => {
    const repo = 'multi/app';
    const amdConfig = imageConfig('amd64', busyboxLayer.digest);
    const armLayer = await markerLayer('arm64\n');
    const armDigest = await pushBlob(reg.url, repo, armLayer);
    const armConfig = imageConfig('arm64', armDigest);
    await pushBlob(reg.url, repo, await readFile(busyboxTar));
    await pushBlob(reg.url, repo, amdConfig);
    await pushBlob(reg.url, repo, armConfig);
    const amdManifest = manifestFor(amdConfig, busyboxLayer);
    const armManifest = manifestFor(armConfig, { digest: armDigest, size: armLayer.length });
    for (const m of [amdManifest, armManifest]) {
      const res = await fetch(`${reg.url}/v2/${repo}/manifests/${digestOf(m)}`, { method: 'PUT', headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' }, body: m });
      assert.equal(res.status, 201, await res.text());
    }
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digestOf(armManifest), size: armManifest.length, platform: { os: 'linux', architecture: 'arm64' } },
          { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digestOf(amdManifest), size: amdManifest.length, platform: { os: 'linux', architecture: 'amd64' } },
        ],
      }),
    );
    const put = await fetch(`${reg.url}/v2/${repo}/manifests/1`, { method: 'PUT', headers: { 'Content-Type': 'application/vnd.oci.image.index.v1+json' }, body: index });
    assert.equal(put.status, 201, await put.text());

    const name = `${host}/${repo}:1`;
    const pulled = await docker('pull', name);
    assert.match(pulled, new RegExp(`Digest: ${digestOf(index)}`));
    assert.equal((await docker('image', 'inspect', '--format', '{{.Architecture}}', name)).trim(), 'amd64');
    assert.match(await docker('image', 'inspect', '--format', '{{json .RepoDigests}}', name), new RegExp(`${repo}@${digestOf(index)}`));
    const indexFile = join(d.dataRoot, 'content/blobs/sha256', digestOf(index).slice(7));
    assert.deepEqual(await readFile(indexFile), index);

    await docker('pull', '--platform', 'linux/arm64', name);
    assert.equal((await docker('image', 'inspect', '--format', '{{.Architecture}}', name)).trim(), 'arm64');

    const missing = await runCommand('docker', ['pull', '--platform', 'linux/s390x', name], d.dockerEnv());
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /no matching manifest for linux\/s390x in the manifest list entries/);

    const remote = await d.client.get<{ Descriptor: { digest: string; mediaType: string }; Platforms: { architecture: string }[] }>(`/distribution/${name}/json`);
    assert.equal(remote.Descriptor.digest, digestOf(index));
    assert.equal(remote.Descriptor.mediaType, 'application/vnd.oci.image.index.v1+json');
    assert.deepEqual(remote.Platforms.map((p) => p.architecture), ['arm64', 'amd64']);
  });
});
