/**
 * The OCI distribution-spec conformance suite (opencontainers/distribution-spec `conformance/`,
 * 01_pull, 02_push, 03_discovery, 04_management, data from setup.go), ported to node:test.
 * Same workflows, same order, same data shapes, one repository shared by all four workflows as
 * in the Go suite. Where the Go suite accepts "header absent or equal", or branches on an
 * optional feature, this port requires what berth implements: the header present and equal,
 * the artifactType filter applied, automatic cross-mount enabled.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { digestOf, startTestRegistry, type TestRegistry } from './helpers.js';

const NAMESPACE = 'conformance/myrepo';
const CROSSMOUNT = `conformance-${randomUUID()}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const ERROR_CODES = [
  'BLOB_UNKNOWN',
  'BLOB_UPLOAD_INVALID',
  'BLOB_UPLOAD_UNKNOWN',
  'DIGEST_INVALID',
  'MANIFEST_BLOB_UNKNOWN',
  'MANIFEST_INVALID',
  'MANIFEST_UNKNOWN',
  'MANIFEST_UNVERIFIED',
  'NAME_INVALID',
  'NAME_UNKNOWN',
  'SIZE_INVALID',
  'TAG_INVALID',
  'UNAUTHORIZED',
  'DENIED',
  'UNSUPPORTED',
];

// ---- test data, as setup.go builds it -------------------------------------------------------

interface TestBlob {
  content: Buffer;
  digest: string;
}
const blob = (content: Buffer): TestBlob => ({ content, digest: digestOf(content) });
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v, null, '\t'));
const desc = (mediaType: string, b: TestBlob): { mediaType: string; size: number; digest: string } => ({ mediaType, size: b.content.length, digest: b.digest });

// A gzipped tarball holding test.txt, byte for byte the suite's layer.
const LAYER = blob(
  Buffer.from(
    'H4sIAAAAAAAAA+3OQQrCMBCF4a49xXgBSUnaHMCTRBptQRNpp6i3t0UEV7oqIv7fYgbmzeJpHHSjVy0' +
      'WZCa1c/MufWVe94N3RWlrZ72x3k/30nhbFWKWLPU0Dhp6keJ8im//PuU/6pZH2WVtYx8b0Sz7LjWSR5VLG6YRBumSzOlGtjkd+qD' +
      'jMWiX07Befbs7AAAAAAAAAAAAAAAAAPyzO34MnqoAKAAA',
    'base64',
  ),
);
const layerDesc = desc('application/vnd.oci.image.layer.v1.tar+gzip', LAYER);

// One config and one manifest per workflow (index 0..4), unique through a random author.
const configs: TestBlob[] = Array.from({ length: 5 }, () =>
  blob(json({ author: randomBytes(12).toString('base64url').slice(0, 16), architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } })),
);
const configDesc = (i: number): Record<string, unknown> => ({
  ...desc('application/vnd.oci.image.config.v1+json', configs[i] as TestBlob),
  data: (configs[i] as TestBlob).content.toString('base64'), // must be the config content
  newUnspecifiedField: Buffer.from('hello world').toString('base64'), // unknown fields must be kept
});
const manifests: TestBlob[] = configs.map((_, i) => blob(json({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: configDesc(i), layers: [layerDesc] })));
const manifest = (i: number): TestBlob => manifests[i] as TestBlob;
const config = (i: number): TestBlob => configs[i] as TestBlob;

// No mediaType field, no layers.
const emptyLayerManifest = blob(json({ schemaVersion: 2, config: configDesc(1), layers: [] }));
const NONEXISTENT_MANIFEST = '.INVALID_MANIFEST_NAME';
const INVALID_MANIFEST = Buffer.from('blablabla');
const DUMMY_DIGEST = digestOf('hello world');

const testBlobA = blob(randomBytes(42));
// Chunked: 42 bytes split after size/2+1.
const testBlobB = blob(randomBytes(42));
const chunk1 = testBlobB.content.subarray(0, 22);
const chunk2 = testBlobB.content.subarray(22);
const chunk1Range = `0-${chunk1.length - 1}`;
const chunk2Range = `${chunk1.length}-${testBlobB.content.length - 1}`;

// Referrers.
const emptyJSON = blob(Buffer.from('{}'));
const emptyJSONDesc = desc('application/vnd.oci.empty.v1+json', emptyJSON);
const refBlobA = blob(Buffer.from('NHL Peanut Butter on my NHL bagel'));
const refBlobB = blob(Buffer.from('NBA Strawberry Jam on my NBA croissant'));
const ARTIFACT_A = 'application/vnd.nhl.peanut.butter.bagel';
const ARTIFACT_B = 'application/vnd.nba.strawberry.jam.croissant';
const ARTIFACT_INDEX = 'application/vnd.food.stand';
const ANNOTATION = 'org.opencontainers.conformance.test';
const annotationOf = new Map<string, string>();
const subjectOf = (i: number): Record<string, unknown> => desc(OCI_MANIFEST, manifest(i));

function artifact(fields: Record<string, unknown>, annotation?: string): TestBlob {
  const b = blob(json({ schemaVersion: 2, mediaType: OCI_MANIFEST, ...fields, ...(annotation ? { annotations: { [ANNOTATION]: annotation } } : {}) }));
  if (annotation) annotationOf.set(b.digest, annotation);
  return b;
}
// config.mediaType = artifactType
const refsAConfig = artifact({ config: desc(ARTIFACT_A, refBlobA), subject: subjectOf(4), layers: [emptyJSONDesc] }, 'test config a');
const refsBConfig = artifact({ config: desc(ARTIFACT_B, refBlobB), subject: subjectOf(4), layers: [emptyJSONDesc] }, 'test config b');
// artifactType set, config = empty JSON
const refsALayer = artifact({ artifactType: ARTIFACT_A, config: emptyJSONDesc, subject: subjectOf(4), layers: [desc(ARTIFACT_A, refBlobA)] }, 'test layer a');
const refsBLayer = artifact({ artifactType: ARTIFACT_B, config: emptyJSONDesc, subject: subjectOf(4), layers: [desc(ARTIFACT_B, refBlobB)] }, 'test layer b');
// like B, but its subject (manifests[3]) is never pushed in this workflow
const refsCLayer = artifact({ artifactType: ARTIFACT_B, config: emptyJSONDesc, subject: subjectOf(3), layers: [desc(ARTIFACT_B, refBlobB)] });
const refsIndex = blob(
  json({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    artifactType: ARTIFACT_INDEX,
    manifests: [desc(OCI_MANIFEST, refsAConfig), desc(OCI_MANIFEST, refsALayer)],
    subject: subjectOf(4),
    annotations: { [ANNOTATION]: 'test index' },
  }),
);
annotationOf.set(refsIndex.digest, 'test index');

// ---- a tiny client, in the spirit of reggie -------------------------------------------------

let t: TestRegistry;

interface Req {
  name?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Buffer;
}

async function call(method: string, path: string, opts: Req = {}): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const url = new URL(path.replaceAll('<name>', opts.name ?? NAMESPACE), t.url);
  for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
  const res = await fetch(url, { method, headers: opts.headers, body: opts.body });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}
type Res = Awaited<ReturnType<typeof call>>;

/** The path (and query) of a response's Location, as reggie's GetRelativeLocation. */
function relativeLocation(res: Res): string {
  const loc = res.headers.get('location');
  assert.ok(loc, 'Location header');
  const u = new URL(loc, t.url);
  return u.pathname + u.search;
}

const is2xx = (s: number): boolean => s >= 200 && s < 300;
const assert2xx = (res: Res, what = ''): void => assert.ok(is2xx(res.status), `${what} status ${res.status}: ${res.body.toString()}`);
const assertIn = (res: Res, allowed: number[], what = ''): void => assert.ok(allowed.includes(res.status) || false, `${what} status ${res.status} not in ${allowed.join(',')}`);
/** 2xx, or the other allowed statuses. */
const assertDeleted = (res: Res, also: number[] = []): void => assert.ok(is2xx(res.status) || also.includes(res.status), `delete status ${res.status}: ${res.body.toString()}`);

/** POST a session, then PUT the whole blob to it (how the suite populates the registry). */
async function populateBlob(b: TestBlob, name = NAMESPACE): Promise<Res> {
  const post = await call('POST', '/v2/<name>/blobs/uploads/', { name });
  assert.equal(post.status, 202);
  return call('PUT', relativeLocation(post), {
    query: { digest: b.digest },
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(b.content.length) },
    body: b.content,
  });
}

function putManifest(reference: string, b: TestBlob, mediaType = OCI_MANIFEST): Promise<Res> {
  return call('PUT', `/v2/<name>/manifests/${reference}`, { headers: { 'Content-Type': mediaType }, body: b.content });
}

const deleteManifest = (reference: string): Promise<Res> => call('DELETE', `/v2/<name>/manifests/${reference}`);
const deleteBlob = (digest: string): Promise<Res> => call('DELETE', `/v2/<name>/blobs/${digest}`);
const tagsOf = (res: Res): string[] => (JSON.parse(res.body.toString()) as { tags?: string[] | null }).tags ?? [];

interface Index {
  mediaType?: string;
  manifests: Array<{ digest: string; artifactType?: string; annotations?: Record<string, string> }>;
}

before(async () => {
  t = await startTestRegistry();
});
after(async () => {
  await t?.cleanup();
});

// ---- 01 pull --------------------------------------------------------------------------------

describe('Pull', () => {
  const tag = 'tagtest0';
  describe('Setup', () => {
    test('Populate registry with test blob (config[0])', async () => assert2xx(await populateBlob(config(0))));
    test('Populate registry with test blob (config[1])', async () => assert2xx(await populateBlob(config(1))));
    test('Populate registry with test layer', async () => assert2xx(await populateBlob(LAYER)));
    test('Populate registry with test manifest (tag)', async () => assert2xx(await putManifest(tag, manifest(0))));
    test('Populate registry with test manifest (digest)', async () => assert2xx(await putManifest(manifest(1).digest, manifest(1))));
  });

  describe('Pull blobs', () => {
    test('HEAD request to nonexistent blob should result in 404 response', async () => {
      assert.equal((await call('HEAD', `/v2/<name>/blobs/${DUMMY_DIGEST}`)).status, 404);
    });
    test('HEAD request to existing blob should yield 200', async () => {
      const res = await call('HEAD', `/v2/<name>/blobs/${config(0).digest}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('docker-content-digest'), config(0).digest);
    });
    test('GET nonexistent blob should result in 404 response', async () => {
      assert.equal((await call('GET', `/v2/<name>/blobs/${DUMMY_DIGEST}`)).status, 404);
    });
    test('GET request to existing blob URL should yield 200', async () => {
      const res = await call('GET', `/v2/<name>/blobs/${config(0).digest}`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, config(0).content);
    });
  });

  describe('Pull manifests', () => {
    const accept = { Accept: OCI_MANIFEST };
    test('HEAD request to nonexistent manifest should return 404', async () => {
      assert.equal((await call('HEAD', `/v2/<name>/manifests/${NONEXISTENT_MANIFEST}`)).status, 404);
    });
    for (const i of [0, 1]) {
      test(`HEAD request to manifest[${i}] path (digest) should yield 200 response`, async () => {
        const res = await call('HEAD', `/v2/<name>/manifests/${manifest(i).digest}`, { headers: accept });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('docker-content-digest'), manifest(i).digest);
      });
    }
    test('HEAD request to manifest path (tag) should yield 200 response', async () => {
      const res = await call('HEAD', `/v2/<name>/manifests/${tag}`, { headers: accept });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('docker-content-digest'), manifest(0).digest);
    });
    test('GET nonexistent manifest should return 404', async () => {
      assert.equal((await call('GET', `/v2/<name>/manifests/${NONEXISTENT_MANIFEST}`)).status, 404);
    });
    for (const i of [0, 1]) {
      test(`GET request to manifest[${i}] path (digest) should yield 200 response`, async () => {
        const res = await call('GET', `/v2/<name>/manifests/${manifest(i).digest}`, { headers: accept });
        assert.equal(res.status, 200);
        assert.deepEqual(res.body, manifest(i).content);
      });
    }
    test('GET request to manifest path (tag) should yield 200 response', async () => {
      const res = await call('GET', `/v2/<name>/manifests/${tag}`, { headers: accept });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, manifest(0).content);
    });
  });

  describe('Error codes', () => {
    test('400 response body should contain OCI-conforming JSON message', async () => {
      const res = await call('GET', '/v2/<name>/manifests/sha256:totallywrong', { headers: { 'Content-Type': OCI_MANIFEST } });
      assertIn(res, [400, 404]);
      // berth answers 400 DIGEST_INVALID; the suite checks the body whenever it is a 400.
      assert.equal(res.status, 400);
      const errors = (JSON.parse(res.body.toString()) as { errors: Array<{ code: string }> }).errors;
      assert.ok(errors.length > 0);
      assert.ok(ERROR_CODES.includes(errors[0]?.code as string), errors[0]?.code);
    });
  });

  describe('Teardown', () => {
    test('Delete manifest[0] and manifest[1] created in setup', async () => {
      for (const i of [0, 1]) assertDeleted(await deleteManifest(manifest(i).digest), [405]);
    });
    test('Delete config[0], config[1] and layer blobs created in setup', async () => {
      for (const d of [config(0).digest, config(1).digest, LAYER.digest]) assertDeleted(await deleteBlob(d), [404, 405]);
    });
  });
});

// ---- 02 push --------------------------------------------------------------------------------

describe('Push', () => {
  let last: Res | undefined;
  let prev: Res | undefined;
  let emptyLayerRef = '';

  describe('Blob Upload Streamed', () => {
    test('PATCH request with blob in body should yield 202 response', async () => {
      const post = await call('POST', '/v2/<name>/blobs/uploads/');
      assert.ok(post.headers.get('location'));
      const res = await call('PATCH', relativeLocation(post), { headers: { 'Content-Type': 'application/octet-stream' }, body: testBlobA.content });
      assert.equal(res.status, 202);
      last = res;
    });
    test('PUT request to session URL with digest should yield 201 response', async () => {
      assert.ok(last);
      const res = await call('PUT', relativeLocation(last), { query: { digest: testBlobA.digest }, headers: { 'Content-Type': 'application/octet-stream' } });
      assert.equal(res.status, 201);
      assert.ok(res.headers.get('location'));
    });
  });

  describe('Blob Upload Monolithic', () => {
    test('GET nonexistent blob should result in 404 response', async () => {
      assert.equal((await call('GET', `/v2/<name>/blobs/${DUMMY_DIGEST}`)).status, 404);
    });
    test('POST request with digest and blob should yield a 201 or 202', async () => {
      const res = await call('POST', '/v2/<name>/blobs/uploads/', {
        query: { digest: config(1).digest },
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(config(1).content.length) },
        body: config(1).content,
      });
      assert.ok(res.headers.get('location'));
      assertIn(res, [201, 202]);
      last = res;
    });
    test('GET request to blob URL from prior request should yield 200 or 404 based on response code', async () => {
      assert.ok(last);
      const res = await call('GET', `/v2/<name>/blobs/${config(1).digest}`);
      assert.equal(res.status, last.status === 202 ? 404 : 200);
    });
    test('POST request should yield a session ID', async () => {
      const res = await call('POST', '/v2/<name>/blobs/uploads/');
      assert.equal(res.status, 202);
      assert.ok(res.headers.get('location'));
      last = res;
    });
    test('PUT upload of a blob should yield a 201 Response', async () => {
      assert.ok(last);
      const res = await call('PUT', relativeLocation(last), {
        query: { digest: config(1).digest },
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(config(1).content.length) },
        body: config(1).content,
      });
      assert.ok(res.headers.get('location'));
      assert.equal(res.status, 201);
    });
    test('GET request to existing blob should yield 200 response', async () => {
      assert.equal((await call('GET', `/v2/<name>/blobs/${config(1).digest}`)).status, 200);
    });
    test('PUT upload of a layer blob should yield a 201 Response', async () => {
      const res = await populateBlob(LAYER);
      assert.ok(res.headers.get('location'));
      assert.equal(res.status, 201);
    });
    test('GET request to existing layer should yield 200 response', async () => {
      assert.equal((await call('GET', `/v2/<name>/blobs/${LAYER.digest}`)).status, 200);
    });
  });

  describe('Blob Upload Chunked', () => {
    const chunkHeaders = (c: Buffer, range: string): Record<string, string> => ({
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(c.length),
      'Content-Range': range,
    });
    test('Out-of-order blob upload should return 416', async () => {
      const post = await call('POST', '/v2/<name>/blobs/uploads/', { headers: { 'Content-Length': '0' } });
      assert.ok(post.headers.get('location'));
      // The suite rebuilds its chunks when OCI-Chunk-Min-Length exceeds them; ours is 0.
      assert.ok(Number(post.headers.get('oci-chunk-min-length') ?? 0) <= chunk1.length);
      const res = await call('PATCH', relativeLocation(post), { headers: chunkHeaders(chunk2, chunk2Range), body: chunk2 });
      assert.equal(res.status, 416);
    });
    test('PATCH request with first chunk should return 202', async () => {
      const post = await call('POST', '/v2/<name>/blobs/uploads/', { headers: { 'Content-Length': '0' } });
      assert.ok(post.headers.get('location'));
      prev = post;
      const res = await call('PATCH', relativeLocation(post), { headers: chunkHeaders(chunk1, chunk1Range), body: chunk1 });
      assert.equal(res.status, 202);
      assert.equal(res.headers.get('range'), chunk1Range);
      last = res;
    });
    test('Retry previous blob chunk should return 416', async () => {
      assert.ok(prev);
      const res = await call('PATCH', relativeLocation(prev), { headers: chunkHeaders(chunk1, chunk1Range), body: chunk1 });
      assert.equal(res.status, 416);
    });
    test('Get on stale blob upload should return 204 with a range and location', async () => {
      assert.ok(prev);
      const res = await call('GET', relativeLocation(prev));
      assert.equal(res.status, 204);
      assert.ok(res.headers.get('location'));
      assert.equal(res.headers.get('range'), chunk1Range);
      last = res;
    });
    test('PATCH request with second chunk should return 202', async () => {
      assert.ok(last);
      const res = await call('PATCH', relativeLocation(last), { headers: chunkHeaders(chunk2, chunk2Range), body: chunk2 });
      assert.equal(res.status, 202);
      assert.equal(res.headers.get('range'), `0-${testBlobB.content.length - 1}`);
      assert.ok(res.headers.get('location'));
      last = res;
    });
    test('PUT request with digest should return 201', async () => {
      assert.ok(last);
      const res = await call('PUT', relativeLocation(last), {
        query: { digest: testBlobB.digest },
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': '0' },
      });
      assert.equal(res.status, 201);
      assert.ok(res.headers.get('location'));
      const got = await call('GET', `/v2/<name>/blobs/${testBlobB.digest}`);
      assert.deepEqual(got.body, testBlobB.content);
    });
  });

  describe('Cross-Repository Blob Mount', () => {
    test('Cross-mounting of a blob without the from argument should yield session id', async () => {
      const res = await call('POST', '/v2/<name>/blobs/uploads/', { name: CROSSMOUNT, query: { mount: DUMMY_DIGEST } });
      assert.equal(res.status, 202);
      assert.ok(res.headers.get('location'));
    });
    test("POST request to mount another repository's blob should return 201 or 202", async () => {
      const res = await call('POST', '/v2/<name>/blobs/uploads/', { name: CROSSMOUNT, query: { mount: testBlobA.digest, from: NAMESPACE } });
      assertIn(res, [201, 202]);
      // berth mounts it.
      assert.equal(res.status, 201);
      last = res;
    });
    test('GET request to test digest within cross-mount namespace should return 200', async () => {
      assert.ok(last && last.status === 201);
      assert.equal(relativeLocation(last), `/v2/${CROSSMOUNT}/blobs/${testBlobA.digest}`);
      assert.equal(last.headers.get('docker-content-digest'), testBlobA.digest);
      const res = await call('GET', relativeLocation(last));
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, testBlobA.content);
    });
    test('Cross-mounting of nonexistent blob should yield session id', async () => {
      const res = await call('POST', '/v2/<name>/blobs/uploads/', { name: CROSSMOUNT, query: { mount: DUMMY_DIGEST, from: NAMESPACE } });
      assert.equal(res.status, 202);
      assert.ok(relativeLocation(res).startsWith(`/v2/${CROSSMOUNT}/blobs/uploads/`));
    });
    test('Cross-mounting without from, and automatic content discovery enabled should return a 201', async () => {
      const other = `${CROSSMOUNT}-auto`;
      const res = await call('POST', '/v2/<name>/blobs/uploads/', { name: other, query: { mount: testBlobA.digest } });
      assert.equal(res.status, 201);
      assert.equal((await call('GET', `/v2/${other}/blobs/${testBlobA.digest}`)).status, 200);
    });
  });

  describe('Manifest Upload', () => {
    test('GET nonexistent manifest should return 404', async () => {
      assert.equal((await call('GET', `/v2/<name>/manifests/${NONEXISTENT_MANIFEST}`)).status, 404);
    });
    test('PUT should accept a manifest upload', async () => {
      for (let i = 0; i < 4; i++) {
        const res = await putManifest(`test${i}`, manifest(1));
        assert.ok(res.headers.get('location'));
        assert.equal(res.status, 201);
        assert.equal(res.headers.get('docker-content-digest'), manifest(1).digest);
      }
    });
    test('Registry should accept a manifest upload with no layers', async () => {
      const res = await putManifest('emptylayer', emptyLayerManifest);
      assert.equal(res.status, 201);
      emptyLayerRef = res.headers.get('location') ?? '';
      assert.ok(emptyLayerRef);
    });
    test('GET request to manifest URL (digest) should yield 200 response', async () => {
      const res = await call('GET', `/v2/<name>/manifests/${manifest(1).digest}`, { headers: { Accept: OCI_MANIFEST } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), OCI_MANIFEST);
    });
  });

  describe('Teardown', () => {
    test('Delete manifest created in tests', async () => {
      assertDeleted(await deleteManifest(manifest(1).digest), [405]);
      assert.ok(emptyLayerRef);
      assertDeleted(await deleteManifest(emptyLayerManifest.digest), [405]);
    });
    test('Delete config blob created in tests', async () => assertDeleted(await deleteBlob(config(1).digest), [404, 405]));
    test('Delete layer blob created in setup', async () => assertDeleted(await deleteBlob(LAYER.digest), [404, 405]));
  });
});

// ---- 03 content discovery -------------------------------------------------------------------

describe('Content Discovery', () => {
  let numTags = 4;
  let tagList: string[] = [];

  describe('Setup', () => {
    test('Populate registry with test blob', async () => assert2xx(await populateBlob(config(2))));
    test('Populate registry with test layer', async () => assert2xx(await populateBlob(LAYER)));
    test('Populate registry with test tags', async () => {
      for (let i = 0; i < numTags; i++) {
        for (const tag of [`test${i}`, `TEST${i}`]) assert2xx(await putManifest(tag, manifest(2)), tag);
      }
      const res = await call('GET', '/v2/<name>/tags/list');
      tagList = tagsOf(res);
      assert.equal(tagList.length, 8);
    });
    test('References setup', async () => {
      assert.equal(emptyJSON.digest, 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
      assert2xx(await populateBlob(emptyJSON));
      // reference blob before the image manifest is pushed
      assert2xx(await populateBlob(refBlobA));
      for (const [ref, type] of [
        [refsAConfig, OCI_MANIFEST],
        [refsALayer, OCI_MANIFEST],
        [refsIndex, OCI_INDEX],
      ] as const) {
        const res = await putManifest(ref.digest, ref, type);
        assert2xx(res);
        assert.equal(res.headers.get('oci-subject'), manifest(4).digest);
      }
      assert2xx(await populateBlob(config(4)));
      assert2xx(await populateBlob(LAYER));
      assert2xx(await putManifest('tagtest0', manifest(4)));
      // reference blob after the image manifest is pushed
      assert2xx(await populateBlob(refBlobB));
      for (const ref of [refsBConfig, refsBLayer]) {
        const res = await putManifest(ref.digest, ref);
        assert2xx(res);
        assert.equal(res.headers.get('oci-subject'), manifest(4).digest);
      }
      // a referrer to a subject that does not exist
      const res = await putManifest(refsCLayer.digest, refsCLayer);
      assert2xx(res);
      assert.equal(res.headers.get('oci-subject'), manifest(3).digest);
    });
  });

  describe('Test content discovery endpoints (listing tags)', () => {
    test('GET request to list tags should yield 200 response and be in sorted order', async () => {
      const res = await call('GET', '/v2/<name>/tags/list');
      assert.equal(res.status, 200);
      tagList = tagsOf(res);
      numTags = tagList.length;
      assert.equal(numTags, 9);
      const lexical = [...tagList].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0));
      const asciibetical = [...tagList].sort();
      assert.ok(JSON.stringify(tagList) === JSON.stringify(lexical) || JSON.stringify(tagList) === JSON.stringify(asciibetical), tagList.join(','));
    });
    test('GET number of tags should be limitable by `n` query parameter', async () => {
      const n = Math.floor(numTags / 2);
      const res = await call('GET', '/v2/<name>/tags/list', { query: { n: String(n) } });
      assert.equal(res.status, 200);
      tagList = tagsOf(res);
      assert.equal(tagList.length, n);
      // More remain: a Link to the next page (the spec's RFC 5988 header).
      const link = res.headers.get('link');
      assert.ok(link);
      const m = /^<([^>]+)>;\s*rel="next"$/.exec(link);
      assert.ok(m, link);
      const next = await call('GET', m[1] as string);
      assert.equal(next.status, 200);
      assert.equal(tagsOf(next)[0] > (tagList[n - 1] as string), true);
    });
    test('GET start of tag is set by `last` query parameter', async () => {
      const n = Math.floor(numTags / 2);
      const first = await call('GET', '/v2/<name>/tags/list', { query: { n: String(n) } });
      assert.equal(first.status, 200);
      tagList = tagsOf(first);
      const last = tagList[n - 1] as string;
      const res = await call('GET', '/v2/<name>/tags/list', { query: { n: String(n), last } });
      assert.equal(res.status, 200);
      tagList = tagsOf(res);
      assert.ok(tagList.length <= n);
      assert.ok(tagList.length > 0);
      assert.ok(!tagList.includes(last));
    });
  });

  describe('Test content discovery endpoints (listing references)', () => {
    const checkAnnotations = (index: Index): void => {
      for (const m of index.manifests) {
        assert.equal(Object.keys(m.annotations ?? {}).length, 1, m.digest);
        assert.equal(m.annotations?.[ANNOTATION], annotationOf.get(m.digest));
      }
    };
    test('GET request to nonexistent blob should result in empty 200 response', async () => {
      const res = await call('GET', `/v2/<name>/referrers/${DUMMY_DIGEST}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), OCI_INDEX);
      assert.equal((JSON.parse(res.body.toString()) as Index).manifests.length, 0);
    });
    test('GET request to existing blob should yield 200', async () => {
      const res = await call('GET', `/v2/<name>/referrers/${manifest(4).digest}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), OCI_INDEX);
      const index = JSON.parse(res.body.toString()) as Index;
      assert.equal(index.manifests.length, 5);
      assert.notEqual(index.manifests[0]?.digest, index.manifests[1]?.digest);
      checkAnnotations(index);
      assert.deepEqual(new Set(index.manifests.map((m) => m.digest)), new Set([refsAConfig, refsALayer, refsIndex, refsBConfig, refsBLayer].map((r) => r.digest)));
    });
    test('GET request to existing blob with filter should yield 200', async () => {
      const res = await call('GET', `/v2/<name>/referrers/${manifest(4).digest}`, { query: { artifactType: ARTIFACT_A } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), OCI_INDEX);
      // berth implements filtering: the header must be there and the list filtered.
      assert.equal(res.headers.get('oci-filters-applied'), 'artifactType');
      const index = JSON.parse(res.body.toString()) as Index;
      assert.equal(index.manifests.length, 2);
      checkAnnotations(index);
      for (const m of index.manifests) assert.equal(m.artifactType, ARTIFACT_A);
    });
    test('GET request to missing manifest should yield 200', async () => {
      const res = await call('GET', `/v2/<name>/referrers/${manifest(3).digest}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), OCI_INDEX);
      const index = JSON.parse(res.body.toString()) as Index;
      assert.equal(index.manifests.length, 1);
      assert.equal(index.manifests[0]?.digest, refsCLayer.digest);
    });
  });

  describe('Teardown', () => {
    test('Delete created manifest & associated tags', async () => {
      for (const ref of [refsIndex, manifest(2), manifest(4), refsAConfig, refsALayer, refsBConfig, refsBLayer, refsCLayer]) {
        assertDeleted(await deleteManifest(ref.digest), [404, 405]);
      }
    });
    test('Delete config blob created in tests', async () => assertDeleted(await deleteBlob(config(2).digest), [404, 405]));
    test('Delete layer blob created in setup', async () => assertDeleted(await deleteBlob(LAYER.digest), [404, 405]));
    test('References teardown', async () => {
      for (const ref of [refsIndex, refsAConfig, refsALayer, manifest(4), refsBConfig, refsBLayer]) assertDeleted(await deleteManifest(ref.digest), [404, 405]);
      for (const d of [config(4).digest, refBlobA.digest, refBlobB.digest, emptyJSON.digest]) assertDeleted(await deleteBlob(d), [404, 405]);
    });
  });
});

// ---- 04 content management ------------------------------------------------------------------

describe('Content Management', () => {
  const tagToDelete = 'tagtest0';
  let numTags = 0;

  describe('Setup', () => {
    test('Populate registry with test config blob', async () => assert2xx(await populateBlob(config(3))));
    test('Populate registry with test layer', async () => assert2xx(await populateBlob(LAYER)));
    test('Populate registry with test tag', async () => assert2xx(await putManifest(tagToDelete, manifest(3))));
    test('Check how many tags there are before anything gets deleted', async () => {
      const res = await call('GET', '/v2/<name>/tags/list');
      assert.equal(res.status, 200);
      numTags = tagsOf(res).length;
      assert.ok(numTags >= 1);
    });
  });

  describe('Manifest delete', () => {
    test('DELETE request to manifest tag should return 202, unless tag deletion is disallowed (400/405)', async () => {
      const res = await deleteManifest(tagToDelete);
      assertIn(res, [400, 202, 405]);
      assert.equal(res.status, 202); // berth deletes tags
    });
    test('DELETE request to manifest (digest) should yield 202 response unless already deleted', async () => {
      const res = await deleteManifest(manifest(3).digest);
      assertIn(res, [202, 404]);
      assert.equal(res.status, 202); // deleting the tag left the manifest in place
    });
    test('GET request to deleted manifest URL should yield 404 response, unless delete is disallowed', async () => {
      const res = await call('GET', `/v2/<name>/manifests/${manifest(3).digest}`);
      assert.equal(res.status, 404);
      assert.equal((JSON.parse(res.body.toString()) as { errors: Array<{ code: string }> }).errors[0]?.code, 'MANIFEST_UNKNOWN');
    });
    test('GET request to tags list should reflect manifest deletion', async () => {
      const res = await call('GET', '/v2/<name>/tags/list');
      assertIn(res, [200, 404]);
      if (res.status === 200) assert.equal(tagsOf(res).length, numTags - 1);
      else assert.equal(numTags - 1, 0);
    });
  });

  describe('Blob delete', () => {
    test('DELETE request to blob URL should yield 202 response', async () => {
      for (const d of [config(3).digest, LAYER.digest]) {
        const res = await deleteBlob(d);
        assert.equal(res.status, 202);
        assert.equal(res.headers.get('docker-content-digest'), d);
      }
    });
    test('GET request to deleted blob URL should yield 404 response', async () => {
      const res = await call('GET', `/v2/<name>/blobs/${config(3).digest}`);
      assert.equal(res.status, 404);
      assert.equal((JSON.parse(res.body.toString()) as { errors: Array<{ code: string }> }).errors[0]?.code, 'BLOB_UNKNOWN');
    });
  });
});

// ---- checks of the redesigned suite (distribution-spec main, conformance/run.go) ------------

describe('Newer suite checks', () => {
  const repo = 'conformance/newer';
  const body = randomBytes(4096);
  const bd = digestOf(body);
  const push = async (b: Buffer): Promise<void> => assert2xx(await populateBlob(blob(b), repo), 'blob');
  const put = (ref: string, b: Buffer, mediaType = OCI_MANIFEST, query: Record<string, string> | URLSearchParams = {}): Promise<Res> => {
    const u = new URL(`/v2/${repo}/manifests/${ref}`, t.url);
    for (const [k, v] of query instanceof URLSearchParams ? query : Object.entries(query)) u.searchParams.append(k, v);
    return call('PUT', u.pathname + u.search, { headers: { 'Content-Type': mediaType }, body: b });
  };

  test('blob GET with ranges', async () => {
    const r = await call('POST', `/v2/${repo}/blobs/uploads/`, { query: { digest: bd }, headers: { 'Content-Type': 'application/octet-stream' }, body });
    assert.equal(r.status, 201);
    const cases: Array<[string, number, Buffer | undefined, string | undefined]> = [
      ['bytes=500-1499', 206, body.subarray(500, 1500), 'bytes 500-1499/4096'],
      ['bytes=500-', 206, body.subarray(500), 'bytes 500-4095/4096'],
      ['bytes=-500', 206, body.subarray(4096 - 500), 'bytes 3596-4095/4096'],
      ['bytes=2000-5000', 206, body.subarray(2000), 'bytes 2000-4095/4096'],
      ['bytes=500-0', 416, undefined, undefined],
      ['bytes=5000-10000', 416, undefined, undefined],
    ];
    for (const [range, status, want, contentRange] of cases) {
      const res = await call('GET', `/v2/${repo}/blobs/${bd}`, { headers: { Range: range } });
      assert.equal(res.status, status, range);
      if (want) {
        assert.deepEqual(res.body, want, range);
        assert.equal(res.headers.get('content-length'), String(want.length));
        assert.equal(res.headers.get('content-range'), contentRange);
      }
    }
    const whole = await call('GET', `/v2/${repo}/blobs/${bd}`);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('content-length'), '4096');
    assert.deepEqual(whole.body, body);
  });

  test('chunked upload whose last chunk comes with the PUT', async () => {
    const data = randomBytes(3000);
    const post = await call('POST', `/v2/${repo}/blobs/uploads/`, { headers: { 'Content-Length': '0' } });
    assert.equal(post.status, 202);
    const patch = await call('PATCH', relativeLocation(post), { headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': '0-999' }, body: data.subarray(0, 1000) });
    assert.equal(patch.status, 202);
    assert.equal(patch.headers.get('range'), '0-999');
    const putRes = await call('PUT', relativeLocation(patch), {
      query: { digest: digestOf(data) },
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': '1000-2999' },
      body: data.subarray(1000),
    });
    assert.equal(putRes.status, 201);
    assert.equal(putRes.headers.get('docker-content-digest'), digestOf(data));
    assert.deepEqual((await call('GET', `/v2/${repo}/blobs/${digestOf(data)}`)).body, data);
  });

  test('push by digest with tag parameters answers OCI-Tag and sets every tag', async () => {
    await push(config(0).content);
    await push(LAYER.content);
    const res = await put(manifest(0).digest, manifest(0).content, OCI_MANIFEST, new URLSearchParams([['tag', '1.2.3'], ['tag', '1.2'], ['tag', 'latest']]));
    assert.equal(res.status, 201);
    assert.deepEqual((res.headers.get('oci-tag') ?? '').split(/,\s*/), ['1.2.3', '1.2', 'latest']);
    for (const tag of ['1.2.3', '1.2', 'latest']) {
      const got = await call('HEAD', `/v2/${repo}/manifests/${tag}`, { headers: { Accept: OCI_MANIFEST } });
      assert.equal(got.status, 200, tag);
      assert.equal(got.headers.get('docker-content-digest'), manifest(0).digest);
    }
    const bad = await put(manifest(0).digest, manifest(0).content, OCI_MANIFEST, { tag: '-bad' });
    assert.equal(bad.status, 400);
    assert.equal((JSON.parse(bad.body.toString()) as { errors: Array<{ code: string }> }).errors[0]?.code, 'TAG_INVALID');
  });

  test('empty index, nested index, manifest without layers', async () => {
    const empty = blob(json({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] }));
    assert.equal((await put(empty.digest, empty.content, OCI_INDEX)).status, 201);
    const inner = blob(json({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [desc(OCI_MANIFEST, manifest(0))] }));
    assert.equal((await put(inner.digest, inner.content, OCI_INDEX)).status, 201);
    const outer = blob(json({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [desc(OCI_INDEX, inner), desc(OCI_INDEX, empty)] }));
    assert.equal((await put('nested', outer.content, OCI_INDEX)).status, 201);
    const got = await call('GET', `/v2/${repo}/manifests/nested`, { headers: { Accept: OCI_INDEX } });
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('content-type'), OCI_INDEX);
    assert.deepEqual(got.body, outer.content);
    // An artifact without layers (the empty descriptor as config).
    await push(emptyJSON.content);
    const noLayers = blob(json({ schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: 'application/vnd.example+type', config: emptyJSONDesc, layers: [] }));
    assert.equal((await put(noLayers.digest, noLayers.content)).status, 201);
  });

  test('refused manifests: digest that does not match, blob that is not there', async () => {
    const res = await put(DUMMY_DIGEST, manifest(0).content);
    assert.equal(res.status, 400);
    assert.equal((JSON.parse(res.body.toString()) as { errors: Array<{ code: string }> }).errors[0]?.code, 'DIGEST_INVALID');
    const missing = blob(json({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: desc('application/vnd.oci.image.config.v1+json', blob(randomBytes(10))), layers: [] }));
    const res2 = await put('missing', missing.content);
    assert.equal(res2.status, 400);
    assert.equal((JSON.parse(res2.body.toString()) as { errors: Array<{ code: string }> }).errors[0]?.code, 'MANIFEST_BLOB_UNKNOWN');
  });
});
