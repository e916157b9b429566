import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import tar from 'tar-stream';
import { ApiError } from '../../src/client/client.js';
import { importBusybox, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { ensureBusyboxFixture } from '../helpers/fixtures.js';

interface Summary {
  Id: string;
  RepoTags: string[];
  Labels: Record<string, string> | null;
}

let d: TestDaemon;
before(async () => {
  d = await startTestDaemon();
});
after(() => d.stop());

const list = (filters?: Record<string, string[]>, all = false) => d.client.get<Summary[]>('/images/json', { filters: filters ? JSON.stringify(filters) : undefined, all });

async function blobs(): Promise<string[]> {
  return (await readdir(join(d.dataRoot, 'content', 'blobs', 'sha256'))).sort();
}

async function saveArchive(names: string[]): Promise<Buffer> {
  const res = await d.client.call('GET', '/images/get', { query: { names } });
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function load(body: Buffer | Readable): Promise<string[]> {
  const res = await d.client.call('POST', '/images/load', { body: body instanceof Buffer ? Readable.from([body]) : body });
  const out: string[] = [];
  for await (const m of d.client.messages(res)) if (m.stream) out.push(m.stream.trim());
  return out;
}

describe('import, list, inspect, history', () => {
  let id: string;
  before(async () => {
    id = await importBusybox(d.client, 'busybox:latest', ['CMD ["/bin/sh"]', 'LABEL tier=base', 'ENV HOME=/root']);
  });

  test('import creates a one-layer image with the changes applied', async () => {
    assert.match(id, /^sha256:[a-f0-9]{64}$/);
    const img = await d.client.get<{ Id: string; RepoTags: string[]; Config: { Cmd: string[]; Labels: Record<string, string>; Env: string[] }; RootFS: { Layers: string[] }; Size: number; Os: string }>('/images/busybox/json');
    assert.equal(img.Id, id);
    assert.deepEqual(img.RepoTags, ['busybox:latest']);
    assert.deepEqual(img.Config.Cmd, ['/bin/sh']);
    assert.deepEqual(img.Config.Labels, { tier: 'base' });
    assert.deepEqual(img.Config.Env, ['HOME=/root']);
    assert.equal(img.RootFS.Layers.length, 1);
    assert.equal(img.Os, 'linux');
    assert.ok(img.Size > 1_000_000);
  });

  test('history shows the import with its message', async () => {
    const res = await d.client.call('POST', '/images/create', { query: { fromSrc: '-', repo: 'noted', message: 'my message' }, body: createReadStream(ensureBusyboxFixture()) });
    for await (const _ of d.client.messages(res));
    const h = await d.client.get<{ Id: string; Comment: string; Size: number; Tags: string[] }[]>('/images/noted/history');
    assert.equal(h.length, 1);
    assert.equal(h[0]!.Comment, 'my message');
    assert.deepEqual(h[0]!.Tags, ['noted:latest']);
    assert.ok(h[0]!.Size > 0);
  });

  test('list filters: reference, label, dangling, before/since', async () => {
    await d.client.call('POST', '/images/busybox/tag', { query: { repo: 'example/tool', tag: 'v1' } }).then((r) => r.resume());
    assert.deepEqual((await list({ reference: ['busy*'] })).map((i) => i.RepoTags), [['busybox:latest']]);
    assert.deepEqual((await list({ reference: ['example/*:v1'] })).map((i) => i.Id), [id]);
    assert.deepEqual((await list({ label: ['tier=base'] })).map((i) => i.Id), [id]);
    assert.deepEqual(await list({ label: ['tier=other'] }), []);
    assert.deepEqual(await list({ dangling: ['true'] }), []);
    const noted = (await list({ reference: ['noted'] }))[0]!;
    assert.deepEqual((await list({ since: ['busybox'] })).map((i) => i.Id), [noted.Id]);
    assert.deepEqual((await list({ before: ['noted'] })).map((i) => i.Id), [id]);
  });

  test('a tag can move to another image; unknown images are 404', async () => {
    await assert.rejects(d.client.call('POST', '/images/nosuch/tag', { query: { repo: 'x' } }), (e: ApiError) => e.status === 404 && /No such image: nosuch/.test(e.message));
    await assert.rejects(d.client.call('POST', '/images/busybox/tag', { query: { repo: 'UPPER' } }), (e: ApiError) => e.status === 400 && /must be lowercase/.test(e.message));
    await assert.rejects(d.client.call('POST', '/images/busybox/tag', { query: { repo: 'ok', tag: 'bad tag' } }), (e: ApiError) => e.status === 400);
  });
});

describe('remove', () => {
  test('untag when other names remain, delete with the last one, force for multiple repositories', async () => {
    const id = await importBusybox(d.client, 'rmtest:one');
    await d.client.call('POST', `/images/rmtest:one/tag`, { query: { repo: 'rmtest', tag: 'two' } }).then((r) => r.resume());
    await d.client.call('POST', `/images/rmtest:one/tag`, { query: { repo: 'otherrepo', tag: 'x' } }).then((r) => r.resume());
    assert.deepEqual(await d.client.json('DELETE', '/images/rmtest:two'), [{ Untagged: 'rmtest:two' }]);
    await assert.rejects(d.client.json('DELETE', `/images/${id.slice(7, 19)}`), (e: ApiError) => e.status === 409 && /referenced in multiple repositories/.test(e.message));
    const forced = await d.client.json<Record<string, string>[]>('DELETE', `/images/${id.slice(7, 19)}`, { query: { force: true } });
    assert.deepEqual(forced.filter((r) => r.Untagged).map((r) => r.Untagged).sort(), ['otherrepo:x', 'rmtest:one']);
    assert.ok(forced.some((r) => r.Deleted === id));
    await assert.rejects(d.client.get(`/images/${id}/json`), (e: ApiError) => e.status === 404);
  });
});

describe('save and load', () => {
  test('a save/load round trip keeps the image ID, tags and layer digests', async () => {
    const id = await importBusybox(d.client, 'roundtrip:latest');
    const before = await d.client.get<{ RootFS: { Layers: string[] } }>('/images/roundtrip/json');
    const archive = await saveArchive(['roundtrip']);
    await d.client.json('DELETE', '/images/roundtrip', { query: { force: true } });
    const messages = await load(archive);
    assert.deepEqual(messages, ['Loaded image: roundtrip:latest']);
    const after = await d.client.get<{ Id: string; RootFS: { Layers: string[] } }>('/images/roundtrip/json');
    assert.equal(after.Id, id);
    assert.deepEqual(after.RootFS.Layers, before.RootFS.Layers);
  });

  test('the archive is both a docker-archive and an OCI layout', async () => {
    const archive = await saveArchive(['busybox']);
    const names: string[] = [];
    const extract = tar.extract();
    extract.on('entry', (h, s, next) => {
      names.push(h.name);
      s.resume();
      s.on('end', next);
    });
    await new Promise<void>((resolve, reject) => {
      extract.on('finish', resolve);
      extract.on('error', reject);
      extract.end(archive);
    });
    assert.ok(names.includes('manifest.json'));
    assert.ok(names.includes('index.json'));
    assert.ok(names.includes('oci-layout'));
    assert.ok(names.some((n) => n.startsWith('blobs/sha256/')));
  });

  test('a save the client leaves half read ends quietly: berthd keeps serving and holds no blob open', async () => {
    await importBusybox(d.client, 'cutshort:latest');
    for (let i = 0; i < 20; i++) {
      const res = await d.client.call('GET', '/images/get', { query: { names: ['cutshort'] } });
      await new Promise<void>((resolve) => res.once('data', () => resolve()));
      res.destroy();
    }
    assert.deepEqual(await d.filesHeldUnder(join(d.dataRoot, 'content')), []);
    assert.equal((await d.client.get<{ ApiVersion: string }>('/version')).ApiVersion, '1.45');
    assert.ok((await saveArchive(['cutshort'])).length > 1_000_000, 'and the next save is whole');
  });

  test('garbage input is refused and leaves the store unchanged', async () => {
    const imagesBefore = await list(undefined, true);
    const blobsBefore = await blobs();
    await assert.rejects(load(Buffer.from('this is not a tar archive at all'.repeat(40))), /invalid archive/);
    // a tar without manifest.json/index.json
    const pack = tar.pack();
    pack.entry({ name: 'hello.txt' }, 'hi');
    pack.finalize();
    await assert.rejects(load(pack as unknown as Readable), /neither manifest.json nor index.json/);
    // a docker-archive whose layer does not match the config's diff IDs
    const bad = tar.pack();
    const config = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: ['sha256:' + '0'.repeat(64)] } });
    bad.entry({ name: 'config.json' }, config);
    bad.entry({ name: 'layer.tar' }, Buffer.alloc(1024));
    bad.entry({ name: 'manifest.json' }, JSON.stringify([{ Config: 'config.json', RepoTags: ['corrupt:latest'], Layers: ['layer.tar'] }]));
    bad.finalize();
    await assert.rejects(load(bad as unknown as Readable), /invalid archive/);
    // import of a non-tar
    const res = await d.client.request('POST', '/images/create', { query: { fromSrc: '-', repo: 'notatar' }, body: Readable.from([Buffer.from('plain text, no tar here\n'.repeat(100))]) });
    assert.equal(res.statusCode, 400);
    res.resume();
    assert.deepEqual(await list(undefined, true), imagesBefore);
    assert.deepEqual(await blobs(), blobsBefore);
    // and the daemon keeps serving
    assert.equal((await d.client.get<{ ApiVersion: string }>('/version')).ApiVersion, '1.45');
  });
});

test('kill -9 during an import leaves no visible partial blob or image; the next start is clean', async () => {
  const victim = await startTestDaemon();
  try {
    const imagesBefore = await victim.client.get<Summary[]>('/images/json');
    // A slow body: the daemon is killed while it streams the tarball into the content store.
    const fixture = ensureBusyboxFixture();
    let sent = 0;
    const slow = new Readable({ read() {} });
    const src = createReadStream(fixture, { highWaterMark: 64 * 1024 });
    src.on('data', (chunk) => {
      src.pause();
      sent += chunk.length;
      slow.push(chunk);
      setTimeout(() => src.resume(), 20);
    });
    const req = victim.client.request('POST', '/images/create', { query: { fromSrc: '-', repo: 'interrupted' }, body: slow }).catch(() => undefined);
    while (sent < 512 * 1024) await new Promise((r) => setTimeout(r, 10));
    await victim.kill9();
    src.destroy();
    slow.destroy();
    await req;
    const ingest = await readdir(join(victim.dataRoot, 'content', 'ingest'));
    assert.ok(ingest.length >= 1, 'the interrupted write was in the ingest area, not under a digest');
    const visible = await readdir(join(victim.dataRoot, 'content', 'blobs', 'sha256'));
    assert.deepEqual(visible, []);
    await victim.restart();
    assert.deepEqual(await readdir(join(victim.dataRoot, 'content', 'ingest')), []);
    assert.deepEqual(await victim.client.get<Summary[]>('/images/json'), imagesBefore);
    // and a full import now works
    const id = await importBusybox(victim.client, 'interrupted:latest');
    assert.match(id, /^sha256:/);
  } finally {
    await victim.stop();
  }
});

test('the real docker CLI imports, lists, tags, saves, loads and removes', async () => {
  const env = d.dockerEnv();
  const docker = (args: string[], input?: string) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const p = spawn('docker', args, { env });
      let out = '';
      let err = '';
      p.stdout.on('data', (c: Buffer) => (out += c));
      p.stderr.on('data', (c: Buffer) => (err += c));
      p.on('exit', (code) => resolve({ code, out, err }));
      if (input !== undefined) p.stdin.end(input);
      else p.stdin.end();
    });
  const imp = await docker(['import', '-c', 'CMD ["sh"]', '-m', 'via docker', ensureBusyboxFixture(), 'dockercli:1']);
  assert.equal(imp.code, 0, imp.err);
  assert.match(imp.out, /^sha256:[a-f0-9]{64}/);
  const ls = await docker(['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', 'reference=dockercli']);
  assert.equal(ls.out.trim(), 'dockercli:1');
  assert.equal((await docker(['tag', 'dockercli:1', 'dockercli:2'])).code, 0);
  const cmd = await docker(['image', 'inspect', '-f', '{{json .Config.Cmd}}', 'dockercli:2']);
  assert.equal(cmd.out.trim(), '["sh"]');
  const hist = await docker(['history', '--format', '{{.Comment}}', 'dockercli:1']);
  assert.equal(hist.out.trim(), 'via docker');
  const tarPath = join(d.root, 'dockercli.tar');
  assert.equal((await docker(['save', '-o', tarPath, 'dockercli:1'])).code, 0);
  const id = (await docker(['image', 'inspect', '-f', '{{.Id}}', 'dockercli:1'])).out.trim();
  const rmi = await docker(['rmi', 'dockercli:1', 'dockercli:2']);
  assert.equal(rmi.code, 0, rmi.err);
  assert.match(rmi.out, /Untagged: dockercli:1/);
  assert.match(rmi.out, /Deleted: sha256:/);
  const loaded = await docker(['load', '-i', tarPath]);
  assert.equal(loaded.code, 0, loaded.err);
  assert.match(loaded.out, /Loaded image: dockercli:1/);
  assert.equal((await docker(['image', 'inspect', '-f', '{{.Id}}', 'dockercli:1'])).out.trim(), id);
  const missing = await docker(['rmi', 'nosuchimage']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.err, /No such image: nosuchimage/);
  await writeFile(join(d.root, 'garbage.tar'), 'not a tar');
  const bad = await docker(['load', '-i', join(d.root, 'garbage.tar')]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /invalid archive/);
});
