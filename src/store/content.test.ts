import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { sha256 } from '../util/digest.js';
import { ContentStore } from './content.js';

let root: string;
let store: ContentStore;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-content-'));
  store = new ContentStore(root);
  await store.init();
});
after(() => rm(root, { recursive: true, force: true }));

test('ingest stores a blob under its digest and reads it back', async () => {
  const data = Buffer.from('hello berth');
  const info = await store.ingest(Readable.from([data.subarray(0, 5), data.subarray(5)]));
  assert.equal(info.digest, sha256(data));
  assert.equal(info.size, data.length);
  assert.deepEqual(await store.readBuffer(info.digest), data);
  assert.equal(await store.has(info.digest), true);
});

test('a digest mismatch is refused and nothing becomes visible', async () => {
  const before = await store.list();
  const wrong = sha256('something else');
  await assert.rejects(store.ingest(Readable.from([Buffer.from('payload')]), { digest: wrong }), /digest mismatch/);
  assert.equal(await store.has(wrong), false);
  assert.equal(await store.has(sha256('payload')), false);
  assert.deepEqual(await store.list(), before);
  assert.deepEqual(await readdir(join(root, 'ingest')), []);
});

test('a failing source leaves no partial blob', async () => {
  const failing = new Readable({
    read() {
      this.push(Buffer.alloc(1024, 1));
      this.destroy(new Error('connection dropped'));
    },
  });
  const before = await store.list();
  await assert.rejects(store.ingest(failing), /connection dropped/);
  assert.deepEqual(await store.list(), before);
  assert.deepEqual(await readdir(join(root, 'ingest')), []);
});

test('leftover ingest files from a crash are removed on init', async () => {
  await mkdir(join(root, 'ingest'), { recursive: true });
  await writeFile(join(root, 'ingest', 'crashed-write'), 'half a layer');
  const again = new ContentStore(root);
  await again.init();
  assert.deepEqual(await readdir(join(root, 'ingest')), []);
});

test('delete removes a blob; range reads work', async () => {
  const info = await store.writeBuffer('0123456789');
  const chunks: Buffer[] = [];
  for await (const c of await store.read(info.digest, { start: 2, end: 4 })) chunks.push(c as Buffer);
  assert.equal(Buffer.concat(chunks).toString(), '234');
  assert.equal(await store.delete(info.digest), true);
  assert.equal(await store.delete(info.digest), false);
  await assert.rejects(store.readBuffer(info.digest), /not found/);
});
