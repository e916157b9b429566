import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { digestOf, makeImage, OCI_MANIFEST, pushBlob, pushImage, startTestRegistry, type TestImage, type TestRegistry } from './helpers.js';

let t: TestRegistry;
before(async () => {
  t = await startTestRegistry();
});
after(async () => {
  await t?.cleanup();
});

function blobPath(digest: string): string {
  const hex = digest.slice(7);
  return join(t.root, 'blobs/sha256', hex.slice(0, 2), hex);
}

/** Pretends every stored blob was written an hour ago. */
async function ageAllBlobs(): Promise<void> {
  const old = new Date(Date.now() - 3_600_000);
  const dir = join(t.root, 'blobs/sha256');
  for (const prefix of await readdir(dir)) {
    for (const name of await readdir(join(dir, prefix))) await utimes(join(dir, prefix, name), old, old).catch(() => undefined);
  }
}

async function assertPulls(repo: string, ref: string, img: TestImage): Promise<void> {
  const m = await fetch(`${t.url}/v2/${repo}/manifests/${ref}`, { headers: { Accept: OCI_MANIFEST } });
  assert.equal(m.status, 200, `${repo}:${ref}`);
  assert.deepEqual(Buffer.from(await m.arrayBuffer()), img.manifest);
  for (const blob of [img.config, ...img.layers]) {
    const b = await fetch(`${t.url}/v2/${repo}/blobs/${digestOf(blob)}`);
    assert.equal(b.status, 200, `${repo} blob`);
    assert.equal(digestOf(Buffer.from(await b.arrayBuffer())), digestOf(blob));
  }
}

test('GC during a push loop loses nothing, and collects garbage afterwards', async () => {
  const kept: Array<{ repo: string; tag: string; img: TestImage }> = [];
  const dropped: TestImage[] = [];
  let pushing = true;
  let gcRuns = 0;
  const gcLoop = (async () => {
    while (pushing) {
      await t.reg.gc({ gracePeriodMs: 60_000, deleteUntagged: true });
      gcRuns++;
      await new Promise((r) => setImmediate(r));
    }
  })();
  try {
    // Phase 1: ordinary pushes (fresh blobs) while GC runs back to back.
    const workers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; i < 10; i++) {
        const repo = `loop/w${w}`;
        const img = makeImage({}, 2, 2048);
        const tag = `t${i}`;
        const res = await pushImage(t.url, repo, img, tag);
        assert.equal(res.status, 201);
        if (i % 4 === 3) {
          assert.equal((await fetch(`${t.url}/v2/${repo}/manifests/${tag}`, { method: 'DELETE' })).status, 202);
          dropped.push(img);
        } else kept.push({ repo, tag, img });
      }
    });
    await Promise.all(workers);

    // Phase 2: the hard race. Every blob is old now and GC uses no grace period; new manifests
    // reference old blobs, some of them orphans GC wants to delete. A PUT may lose the race
    // (MANIFEST_BLOB_UNKNOWN), but a PUT that succeeded must never lose a blob.
    const orphans: Buffer[] = [];
    for (let i = 0; i < 12; i++) {
      const data = randomBytes(1024);
      await pushBlob(t.url, 'race/img', data);
      orphans.push(data);
    }
    await ageAllBlobs();
    pushing = false;
    await gcLoop;
    pushing = true;
    const raceLoop = (async () => {
      while (pushing) {
        await t.reg.gc({ gracePeriodMs: 0, deleteUntagged: false });
        gcRuns++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    const raced: Array<{ tag: string; img: TestImage }> = [];
    try {
      for (let i = 0; i < orphans.length; i += 2) {
        const config = orphans[i] as Buffer;
        const layer = orphans[i + 1] as Buffer;
        const manifest = Buffer.from(
          JSON.stringify({
            schemaVersion: 2,
            mediaType: OCI_MANIFEST,
            config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.length },
            layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: digestOf(layer), size: layer.length }],
          }),
        );
        const res = await fetch(`${t.url}/v2/race/img/manifests/r${i}`, { method: 'PUT', headers: { 'Content-Type': OCI_MANIFEST }, body: manifest });
        await res.arrayBuffer();
        if (res.status === 201) raced.push({ tag: `r${i}`, img: { config, layers: [layer], manifest, digest: digestOf(manifest) } });
        else assert.equal(res.status, 400);
      }
    } finally {
      pushing = false;
      await raceLoop;
    }
    assert.ok(gcRuns >= 2, `gc ran ${gcRuns} times`);
    for (const r of raced) await assertPulls('race/img', r.tag, r.img);
    for (const k of kept) await assertPulls(k.repo, k.tag, k.img);

    // Phase 3: nothing in flight, no grace: garbage goes and tagged images stay.
    const garbage = await pushBlob(t.url, 'loop/w0', randomBytes(4096));
    const result = await t.reg.gc({ gracePeriodMs: 0, deleteUntagged: true });
    const deleted = new Set<string>(result.deletedBlobs.map((b) => b.digest));
    assert.ok(deleted.has(garbage));
    assert.equal(existsSync(blobPath(garbage)), false);
    for (const img of dropped) {
      assert.ok(deleted.has(img.digest), 'untagged manifest bytes deleted');
      for (const l of img.layers) assert.equal(existsSync(blobPath(digestOf(l))), false);
    }
    assert.ok(result.bytesFreed > 0);
    for (const k of kept) await assertPulls(k.repo, k.tag, k.img);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    assert.match(metrics, /berth_registry_gc_runs_total [1-9]/);
  } finally {
    pushing = false;
    await gcLoop;
  }
});
