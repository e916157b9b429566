import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { digestOf, errorCode, makeImage, OCI_INDEX, OCI_MANIFEST, pushBlob, pushImage, startTestRegistry, type TestRegistry } from './helpers.js';

let t: TestRegistry;
before(async () => {
  t = await startTestRegistry();
});
after(async () => {
  await t?.cleanup();
});

async function startSession(repo: string): Promise<string> {
  const res = await fetch(`${t.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  assert.equal(res.status, 202);
  assert.ok(res.headers.get('docker-upload-uuid'));
  const loc = res.headers.get('location');
  assert.ok(loc);
  return new URL(loc, t.url).toString();
}

function withQuery(loc: string, q: string): string {
  return loc + (loc.includes('?') ? '&' : '?') + q;
}

describe('base and errors', () => {
  test('GET /v2/ answers 200 with the API version header', async () => {
    const res = await fetch(`${t.url}/v2/`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
  });
  test('invalid repository names are NAME_INVALID', async () => {
    for (const name of ['UPPER/case', 'a//b', 'trailing-', '-lead', 'a..b']) {
      const res = await fetch(`${t.url}/v2/${name}/tags/list`);
      assert.equal(res.status, 400, name);
      assert.equal(await errorCode(res), 'NAME_INVALID');
    }
  });
  test('unknown repository tag list is NAME_UNKNOWN', async () => {
    const res = await fetch(`${t.url}/v2/nothing/here/tags/list`);
    assert.equal(res.status, 404);
    assert.equal(await errorCode(res), 'NAME_UNKNOWN');
  });
  test('unknown blob and manifest', async () => {
    const d = digestOf('nope');
    const b = await fetch(`${t.url}/v2/x/blobs/${d}`);
    assert.equal(b.status, 404);
    assert.equal(await errorCode(b), 'BLOB_UNKNOWN');
    const h = await fetch(`${t.url}/v2/x/blobs/${d}`, { method: 'HEAD' });
    assert.equal(h.status, 404);
    const m = await fetch(`${t.url}/v2/x/manifests/latest`);
    assert.equal(m.status, 404);
    assert.equal(await errorCode(m), 'MANIFEST_UNKNOWN');
    const bad = await fetch(`${t.url}/v2/x/blobs/sha256:zzz`);
    assert.equal(bad.status, 400);
    assert.equal(await errorCode(bad), 'DIGEST_INVALID');
  });
});

describe('blob uploads', () => {
  test('monolithic POST ?digest= then GET, HEAD and ranges', async () => {
    const data = randomBytes(100_000);
    const d = await pushBlob(t.url, 'blobs/mono', data);
    const head = await fetch(`${t.url}/v2/blobs/mono/blobs/${d}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(data.length));
    assert.equal(head.headers.get('docker-content-digest'), d);
    const get = await fetch(`${t.url}/v2/blobs/mono/blobs/${d}`);
    assert.deepEqual(Buffer.from(await get.arrayBuffer()), data);
    const part = await fetch(`${t.url}/v2/blobs/mono/blobs/${d}`, { headers: { Range: 'bytes=10-19' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 10-19/${data.length}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), data.subarray(10, 20));
    const tail = await fetch(`${t.url}/v2/blobs/mono/blobs/${d}`, { headers: { Range: 'bytes=-5' } });
    assert.equal(tail.status, 206);
    assert.deepEqual(Buffer.from(await tail.arrayBuffer()), data.subarray(data.length - 5));
    const bad = await fetch(`${t.url}/v2/blobs/mono/blobs/${d}`, { headers: { Range: `bytes=${data.length}-` } });
    assert.equal(bad.status, 416);
    await bad.arrayBuffer();
    // Another repository does not see it without a mount.
    const other = await fetch(`${t.url}/v2/blobs/other/blobs/${d}`);
    assert.equal(other.status, 404);
    await other.arrayBuffer();
  });

  test('monolithic POST with a wrong digest is DIGEST_INVALID', async () => {
    const res = await fetch(`${t.url}/v2/blobs/bad/blobs/uploads/?digest=${digestOf('other')}`, { method: 'POST', body: Buffer.from('data') });
    assert.equal(res.status, 400);
    assert.equal(await errorCode(res), 'DIGEST_INVALID');
  });

  test('POST then PUT with the whole body', async () => {
    const data = randomBytes(5000);
    const loc = await startSession('blobs/postput');
    const res = await fetch(withQuery(loc, `digest=${digestOf(data)}`), { method: 'PUT', body: data, headers: { 'Content-Type': 'application/octet-stream' } });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('docker-content-digest'), digestOf(data));
    assert.ok(res.headers.get('location')?.endsWith(digestOf(data)));
  });

  test('chunked upload, out-of-order chunk 416, status and resume', async () => {
    const data = randomBytes(30_000);
    let loc = await startSession('blobs/chunked');
    const chunk = async (start: number, end: number): Promise<Response> =>
      fetch(loc, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${start}-${end}` },
        body: data.subarray(start, end + 1),
      });
    const first = await chunk(0, 9999);
    assert.equal(first.status, 202);
    assert.equal(first.headers.get('range'), '0-9999');
    loc = new URL(first.headers.get('location') as string, t.url).toString();
    // Skipping ahead, or re-sending the first chunk, is refused.
    const skip = await chunk(20000, 29999);
    assert.equal(skip.status, 416);
    await skip.arrayBuffer();
    const again = await chunk(0, 9999);
    assert.equal(again.status, 416);
    await again.arrayBuffer();
    const status = await fetch(loc);
    assert.equal(status.status, 204);
    assert.equal(status.headers.get('range'), '0-9999');
    const second = await chunk(10000, 19999);
    assert.equal(second.status, 202);
    // Last chunk with the PUT.
    const put = await fetch(withQuery(loc, `digest=${digestOf(data)}`), {
      method: 'PUT',
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': '20000-29999' },
      body: data.subarray(20000),
    });
    assert.equal(put.status, 201);
    const get = await fetch(`${t.url}/v2/blobs/chunked/blobs/${digestOf(data)}`);
    assert.deepEqual(Buffer.from(await get.arrayBuffer()), data);
  });

  test('streamed PATCH without Content-Range, wrong digest on PUT, cancel', async () => {
    const data = randomBytes(4096);
    const loc = await startSession('blobs/stream');
    const p = await fetch(loc, { method: 'PATCH', body: data, headers: { 'Content-Type': 'application/octet-stream' } });
    assert.equal(p.status, 202);
    assert.equal(p.headers.get('range'), '0-4095');
    const wrong = await fetch(withQuery(loc, `digest=${digestOf('x')}`), { method: 'PUT' });
    assert.equal(wrong.status, 400);
    assert.equal(await errorCode(wrong), 'DIGEST_INVALID');
    const del = await fetch(loc, { method: 'DELETE' });
    assert.equal(del.status, 204);
    const gone = await fetch(loc);
    assert.equal(gone.status, 404);
    assert.equal(await errorCode(gone), 'BLOB_UPLOAD_UNKNOWN');
  });

  test('a truncated upload keeps what arrived and can be resumed', async () => {
    const data = randomBytes(200_000);
    const loc = await startSession('blobs/truncated');
    const url = new URL(loc);
    // Declare the whole length, send half, then drop the connection.
    await new Promise<void>((resolve) => {
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'PATCH', headers: { 'Content-Length': data.length, 'Content-Type': 'application/octet-stream' } });
      req.on('error', () => resolve());
      req.on('response', () => resolve());
      req.write(data.subarray(0, 100_000), () => setTimeout(() => req.destroy(), 100));
      req.on('close', () => resolve());
    });
    // The server may still be writing what it got; poll the status until it stops moving.
    let offset = -1;
    for (let i = 0; i < 50; i++) {
      const s = await fetch(loc);
      assert.equal(s.status, 204);
      const now = Number((s.headers.get('range') as string).split('-')[1]) + 1;
      if (now === offset) break;
      offset = now;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(offset > 0 && offset <= 100_000, `offset ${offset}`);
    const rest = await fetch(loc, { method: 'PATCH', headers: { 'Content-Range': `${offset}-${data.length - 1}` }, body: data.subarray(offset) });
    assert.equal(rest.status, 202);
    const put = await fetch(withQuery(loc, `digest=${digestOf(data)}`), { method: 'PUT' });
    assert.equal(put.status, 201);
  });

  test('cross-repository mount, automatic mount and fallback to a session', async () => {
    const data = randomBytes(1000);
    const d = await pushBlob(t.url, 'mount/src', data);
    const m = await fetch(`${t.url}/v2/mount/dst/blobs/uploads/?mount=${d}&from=mount/src`, { method: 'POST' });
    assert.equal(m.status, 201);
    assert.equal(m.headers.get('docker-content-digest'), d);
    assert.equal((await fetch(`${t.url}/v2/mount/dst/blobs/${d}`, { method: 'HEAD' })).status, 200);
    const auto = await fetch(`${t.url}/v2/mount/auto/blobs/uploads/?mount=${d}`, { method: 'POST' });
    assert.equal(auto.status, 201);
    const missing = await fetch(`${t.url}/v2/mount/dst2/blobs/uploads/?mount=${digestOf('absent')}&from=mount/src`, { method: 'POST' });
    assert.equal(missing.status, 202);
    assert.ok(missing.headers.get('location'));
  });

  test('blob DELETE unlinks it from the repository', async () => {
    const d = await pushBlob(t.url, 'blobs/del', randomBytes(100));
    const del = await fetch(`${t.url}/v2/blobs/del/blobs/${d}`, { method: 'DELETE' });
    assert.equal(del.status, 202);
    const get = await fetch(`${t.url}/v2/blobs/del/blobs/${d}`);
    assert.equal(get.status, 404);
    const again = await fetch(`${t.url}/v2/blobs/del/blobs/${d}`, { method: 'DELETE' });
    assert.equal(again.status, 404);
    assert.equal(await errorCode(again), 'BLOB_UNKNOWN');
  });

  test('concurrent pushes of the same blob both succeed and store it once', async () => {
    const data = randomBytes(2 * 1024 * 1024);
    const [a, b] = await Promise.all([pushBlob(t.url, 'same/a', data), pushBlob(t.url, 'same/b', data)]);
    assert.equal(a, b);
    const { readdir } = await import('node:fs/promises');
    const hex = a.slice(7);
    const files = await readdir(`${t.root}/blobs/sha256/${hex.slice(0, 2)}`);
    assert.equal(files.filter((f) => f === hex).length, 1);
    for (const repo of ['same/a', 'same/b']) {
      const res = await fetch(`${t.url}/v2/${repo}/blobs/${a}`);
      assert.equal(digestOf(Buffer.from(await res.arrayBuffer())), a);
    }
  });
});

describe('manifests', () => {
  test('push by tag, GET/HEAD by tag and digest, exact bytes', async () => {
    const img = makeImage();
    const put = await pushImage(t.url, 'man/basic', img, 'v1');
    assert.equal(put.status, 201);
    assert.equal(put.headers.get('docker-content-digest'), img.digest);
    for (const ref of ['v1', img.digest]) {
      const get = await fetch(`${t.url}/v2/man/basic/manifests/${ref}`, { headers: { Accept: OCI_MANIFEST } });
      assert.equal(get.status, 200);
      assert.equal(get.headers.get('content-type'), OCI_MANIFEST);
      assert.equal(get.headers.get('docker-content-digest'), img.digest);
      assert.deepEqual(Buffer.from(await get.arrayBuffer()), img.manifest);
      const head = await fetch(`${t.url}/v2/man/basic/manifests/${ref}`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), String(img.manifest.length));
    }
    // Accept without the stored type is refused.
    const neg = await fetch(`${t.url}/v2/man/basic/manifests/v1`, { headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
    assert.equal(neg.status, 404);
    await neg.arrayBuffer();
  });

  test('docker schema2 manifest and index with children', async () => {
    const img = makeImage({ mediaType: 'application/vnd.docker.distribution.manifest.v2+json' });
    const res = await fetch(`${t.url}/v2/man/docker/manifests/${img.digest}`, { method: 'PUT', body: img.manifest, headers: { 'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json' } });
    assert.equal(res.status, 400);
    assert.equal(await errorCode(res), 'MANIFEST_BLOB_UNKNOWN');
    const ok = await pushImage(t.url, 'man/docker', img, undefined, {});
    assert.equal(ok.status, 400, 'content type disagrees with mediaType');
    await pushBlob(t.url, 'man/docker', img.config);
    const put = await fetch(`${t.url}/v2/man/docker/manifests/s2`, { method: 'PUT', body: img.manifest, headers: { 'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json' } });
    assert.equal(put.status, 201);
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: img.digest, size: img.manifest.length }] }));
    const putIndex = await fetch(`${t.url}/v2/man/docker/manifests/multi`, { method: 'PUT', body: index, headers: { 'Content-Type': OCI_INDEX } });
    assert.equal(putIndex.status, 201);
    const missingChild = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: digestOf('nope'), size: 4 }] }));
    const bad = await fetch(`${t.url}/v2/man/docker/manifests/broken`, { method: 'PUT', body: missingChild, headers: { 'Content-Type': OCI_INDEX } });
    assert.equal(bad.status, 400);
    assert.equal(await errorCode(bad), 'MANIFEST_BLOB_UNKNOWN');
  });

  test('refused manifests: missing blob, invalid JSON, digest mismatch, oversized', async () => {
    const img = makeImage();
    const missing = await fetch(`${t.url}/v2/man/bad/manifests/v1`, { method: 'PUT', body: img.manifest, headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(missing.status, 400);
    assert.equal(await errorCode(missing), 'MANIFEST_BLOB_UNKNOWN');
    const junk = await fetch(`${t.url}/v2/man/bad/manifests/v1`, { method: 'PUT', body: '{not json', headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(junk.status, 400);
    assert.equal(await errorCode(junk), 'MANIFEST_INVALID');
    const mismatch = await fetch(`${t.url}/v2/man/bad/manifests/${digestOf('x')}`, { method: 'PUT', body: img.manifest, headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(mismatch.status, 400);
    assert.equal(await errorCode(mismatch), 'DIGEST_INVALID');
    const huge = Buffer.alloc(4 * 1024 * 1024 + 1, 0x20);
    const big = await fetch(`${t.url}/v2/man/bad/manifests/big`, { method: 'PUT', body: huge, headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(big.status, 413);
    assert.equal(await errorCode(big), 'MANIFEST_INVALID');
  });

  test('delete by tag and by digest', async () => {
    const img = makeImage();
    await pushImage(t.url, 'man/del', img, 'a');
    await pushImage(t.url, 'man/del', img, 'b');
    assert.equal((await fetch(`${t.url}/v2/man/del/manifests/a`, { method: 'DELETE' })).status, 202);
    assert.equal((await fetch(`${t.url}/v2/man/del/manifests/a`)).status, 404);
    assert.equal((await fetch(`${t.url}/v2/man/del/manifests/b`, { method: 'HEAD' })).status, 200);
    assert.equal((await fetch(`${t.url}/v2/man/del/manifests/${img.digest}`, { method: 'DELETE' })).status, 202);
    assert.equal((await fetch(`${t.url}/v2/man/del/manifests/b`, { method: 'HEAD' })).status, 404);
    const again = await fetch(`${t.url}/v2/man/del/manifests/${img.digest}`, { method: 'DELETE' });
    assert.equal(again.status, 404);
    assert.equal(await errorCode(again), 'MANIFEST_UNKNOWN');
  });
});

describe('listing', () => {
  test('tags in lexical order with n/last pagination and Link', async () => {
    const img = makeImage();
    const tags = ['b', 'A', 'a', 'c1', 'c0', '9'];
    for (const tag of tags) assert.equal((await pushImage(t.url, 'list/tags', img, tag)).status, 201);
    const all = (await (await fetch(`${t.url}/v2/list/tags/tags/list`)).json()) as { name: string; tags: string[] };
    assert.equal(all.name, 'list/tags');
    assert.deepEqual(all.tags, [...tags].sort());
    const p1 = await fetch(`${t.url}/v2/list/tags/tags/list?n=4`);
    assert.deepEqual(((await p1.json()) as { tags: string[] }).tags, ['9', 'A', 'a', 'b']);
    const link = p1.headers.get('link');
    assert.match(link ?? '', /<\/v2\/list\/tags\/tags\/list\?n=4&last=b>; rel="next"/);
    const next = (link as string).slice(1, (link as string).indexOf('>'));
    const p2 = await fetch(`${t.url}${next}`);
    assert.deepEqual(((await p2.json()) as { tags: string[] }).tags, ['c0', 'c1']);
    assert.equal(p2.headers.get('link'), null);
    const after = (await (await fetch(`${t.url}/v2/list/tags/tags/list?last=b`)).json()) as { tags: string[] };
    assert.deepEqual(after.tags, ['c0', 'c1']);
    const zero = (await (await fetch(`${t.url}/v2/list/tags/tags/list?n=0`)).json()) as { tags: string[] };
    assert.deepEqual(zero.tags, []);
  });

  test('_catalog with pagination', async () => {
    const res = await fetch(`${t.url}/v2/_catalog?n=2`);
    const body = (await res.json()) as { repositories: string[] };
    assert.equal(body.repositories.length, 2);
    assert.ok(res.headers.get('link'));
    const full = (await (await fetch(`${t.url}/v2/_catalog`)).json()) as { repositories: string[] };
    assert.ok(full.repositories.includes('list/tags'));
    assert.deepEqual(full.repositories, [...full.repositories].sort());
  });
});

describe('referrers', () => {
  test('manifests with a subject are listed, filtered by artifactType', async () => {
    const repo = 'ref/subject';
    const subject = makeImage();
    await pushImage(t.url, repo, subject, 'base');
    const subjectDesc = { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.manifest.length };
    const sig = makeImage({ artifactType: 'application/vnd.example.sig', subject: subjectDesc, annotations: { who: 'me' } });
    const sbom = makeImage({ artifactType: 'application/vnd.example.sbom', subject: subjectDesc });
    const r1 = await pushImage(t.url, repo, sig);
    assert.equal(r1.status, 201);
    assert.equal(r1.headers.get('oci-subject'), subject.digest);
    await pushImage(t.url, repo, sbom);
    const all = await fetch(`${t.url}/v2/${repo}/referrers/${subject.digest}`);
    assert.equal(all.status, 200);
    assert.equal(all.headers.get('content-type'), OCI_INDEX);
    const idx = (await all.json()) as { manifests: Array<{ digest: string; artifactType: string; annotations?: Record<string, string> }> };
    assert.deepEqual(idx.manifests.map((m) => m.digest).sort(), [sig.digest, sbom.digest].sort());
    assert.equal(idx.manifests.find((m) => m.digest === sig.digest)?.annotations?.who, 'me');
    const filtered = await fetch(`${t.url}/v2/${repo}/referrers/${subject.digest}?artifactType=application/vnd.example.sbom`);
    assert.equal(filtered.headers.get('oci-filters-applied'), 'artifactType');
    const fidx = (await filtered.json()) as { manifests: Array<{ digest: string }> };
    assert.deepEqual(fidx.manifests.map((m) => m.digest), [sbom.digest]);
    const none = (await (await fetch(`${t.url}/v2/${repo}/referrers/${digestOf('nothing')}`)).json()) as { manifests: unknown[] };
    assert.deepEqual(none.manifests, []);
  });

  test('a referrer may be pushed before its subject', async () => {
    const subject = makeImage();
    const sig = makeImage({ artifactType: 'application/vnd.example.sig', subject: { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.manifest.length } });
    assert.equal((await pushImage(t.url, 'ref/early', sig)).status, 201);
    const idx = (await (await fetch(`${t.url}/v2/ref/early/referrers/${subject.digest}`)).json()) as { manifests: Array<{ digest: string }> };
    assert.deepEqual(idx.manifests.map((m) => m.digest), [sig.digest]);
  });
});

describe('metrics', () => {
  test('GET /metrics exposes request counters in Prometheus format', async () => {
    const res = await fetch(`${t.url}/metrics`);
    const text = await res.text();
    assert.match(text, /berth_registry_requests_total\{method="GET",status="200"\} \d+/);
    assert.match(text, /berth_registry_bytes_received_total \d+/);
    assert.match(text, /berth_registry_upload_sessions_active \d+/);
  });
});
