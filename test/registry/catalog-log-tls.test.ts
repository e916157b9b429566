import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { htpasswdLine } from '../../src/registry/auth/htpasswd.js';
import type { AccessEntry } from '../../src/registry/server/access-log.js';
import { digestOf, makeImage, pushBlob, pushImage, startTestRegistry } from './helpers.js';

const run = promisify(execFile);
let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'berth-registry-misc-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

const basic = (user: string, pw: string): Record<string, string> => ({ Authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}` });

const RULES = [
  { user: 'alice', repository: '**', actions: ['pull', 'push', 'delete'] as Array<'pull' | 'push' | 'delete'> },
  { user: 'bob', repository: 'team-b/**', actions: ['pull', 'push'] as Array<'pull' | 'push' | 'delete'> },
  { user: '+', repository: 'shared/*', actions: ['pull'] as Array<'pull' | 'push' | 'delete'> },
];
const REPOS = ['shared/base', 'team-a/app', 'team-a/db', 'team-b/api', 'team-b/web'];

describe('per-user _catalog', () => {
  test('Basic auth: each user lists only the repositories they may pull, pages stay full', async () => {
    const htpasswd = join(work, 'htpasswd-basic');
    await writeFile(htpasswd, `${htpasswdLine('alice', 'a')}\n${htpasswdLine('bob', 'b')}\n`);
    const t = await startTestRegistry({ htpasswd, rules: RULES });
    try {
      for (const repo of REPOS) assert.equal((await pushImage(t.url, repo, makeImage(), 'v1', basic('alice', 'a'))).status, 201);
      // Automatic mount (no `from`) only takes blobs from repositories the caller may pull.
      const secret = await pushBlob(t.url, 'team-a/app', randomBytes(64), basic('alice', 'a'));
      const open = await pushBlob(t.url, 'shared/base', randomBytes(64), basic('alice', 'a'));
      const steal = await fetch(`${t.url}/v2/team-b/x/blobs/uploads/?mount=${secret}`, { method: 'POST', headers: basic('bob', 'b') });
      assert.equal(steal.status, 202);
      await steal.arrayBuffer();
      const share = await fetch(`${t.url}/v2/team-b/x/blobs/uploads/?mount=${open}`, { method: 'POST', headers: basic('bob', 'b') });
      assert.equal(share.status, 201);
      await share.arrayBuffer();
      const list = async (headers: Record<string, string>, q = ''): Promise<{ status: number; repos: string[]; link: string | null }> => {
        const res = await fetch(`${t.url}/v2/_catalog${q}`, { headers });
        const body = (await res.json()) as { repositories?: string[] };
        return { status: res.status, repos: body.repositories ?? [], link: res.headers.get('link') };
      };
      assert.deepEqual((await list(basic('alice', 'a'))).repos, [...REPOS, 'team-b/x']);
      assert.deepEqual((await list(basic('bob', 'b'))).repos, ['shared/base', 'team-b/api', 'team-b/web', 'team-b/x']);
      // Pagination counts visible repositories only.
      const p1 = await list(basic('bob', 'b'), '?n=2');
      assert.deepEqual(p1.repos, ['shared/base', 'team-b/api']);
      assert.equal(p1.link, '</v2/_catalog?n=2&last=team-b%2Fapi>; rel="next"');
      const p2 = await list(basic('bob', 'b'), '?n=2&last=team-b%2Fapi');
      assert.deepEqual(p2.repos, ['team-b/web', 'team-b/x']);
      assert.equal(p2.link, null);
      const anon = await list({});
      assert.equal(anon.status, 401);
      assert.equal((await list(basic('bob', 'wrong'))).status, 401);
    } finally {
      await t.cleanup();
    }
  });

  test('token auth: _catalog needs registry:catalog:*, and lists per user', async () => {
    const htpasswd = join(work, 'htpasswd-token');
    await writeFile(htpasswd, `${htpasswdLine('alice', 'a')}\n${htpasswdLine('bob', 'b')}\n`);
    const t = await startTestRegistry({ htpasswd, rules: RULES, token: { issuer: 'iss', service: 'svc' } });
    const token = async (user: string | undefined, scope: string): Promise<string> => {
      const res = await fetch(`${t.url}/token?service=svc&scope=${encodeURIComponent(scope)}`, { headers: user ? basic(user, user[0] as string) : {} });
      assert.equal(res.status, 200);
      return ((await res.json()) as { token: string }).token;
    };
    try {
      for (const repo of REPOS) {
        const auth = { Authorization: `Bearer ${await token('alice', `repository:${repo}:pull,push`)}` };
        assert.equal((await pushImage(t.url, repo, makeImage(), 'v1', auth)).status, 201);
      }
      const challenge = await fetch(`${t.url}/v2/_catalog`);
      assert.equal(challenge.status, 401);
      assert.match(challenge.headers.get('www-authenticate') ?? '', /^Bearer realm="[^"]+\/token",service="svc",scope="registry:catalog:\*"$/);
      await challenge.arrayBuffer();
      // A token for something else does not open the catalog.
      const wrong = await fetch(`${t.url}/v2/_catalog`, { headers: { Authorization: `Bearer ${await token('bob', 'repository:team-b/api:pull')}` } });
      assert.equal(wrong.status, 401);
      assert.match(wrong.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
      await wrong.arrayBuffer();
      // Anonymous clients are not granted the catalog scope.
      const anonTok = await token(undefined, 'registry:catalog:*');
      const anon = await fetch(`${t.url}/v2/_catalog`, { headers: { Authorization: `Bearer ${anonTok}` } });
      assert.equal(anon.status, 401);
      await anon.arrayBuffer();
      for (const [user, expected] of [
        ['alice', REPOS],
        ['bob', ['shared/base', 'team-b/api', 'team-b/web']],
      ] as const) {
        const res = await fetch(`${t.url}/v2/_catalog`, { headers: { Authorization: `Bearer ${await token(user, 'registry:catalog:*')}` } });
        assert.equal(res.status, 200);
        assert.deepEqual(((await res.json()) as { repositories: string[] }).repositories, expected);
      }
    } finally {
      await t.cleanup();
    }
  });
});

describe('access log', () => {
  test('one JSON line per request with method, path, status, bytes, user and duration', async () => {
    const htpasswd = join(work, 'htpasswd-log');
    await writeFile(htpasswd, `${htpasswdLine('alice', 'a')}\n`);
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    const t = await startTestRegistry({ htpasswd, accessLog: out });
    try {
      const data = randomBytes(5000);
      const d = await pushBlob(t.url, 'log/repo', data, basic('alice', 'a'));
      const get = await fetch(`${t.url}/v2/log/repo/blobs/${d}`, { headers: basic('alice', 'a') });
      assert.equal((await get.arrayBuffer()).byteLength, 5000);
      const denied = await fetch(`${t.url}/v2/log/repo/tags/list`);
      assert.equal(denied.status, 401);
      await denied.arrayBuffer();
      // Entries are written when each response closes; wait for the third.
      for (let i = 0; i < 100 && text.split('\n').filter(Boolean).length < 3; i++) await new Promise((r) => setTimeout(r, 10));
      const entries = text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as AccessEntry);
      assert.equal(entries.length, 3);
      // Each line is written when its response closes, which need not be in request order.
      const entry = (method: string, path: string) => entries.find((e) => e.method === method && e.path === path) ?? assert.fail(`no entry for ${method} ${path}`);
      const push = entry('POST', '/v2/log/repo/blobs/uploads/');
      const pull = entry('GET', `/v2/log/repo/blobs/${d}`);
      const anon = entry('GET', '/v2/log/repo/tags/list');
      assert.deepEqual([push.method, push.path, push.status, push.bytesIn, push.user], ['POST', '/v2/log/repo/blobs/uploads/', 201, 5000, 'alice']);
      assert.deepEqual([pull.method, pull.path, pull.status, pull.bytes, pull.user], ['GET', `/v2/log/repo/blobs/${d}`, 200, 5000, 'alice']);
      assert.deepEqual([anon.method, anon.status, anon.user], ['GET', 401, undefined]);
      for (const e of entries) {
        assert.ok(!Number.isNaN(Date.parse(e.time)));
        assert.ok(e.duration >= 0);
        assert.match(e.remote ?? '', /127\.0\.0\.1/);
      }
    } finally {
      await t.cleanup();
    }
  });

  test('a file target gets the same lines appended', async () => {
    const file = join(work, 'access.log');
    const t = await startTestRegistry({ accessLog: file });
    try {
      const res = await fetch(`${t.url}/v2/`);
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    } finally {
      await t.cleanup();
    }
    let lines: string[] = [];
    for (let i = 0; i < 100 && lines.length === 0; i++) {
      lines = (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);
      if (lines.length === 0) await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(lines.length, 1);
    const e = JSON.parse(lines[0] as string) as AccessEntry;
    assert.deepEqual([e.method, e.path, e.status], ['GET', '/v2/', 200]);
  });
});

describe('TLS', () => {
  test('serves HTTPS with a self-signed certificate that the client trusts', async () => {
    const key = join(work, 'tls.key');
    const cert = join(work, 'tls.crt');
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=berth-test', '-addext', 'subjectAltName=IP:127.0.0.1']);
    const ca = await readFile(cert);
    const t = await startTestRegistry({ tls: { cert, key } });
    try {
      assert.match(t.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const url = new URL(t.url);
      const call = (method: string, path: string, body?: Buffer, trust = true): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> =>
        new Promise((resolve, reject) => {
          const req = httpsRequest(
            { host: url.hostname, port: url.port, method, path, ca: trust ? ca : undefined, headers: body ? { 'Content-Length': body.length, 'Content-Type': 'application/octet-stream' } : {} },
            (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (c: Buffer) => chunks.push(c));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
            },
          );
          req.on('error', reject);
          req.end(body);
        });
      const base = await call('GET', '/v2/');
      assert.equal(base.status, 200);
      assert.equal(base.headers['docker-distribution-api-version'], 'registry/2.0');
      const data = randomBytes(300_000);
      const d = digestOf(data);
      const push = await call('POST', `/v2/tls/repo/blobs/uploads/?digest=${d}`, data);
      assert.equal(push.status, 201);
      const pull = await call('GET', `/v2/tls/repo/blobs/${d}`);
      assert.equal(pull.status, 200);
      assert.deepEqual(pull.body, data);
      // A client that does not trust the certificate refuses the connection.
      await assert.rejects(call('GET', '/v2/', undefined, false), /self[- ]signed|certificate/i);
    } finally {
      await t.cleanup();
    }
  });
});
