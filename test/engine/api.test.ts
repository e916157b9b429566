import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

let d: TestDaemon;
before(async () => {
  d = await startTestDaemon();
});
after(() => d.stop());

async function raw(method: string, path: string, body?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  // BerthClient always adds its version prefix; raw paths go through node:http directly.
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: d.socket, method, path, headers: body ? { 'Content-Type': 'application/json' } : {} }, (r) => {
      let text = '';
      r.on('data', (c: Buffer) => (text += c.toString()));
      r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('GET and HEAD /_ping carry the negotiation headers', async () => {
  for (const method of ['GET', 'HEAD']) {
    const r = await raw(method, '/_ping');
    assert.equal(r.status, 200);
    assert.equal(r.headers['api-version'], '1.45');
    assert.equal(r.headers['ostype'], 'linux');
    assert.equal(r.headers['docker-experimental'], 'false');
    assert.equal(r.text, method === 'GET' ? 'OK' : '');
  }
});

test('/version advertises API >= 1.44 and min 1.24, on bare and versioned paths', async () => {
  for (const path of ['/version', '/v1.44/version', '/v1.24/version']) {
    const r = await raw('GET', path);
    assert.equal(r.status, 200, path);
    const v = JSON.parse(r.text) as { ApiVersion: string; MinAPIVersion: string; Os: string };
    assert.equal(v.ApiVersion, '1.45');
    assert.equal(v.MinAPIVersion, '1.24');
    assert.equal(v.Os, 'linux');
  }
});

test('versions outside [1.24, 1.45] are refused with Docker messages', async () => {
  const tooNew = await raw('GET', '/v1.99/version');
  assert.equal(tooNew.status, 400);
  assert.match(JSON.parse(tooNew.text).message, /client version 1.99 is too new/);
  const tooOld = await raw('GET', '/v1.12/version');
  assert.equal(tooOld.status, 400);
  assert.match(JSON.parse(tooOld.text).message, /client version 1.12 is too old. Minimum supported API version is 1.24/);
});

test('unknown paths give a JSON 404', async () => {
  const r = await raw('GET', '/v1.45/no/such/thing');
  assert.equal(r.status, 404);
  assert.equal(r.headers['content-type'], 'application/json');
  assert.equal(JSON.parse(r.text).message, 'page not found');
});

test('/info describes this daemon', async () => {
  const info = await d.client.get<Record<string, unknown>>('/info');
  assert.equal(info.DockerRootDir, d.dataRoot);
  assert.equal(info.OSType, 'linux');
  assert.equal(info.Driver, 'overlay2');
  assert.equal(typeof info.NCPU, 'number');
  assert.equal(info.Images, 0);
});

test('invalid filters and query values are 400s that say what is wrong', async () => {
  const badJson = await raw('GET', '/images/json?filters=%7Bnot-json');
  assert.equal(badJson.status, 400);
  assert.match(JSON.parse(badJson.text).message, /invalid filters/);
  const badKey = await raw('GET', '/images/json?filters=' + encodeURIComponent(JSON.stringify({ colour: ['red'] })));
  assert.equal(badKey.status, 400);
  assert.equal(JSON.parse(badKey.text).message, "invalid filter 'colour'");
  const badBool = await raw('GET', '/images/json?all=maybe');
  assert.equal(badBool.status, 400);
  assert.match(JSON.parse(badBool.text).message, /invalid boolean value for all/);
  const badName = await raw('POST', '/images/busybox/tag?repo=Bad%20Name');
  assert.equal(badName.status, 404); // source image does not exist: checked first, like Docker
});
