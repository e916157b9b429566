import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { get, request } from 'node:http';
import { after, before, test } from 'node:test';
import { digestOf, startTestRegistry, type TestRegistry } from './helpers.js';

// Big enough for several write batches (1 MiB), the writer's 8 MiB limit and both buffer sizes of the blob sender.
const SIZE = 16 * 1024 * 1024 + 12345;
let t: TestRegistry;
let data: Buffer;
before(async () => {
  t = await startTestRegistry();
  data = randomBytes(SIZE);
});
after(async () => {
  await t?.cleanup();
});

/** Sends `body` in 64 KiB writes, the way a socket delivers it. */
function send(method: string, path: string, body: Buffer, headers: Record<string, string | number> = {}): Promise<{ status: number; headers: Record<string, unknown> }> {
  const url = new URL(path, t.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers: { 'Content-Length': body.length, ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    let off = 0;
    const pump = (): void => {
      while (off < body.length) {
        const chunk = body.subarray(off, off + 65536);
        off += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

function fetchHash(path: string, headers: Record<string, string> = {}): Promise<{ status: number; size: number; digest: string }> {
  return new Promise((resolve, reject) => {
    get(new URL(path, t.url), { headers }, (res) => {
      const h = createHash('sha256');
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        h.update(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, size, digest: `sha256:${h.digest('hex')}` }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

test('a 16 MiB streamed upload and a monolithic one store the exact bytes', async () => {
  const d = digestOf(data);
  const post = await fetch(`${t.url}/v2/big/stream/blobs/uploads/`, { method: 'POST' });
  assert.equal(post.status, 202);
  const loc = post.headers.get('location') as string;
  const patch = await send('PATCH', loc, data, { 'Content-Type': 'application/octet-stream' });
  assert.equal(patch.status, 202);
  assert.equal(patch.headers.range, `0-${SIZE - 1}`);
  const put = await fetch(new URL(`${loc}?digest=${d}`, t.url), { method: 'PUT' });
  assert.equal(put.status, 201);
  const other = Buffer.from(data);
  other[0] ^= 0xff;
  const mono = await send('POST', `/v2/big/mono/blobs/uploads/?digest=${digestOf(other)}`, other, { 'Content-Type': 'application/octet-stream' });
  assert.equal(mono.status, 201);
  assert.equal(mono.headers['docker-content-digest'], digestOf(other));
  const whole = await fetchHash(`/v2/big/stream/blobs/${d}`);
  assert.deepEqual(whole, { status: 200, size: SIZE, digest: d });
  const tail = await fetchHash(`/v2/big/mono/blobs/${digestOf(other)}`, { Range: `bytes=${SIZE - 5_000_000}-` });
  assert.deepEqual(tail, { status: 206, size: 5_000_000, digest: digestOf(other.subarray(SIZE - 5_000_000)) });
});

test('6 concurrent pulls of the big blob all get every byte', async () => {
  const d = digestOf(data);
  const results = await Promise.all(Array.from({ length: 6 }, () => fetchHash(`/v2/big/stream/blobs/${d}`)));
  for (const r of results) assert.deepEqual(r, { status: 200, size: SIZE, digest: d });
});

test('a wrong digest on a big monolithic upload is refused and nothing is stored', async () => {
  const res = await send('POST', `/v2/big/bad/blobs/uploads/?digest=${digestOf('other')}`, data, { 'Content-Type': 'application/octet-stream' });
  assert.equal(res.status, 400);
  const head = await fetch(`${t.url}/v2/big/bad/blobs/${digestOf(data)}`, { method: 'HEAD' });
  assert.equal(head.status, 404);
});
