import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { htpasswdLine } from '../../src/registry/auth/htpasswd.js';
import { digestOf, errorCode, makeImage, pushImage, startTestRegistry, type TestRegistry } from './helpers.js';

const run = promisify(execFile);
const FIXTURE = join(process.cwd(), 'fixtures/out/busybox-rootfs.tar');

let work: string;
let layout: string;
let layerDigest: string;

async function fileDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/** A one-layer OCI image layout made from the busybox rootfs tarball. */
async function makeLayout(dir: string): Promise<void> {
  await mkdir(join(dir, 'blobs/sha256'), { recursive: true });
  layerDigest = await fileDigest(FIXTURE);
  await copyFile(FIXTURE, join(dir, 'blobs/sha256', layerDigest.slice(7)));
  const { size } = await import('node:fs/promises').then((fs) => fs.stat(FIXTURE));
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: [layerDigest] } }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size }],
    }),
  );
  await writeFile(join(dir, 'blobs/sha256', digestOf(config).slice(7)), config);
  await writeFile(join(dir, 'blobs/sha256', digestOf(manifest).slice(7)), manifest);
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digestOf(manifest), size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }],
    }),
  );
}

function skopeo(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('skopeo', ['--insecure-policy', ...args], { env: { ...process.env, REGISTRY_AUTH_FILE: join(work, 'auth.json') }, timeout: 60_000 });
}

before(async () => {
  if (!existsSync(FIXTURE)) await run('bash', ['scripts/make-fixtures.sh']);
  work = await mkdtemp(join(tmpdir(), 'berth-skopeo-'));
  layout = join(work, 'layout');
  await makeLayout(layout);
});
after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('skopeo', () => {
  test('copies an image to and from the registry', async () => {
    const t = await startTestRegistry();
    try {
      const host = t.url.replace('http://', '');
      await skopeo(['copy', '--dest-tls-verify=false', `oci:${layout}:latest`, `docker://${host}/test/busybox:latest`]);
      const tags = (await (await fetch(`${t.url}/v2/test/busybox/tags/list`)).json()) as { tags: string[] };
      assert.deepEqual(tags.tags, ['latest']);
      const out = join(work, 'pulled');
      await skopeo(['copy', '--src-tls-verify=false', `docker://${host}/test/busybox:latest`, `oci:${out}:latest`]);
      const index = JSON.parse(await readFile(join(out, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
      const manifest = JSON.parse(await readFile(join(out, 'blobs/sha256', (index.manifests[0] as { digest: string }).digest.slice(7)), 'utf8')) as { layers: Array<{ digest: string }> };
      const pulledLayer = (manifest.layers[0] as { digest: string }).digest;
      assert.equal(await fileDigest(join(out, 'blobs/sha256', pulledLayer.slice(7))), pulledLayer);
      const { stdout } = await skopeo(['inspect', '--tls-verify=false', `docker://${host}/test/busybox:latest`]);
      assert.equal((JSON.parse(stdout) as { Layers: string[] }).Layers.length, 1);
    } finally {
      await t.cleanup();
    }
  });

  test('htpasswd: right credentials push, wrong ones are refused', async () => {
    const htpasswd = join(work, 'htpasswd');
    await writeFile(htpasswd, `${htpasswdLine('alice', 's3cret')}\n`);
    const t = await startTestRegistry({ htpasswd });
    try {
      const host = t.url.replace('http://', '');
      await assert.rejects(skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', 'alice:wrong', `oci:${layout}:latest`, `docker://${host}/sec/busybox:v1`]));
      await assert.rejects(skopeo(['copy', '--dest-tls-verify=false', `oci:${layout}:latest`, `docker://${host}/sec/busybox:v1`]));
      await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', 'alice:s3cret', `oci:${layout}:latest`, `docker://${host}/sec/busybox:v1`]);
      const anon = await fetch(`${t.url}/v2/sec/busybox/tags/list`);
      assert.equal(anon.status, 401);
      assert.match(anon.headers.get('www-authenticate') ?? '', /^Basic /);
      assert.equal(await errorCode(anon), 'UNAUTHORIZED');
      const ok = await fetch(`${t.url}/v2/sec/busybox/tags/list`, { headers: { Authorization: `Basic ${Buffer.from('alice:s3cret').toString('base64')}` } });
      assert.equal(ok.status, 200);
      await ok.arrayBuffer();
    } finally {
      await t.cleanup();
    }
  });

  test('token flow: skopeo gets a token, rules decide, anonymous pull where allowed', async () => {
    const htpasswd = join(work, 'htpasswd-token');
    await writeFile(htpasswd, `${htpasswdLine('bob', 'pw')}\n${htpasswdLine('eve', 'pw')}\n`);
    const t = await startTestRegistry({
      htpasswd,
      token: { issuer: 'test-issuer', service: 'test-registry' },
      rules: [
        { user: 'bob', repository: '**', actions: ['pull', 'push', 'delete'] },
        { user: 'eve', repository: 'public/**', actions: ['pull'] },
        { user: '*', repository: 'public/**', actions: ['pull'] },
      ],
    });
    try {
      const host = t.url.replace('http://', '');
      const challenge = await fetch(`${t.url}/v2/public/busybox/blobs/uploads/`, { method: 'POST' });
      assert.equal(challenge.status, 401);
      assert.match(challenge.headers.get('www-authenticate') ?? '', /^Bearer realm="http:\/\/127\.0\.0\.1:\d+\/token",service="test-registry",scope="repository:public\/busybox:pull,push"/);
      await challenge.arrayBuffer();
      await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', 'bob:pw', `oci:${layout}:latest`, `docker://${host}/public/busybox:latest`]);
      await assert.rejects(skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', 'eve:pw', `oci:${layout}:latest`, `docker://${host}/public/other:latest`]));
      await assert.rejects(skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', 'bob:nope', `oci:${layout}:latest`, `docker://${host}/public/other:latest`]));
      // eve and anonymous may pull.
      await skopeo(['inspect', '--tls-verify=false', '--creds', 'eve:pw', `docker://${host}/public/busybox:latest`]);
      const anon = await fetch(`${t.url}/v2/public/busybox/manifests/latest`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
      assert.equal(anon.status, 200);
      await anon.arrayBuffer();
      // The token endpoint itself.
      const tok = await fetch(`${t.url}/token?service=test-registry&scope=repository:public/busybox:pull,push`, { headers: { Authorization: `Basic ${Buffer.from('eve:pw').toString('base64')}` } });
      const body = (await tok.json()) as { token: string; access_token: string; expires_in: number; issued_at: string };
      assert.equal(body.token, body.access_token);
      assert.ok(body.expires_in > 0 && body.issued_at);
      const claims = JSON.parse(Buffer.from(body.token.split('.')[1] as string, 'base64url').toString()) as { access: Array<{ actions: string[] }> };
      assert.deepEqual(claims.access[0]?.actions, ['pull']);
      const bad = await fetch(`${t.url}/token?service=test-registry`, { headers: { Authorization: `Basic ${Buffer.from('eve:no').toString('base64')}` } });
      assert.equal(bad.status, 401);
      await bad.arrayBuffer();
    } finally {
      await t.cleanup();
    }
  });
});

describe('pull-through cache and read-only', () => {
  test('a proxy fetches through token auth, caches, and refuses pushes', async () => {
    const htpasswd = join(work, 'htpasswd-up');
    await writeFile(htpasswd, `${htpasswdLine('up', 'pw')}\n`);
    const upstream = await startTestRegistry({ htpasswd, token: {} });
    let proxy: TestRegistry | undefined;
    try {
      const auth = { Authorization: `Basic ${Buffer.from('up:pw').toString('base64')}` };
      const tokenRes = await fetch(`${upstream.url}/token?service=berth-registry&scope=repository:lib/img:pull,push`, { headers: auth });
      const { token } = (await tokenRes.json()) as { token: string };
      const img = makeImage({}, 2, 300_000);
      assert.equal((await pushImage(upstream.url, 'lib/img', img, 'v1', { Authorization: `Bearer ${token}` })).status, 201);
      proxy = await startTestRegistry({ proxy: { url: upstream.url, username: 'up', password: 'pw' } });
      const m = await fetch(`${proxy.url}/v2/lib/img/manifests/v1`);
      assert.equal(m.status, 200);
      assert.deepEqual(Buffer.from(await m.arrayBuffer()), img.manifest);
      for (const layer of img.layers) {
        const b = await fetch(`${proxy.url}/v2/lib/img/blobs/${digestOf(layer)}`);
        assert.equal(b.status, 200);
        assert.deepEqual(Buffer.from(await b.arrayBuffer()), layer);
      }
      await upstream.cleanup();
      // Served from the cache now.
      const again = await fetch(`${proxy.url}/v2/lib/img/blobs/${digestOf(img.layers[0] as Buffer)}`);
      assert.equal(again.status, 200);
      assert.deepEqual(Buffer.from(await again.arrayBuffer()), img.layers[0]);
      const push = await fetch(`${proxy.url}/v2/lib/img/blobs/uploads/`, { method: 'POST' });
      assert.equal(push.status, 405);
      assert.equal(await errorCode(push), 'UNSUPPORTED');
    } finally {
      await proxy?.cleanup();
      await upstream.cleanup().catch(() => undefined);
    }
  });

  test('read-only mode refuses writes with 405 UNSUPPORTED', async () => {
    const t = await startTestRegistry({ readOnly: true });
    try {
      for (const [method, path] of [['POST', '/v2/a/blobs/uploads/'], ['PUT', '/v2/a/manifests/x'], ['DELETE', `/v2/a/blobs/${digestOf('x')}`]] as const) {
        const res = await fetch(`${t.url}${path}`, { method });
        assert.equal(res.status, 405, `${method} ${path}`);
        assert.equal(await errorCode(res), 'UNSUPPORTED');
      }
      assert.equal((await fetch(`${t.url}/v2/`)).status, 200);
    } finally {
      await t.cleanup();
    }
  });
});
