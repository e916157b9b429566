/**
 * Acceptance: the voting app (examples/voting-app) built with apt from a Debian base, brought up
 * with health-gated dependencies, a vote going vote → redis → worker → postgres → result, and
 * `down -v` leaving nothing behind (containers, networks, volumes, bridges, iptables rules).
 * It debootstraps the base once (about 40 s) and builds five images with apt from the host's
 * Debian mirror (about a minute); BERTH_TEST_VOTING=0 skips it for a quick local run.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { fixturesDir, repoRoot } from '../helpers/paths.js';
import { freePort } from '../helpers/ports.js';
import { compose, dockerCompose, hasDockerCompose, ok, projectContainers, projectNetworks, projectVolumes, type Run } from './helpers.js';

const APP = join(repoRoot, 'examples', 'voting-app');
const BASE_TAR = join(fixturesDir, 'debian-rootfs.tar');
const optOut = process.env.BERTH_TEST_VOTING === '0';


/** The debootstrapped rootfs, made once; undefined (with the reason) when it cannot be. */
function ensureBaseTar(): string | undefined {
  if (existsSync(BASE_TAR)) return undefined;
  const r = spawnSync('bash', [join(repoRoot, 'scripts', 'make-debian-base.sh')], { encoding: 'utf8' });
  return r.status === 0 && existsSync(BASE_TAR) ? undefined : `cannot make the Debian base image: ${(r.stderr || r.stdout || '').trim().split('\n').slice(-3).join(' ')}`;
}

async function importBase(daemon: TestDaemon): Promise<void> {
  const res = await daemon.client.call('POST', '/images/create', { query: { fromSrc: '-', repo: 'debian-base', tag: 'bookworm' }, body: createReadStream(BASE_TAR) });
  for await (const _ of daemon.client.messages(res)) {
    /* drain */
  }
}

async function post(url: string, body: string): Promise<number> {
  const r = await fetch(url, { method: 'POST', body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  await r.text();
  return r.status;
}

/** Polls the result service until option a has a vote (no timed assertion: bounded by the test timeout). */
async function waitForCount(url: string): Promise<{ a: number; b: number }> {
  for (;;) {
    try {
      const r = await fetch(url);
      if (r.ok) {
        const counts = (await r.json()) as { a: number; b: number };
        if (counts.a >= 1) return counts;
      }
    } catch {
      /* not answering yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface NetTrace {
  bridges: string[];
  subnets: string[];
}

async function trace(daemon: TestDaemon, project: string): Promise<NetTrace> {
  const nets = await projectNetworks(daemon, project);
  const bridges: string[] = [];
  const subnets: string[] = [];
  for (const n of nets) {
    const info = await daemon.client.get<{ Id: string; Options?: Record<string, string>; IPAM?: { Config?: Array<{ Subnet?: string }> } }>(`/networks/${n.Name}`);
    bridges.push(info.Options?.['com.docker.network.bridge.name'] ?? `br-${info.Id.slice(0, 12)}`);
    for (const c of info.IPAM?.Config ?? []) if (c.Subnet) subnets.push(c.Subnet);
  }
  return { bridges, subnets };
}

async function assertNothingLeft(daemon: TestDaemon, project: string, t: NetTrace): Promise<void> {
  assert.deepEqual(await projectContainers(daemon, project), []);
  assert.deepEqual(await projectNetworks(daemon, project), []);
  assert.deepEqual(await projectVolumes(daemon, project), []);
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  for (const b of t.bridges) {
    assert.ok(!links.includes(`${b}:`), `bridge ${b} is gone`);
    assert.ok(!links.includes(`master ${b} `), `no veth is left on ${b}`);
  }
  const rules = [spawnSync('iptables-save', { encoding: 'utf8' }).stdout ?? '', spawnSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }).stdout ?? ''].join('\n');
  for (const needle of [...t.bridges, ...t.subnets]) assert.ok(!rules.includes(needle), `no iptables rule mentions ${needle}`);
}

describe('voting app', { skip: optOut ? 'BERTH_TEST_VOTING=0' : false, timeout: 30 * 60_000 }, () => {
  let daemon: TestDaemon;
  let skipReason: string | undefined;

  before(async () => {
    skipReason = ensureBaseTar();
    daemon = await startTestDaemon();
    if (!skipReason) await importBase(daemon);
  });

  after(async () => {
    for (const p of ['vote-berth', 'vote-dc']) await compose(daemon, APP, ['-p', p, 'down', '-v', '-t', '1']).catch(() => {});
    await daemon?.stop();
  });

  it('berth compose: up --build --wait, vote, count, down -v', async (t) => {
    if (skipReason) return t.skip(skipReason);
    const [vote, result] = [await freePort(), await freePort()];
    const env = { VOTE_PORT: String(vote), RESULT_PORT: String(result) };
    ok(await compose(daemon, APP, ['-p', 'vote-berth', 'up', '-d', '--build', '--wait'], env), 'up --build --wait');
    assert.equal(await post(`http://127.0.0.1:${vote}/vote`, 'vote=a'), 200);
    const counts = await waitForCount(`http://127.0.0.1:${result}/api/results`);
    assert.equal(counts.a, 1);
    const tr = await trace(daemon, 'vote-berth');
    assert.equal(tr.bridges.length, 2);
    ok(await compose(daemon, APP, ['-p', 'vote-berth', 'down', '-v', '-t', '5'], env), 'down -v');
    await assertNothingLeft(daemon, 'vote-berth', tr);
  });

  it('docker-compose 1.29 against berthd: same stack', { skip: hasDockerCompose ? false : 'docker-compose 1.29 is not installed' }, async (t) => {
    if (skipReason) return t.skip(skipReason);
    const [vote, result] = [await freePort(), await freePort()];
    const env = { VOTE_PORT: String(vote), RESULT_PORT: String(result) };
    // 1.29 has no --wait and does not know depends_on conditions from the spec: bring up, then poll.
    const up: Run = await dockerCompose(daemon, APP, ['-p', 'vote-dc', 'up', '-d', '--build'], env);
    ok(up, 'docker-compose up');
    for (;;) {
      if ((await post(`http://127.0.0.1:${vote}/vote`, 'vote=a').catch(() => 0)) === 200) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal((await waitForCount(`http://127.0.0.1:${result}/api/results`)).a, 1);
    const tr = await trace(daemon, 'vote-dc');
    ok(await dockerCompose(daemon, APP, ['-p', 'vote-dc', 'down', '-v', '-t', '5'], env), 'docker-compose down -v');
    await assertNothingLeft(daemon, 'vote-dc', tr);
  });
});
