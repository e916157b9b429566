/**
 * `berth compose` against a real berthd with busybox services: interpolation, overrides,
 * profiles, scaling, dependency conditions, recreate-on-change, one-off runs and `down`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compose, composeSuite, idsByService, ok, projectContainers, projectNetworks, projectVolumes } from './helpers.js';

const LOOP = `["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"]`;

const suite = composeSuite();
const project = suite.project;

async function env(id: string): Promise<string[]> {
  const info = await suite.daemon.client.get<{ Config: { Env: string[] } }>(`/containers/${id}/json`);
  return info.Config.Env;
}

describe('berth compose', () => {
  it('interpolates from .env and the environment, and down -v removes everything', async () => {
    const p = await project('interp', {
      '.env': 'GREETING=from-dotenv\nTAG=latest\n',
      'compose.yaml': `services:\n  app:\n    image: busybox:\${TAG}\n    command: ${LOOP}\n    environment:\n      GREETING: \${GREETING}\n      OTHER: \${OTHER:-fallback}\n    volumes: [data:/data]\nvolumes:\n  data: {}\n`,
    });
    ok(await compose(suite.daemon, p.dir, ['-p', 'interp', 'up', '-d'], { OTHER: 'from-shell' }), 'up');
    const ids = await idsByService(suite.daemon, 'interp');
    assert.equal(ids.app?.length, 1);
    const e = await env(ids.app![0]!);
    assert.ok(e.includes('GREETING=from-dotenv'), e.join(' '));
    assert.ok(e.includes('OTHER=from-shell'), e.join(' '));
    const [c] = await projectContainers(suite.daemon, 'interp');
    assert.equal(c!.Names[0], '/interp-app-1');
    assert.equal(c!.Labels['com.docker.compose.service'], 'app');
    assert.equal(c!.Labels['com.docker.compose.container-number'], '1');
    assert.equal(c!.Labels['com.docker.compose.oneoff'], 'False');
    assert.match(c!.Labels['com.docker.compose.config-hash']!, /^[0-9a-f]{64}$/);
    assert.equal(c!.Labels['com.docker.compose.project.working_dir'], p.dir);
    assert.deepEqual((await projectNetworks(suite.daemon, 'interp')).map((n) => n.Name), ['interp_default']);
    assert.deepEqual((await projectVolumes(suite.daemon, 'interp')).map((v) => v.Name), ['interp_data']);

    ok(await compose(suite.daemon, p.dir, ['-p', 'interp', 'down', '-v', '-t', '0']), 'down');
    assert.deepEqual(await projectContainers(suite.daemon, 'interp'), []);
    assert.deepEqual(await projectNetworks(suite.daemon, 'interp'), []);
    assert.deepEqual(await projectVolumes(suite.daemon, 'interp'), []);
  });

  it('merges two -f files (the second overrides the first)', async () => {
    const p = await project('overrides', {
      'base.yaml': `services:\n  app:\n    image: busybox\n    command: ${LOOP}\n    environment:\n      LEVEL: base\n      KEEP: kept\n`,
      'override.yaml': `services:\n  app:\n    environment:\n      LEVEL: override\n    labels:\n      extra: "yes"\n`,
    });
    ok(await compose(suite.daemon, p.dir, ['-f', 'base.yaml', '-f', 'override.yaml', '-p', 'overrides', 'up', '-d']), 'up');
    const [c] = await projectContainers(suite.daemon, 'overrides');
    const e = await env(c!.Id);
    assert.ok(e.includes('LEVEL=override') && e.includes('KEEP=kept'), e.join(' '));
    assert.equal(c!.Labels.extra, 'yes');
    assert.equal(c!.Labels['com.docker.compose.project.config_files'], `${p.dir}/base.yaml,${p.dir}/override.yaml`);
  });

  it('starts profiled services only when their profile is enabled', async () => {
    const p = await project('profiles', {
      'compose.yaml': `services:\n  app:\n    image: busybox\n    command: ${LOOP}\n  debug:\n    image: busybox\n    command: ${LOOP}\n    profiles: [debug]\n`,
    });
    ok(await compose(suite.daemon, p.dir, ['-p', 'profiles', 'up', '-d']), 'up');
    assert.deepEqual(Object.keys(await idsByService(suite.daemon, 'profiles')), ['app']);
    ok(await compose(suite.daemon, p.dir, ['-p', 'profiles', '--profile', 'debug', 'up', '-d']), 'up --profile');
    assert.deepEqual(Object.keys(await idsByService(suite.daemon, 'profiles')).sort(), ['app', 'debug']);
  });

  it('scales up and down, keeping the lowest numbers', async () => {
    const p = await project('scale', { 'compose.yaml': `services:\n  web:\n    image: busybox\n    command: ${LOOP}\n` });
    ok(await compose(suite.daemon, p.dir, ['-p', 'scale', 'up', '-d', '--scale', 'web=3']), 'up --scale 3');
    const three = await projectContainers(suite.daemon, 'scale');
    assert.deepEqual(three.map((c) => c.Names[0]).sort(), ['/scale-web-1', '/scale-web-2', '/scale-web-3']);
    assert.ok(three.every((c) => c.State === 'running'));
    const first = (await idsByService(suite.daemon, 'scale')).web![0];
    ok(await compose(suite.daemon, p.dir, ['-p', 'scale', 'up', '-d', '--scale', 'web=1', '-t', '0']), 'up --scale 1');
    assert.deepEqual((await idsByService(suite.daemon, 'scale')).web, [first]);
    ok(await compose(suite.daemon, p.dir, ['-p', 'scale', 'scale', 'web=2']), 'scale web=2');
    assert.equal((await idsByService(suite.daemon, 'scale')).web?.length, 2);
    const ps = ok(await compose(suite.daemon, p.dir, ['-p', 'scale', 'ps', '--format', 'json']), 'ps');
    const rows = ps.stdout.trim().split('\n').map((l) => JSON.parse(l) as { Name: string; Service: string; State: string });
    assert.deepEqual(rows.map((r) => r.Name), ['scale-web-1', 'scale-web-2']);
  });

  it('warns about orphans, and removes them with --remove-orphans (up and down)', async () => {
    const both = `services:\n  a:\n    image: busybox\n    command: ${LOOP}\n  b:\n    image: busybox\n    command: ${LOOP}\n`;
    const p = await project('orphans', { 'compose.yaml': both });
    ok(await compose(suite.daemon, p.dir, ['-p', 'orphans', 'up', '-d']), 'up');
    await p.write('compose.yaml', `services:\n  a:\n    image: busybox\n    command: ${LOOP}\n`);
    const warned = ok(await compose(suite.daemon, p.dir, ['-p', 'orphans', 'up', '-d']), 'up without b');
    assert.match(warned.stdout + warned.stderr, /Found orphan containers \(\[orphans-b-1\]\) for this project/);
    assert.deepEqual(Object.keys(await idsByService(suite.daemon, 'orphans')).sort(), ['a', 'b']);
    // As with Docker Compose, a plain down leaves the orphan, so its network stays in use.
    const downWarned = await compose(suite.daemon, p.dir, ['-p', 'orphans', 'down', '-t', '0']);
    assert.match(downWarned.stdout + downWarned.stderr, /Found orphan containers \(\[orphans-b-1\]\)/);
    assert.match(downWarned.stderr, /network orphans_default has active endpoints/);
    assert.deepEqual(Object.keys(await idsByService(suite.daemon, 'orphans')), ['b'], 'down leaves the orphan');
    ok(await compose(suite.daemon, p.dir, ['-p', 'orphans', 'down', '-t', '0', '--remove-orphans']), 'down --remove-orphans');
    assert.deepEqual(await projectContainers(suite.daemon, 'orphans'), []);
  });

  it('waits for service_healthy and service_completed_successfully before starting dependents', async () => {
    const p = await project('deps', {
      'compose.yaml': `services:
  db:
    image: busybox
    command: ["sh", "-c", "sleep 1; touch /tmp/ready; trap 'exit 0' TERM; while true; do sleep 0.2; done"]
    healthcheck: { test: ["CMD", "test", "-f", "/tmp/ready"], interval: 300ms, retries: 20 }
  migrate:
    image: busybox
    command: ["sh", "-c", "echo migrated"]
  app:
    image: busybox
    command: ${LOOP}
    depends_on:
      db: { condition: service_healthy }
      migrate: { condition: service_completed_successfully }
`,
    });
    ok(await compose(suite.daemon, p.dir, ['-p', 'deps', 'up', '-d']), 'up');
    const byName = new Map((await projectContainers(suite.daemon, 'deps')).map((c) => [c.Names[0], c]));
    const inspect = (n: string) => suite.daemon.client.get<{ State: { StartedAt: string; FinishedAt: string; ExitCode: number; Health?: { Status: string } } }>(`/containers/${byName.get(n)!.Id}/json`);
    const [db, migrate, app] = await Promise.all(['/deps-db-1', '/deps-migrate-1', '/deps-app-1'].map(inspect));
    assert.equal(db!.State.Health?.Status, 'healthy');
    assert.equal(migrate!.State.ExitCode, 0);
    assert.ok(Date.parse(app!.State.StartedAt) >= Date.parse(migrate!.State.FinishedAt), 'app started after migrate finished');
  });

  it('fails up when a service_completed_successfully dependency exits non-zero', async () => {
    const p = await project('depfail', {
      'compose.yaml': `services:\n  migrate:\n    image: busybox\n    command: ["sh", "-c", "exit 3"]\n  app:\n    image: busybox\n    command: ${LOOP}\n    depends_on:\n      migrate: { condition: service_completed_successfully }\n`,
    });
    const r = await compose(suite.daemon, p.dir, ['-p', 'depfail', 'up', '-d']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /service "migrate" didn't complete successfully: exit 3/);
    assert.equal((await idsByService(suite.daemon, 'depfail')).app, undefined, 'app was not created');
  });

  it('fails up when a service_healthy dependency becomes unhealthy', async () => {
    const p = await project('unhealthy', {
      'compose.yaml': `services:\n  db:\n    image: busybox\n    command: ${LOOP}\n    healthcheck: { test: ["CMD", "false"], interval: 200ms, retries: 2 }\n  app:\n    image: busybox\n    command: ${LOOP}\n    depends_on:\n      db: { condition: service_healthy }\n`,
    });
    const r = await compose(suite.daemon, p.dir, ['-p', 'unhealthy', 'up', '-d']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /dependency failed to start: container unhealthy-db-1 is unhealthy/);
  });

  it('recreates only the service whose configuration changed', async () => {
    const file = (value: string) => `services:\n  a:\n    image: busybox\n    command: ${LOOP}\n    environment: { VALUE: "${value}" }\n  b:\n    image: busybox\n    command: ${LOOP}\n`;
    const p = await project('recreate', { 'compose.yaml': file('one') });
    ok(await compose(suite.daemon, p.dir, ['-p', 'recreate', 'up', '-d']), 'up');
    const before = await idsByService(suite.daemon, 'recreate');
    ok(await compose(suite.daemon, p.dir, ['-p', 'recreate', 'up', '-d']), 'up again');
    assert.deepEqual(await idsByService(suite.daemon, 'recreate'), before, 'nothing changed, nothing recreated');
    await p.write('compose.yaml', file('two'));
    const r = ok(await compose(suite.daemon, p.dir, ['-p', 'recreate', 'up', '-d', '-t', '0']), 'up after change');
    const afterIds = await idsByService(suite.daemon, 'recreate');
    assert.notDeepEqual(afterIds.a, before.a);
    assert.deepEqual(afterIds.b, before.b);
    assert.match(r.stderr, /Container recreate-a-1 {2}Recreated/);
    assert.ok((await env(afterIds.a![0]!)).includes('VALUE=two'));
    ok(await compose(suite.daemon, p.dir, ['-p', 'recreate', 'up', '-d', '--force-recreate', '-t', '0', 'b']), 'force-recreate b');
    const forced = await idsByService(suite.daemon, 'recreate');
    assert.notDeepEqual(forced.b, afterIds.b);
    assert.deepEqual(forced.a, afterIds.a);
  });

  it('runs one-off containers and removes them with --rm', async () => {
    const p = await project('oneoff', { 'compose.yaml': `services:\n  tool:\n    image: busybox\n    environment: { FROM_FILE: file }\n` });
    const r = ok(await compose(suite.daemon, p.dir, ['-p', 'oneoff', 'run', '--rm', '-T', '-e', 'EXTRA=x', 'tool', 'sh', '-c', 'echo "$FROM_FILE $EXTRA"']), 'run --rm');
    assert.match(r.stdout, /file x/);
    assert.deepEqual(await projectContainers(suite.daemon, 'oneoff'), []);
    const failed = await compose(suite.daemon, p.dir, ['-p', 'oneoff', 'run', '-T', 'tool', 'sh', '-c', 'exit 7']);
    assert.equal(failed.code, 7);
    const [kept] = await projectContainers(suite.daemon, 'oneoff');
    assert.match(kept!.Names[0]!, /^\/oneoff-tool-run-[0-9a-f]{12}$/);
    assert.equal(kept!.Labels['com.docker.compose.oneoff'], 'True');
  });

  it('prints the resolved configuration', async () => {
    const p = await project('cfg', { 'compose.yaml': `services:\n  web:\n    image: busybox\n    ports: ["8080:80"]\n  db:\n    image: busybox\nvolumes:\n  data: {}\n` });
    const json = JSON.parse(ok(await compose(suite.daemon, p.dir, ['-p', 'cfg', 'config', '--format', 'json'])).stdout) as { name: string; services: Record<string, { ports: Array<{ target: number; published: string }> }> };
    assert.equal(json.name, 'cfg');
    assert.deepEqual(json.services.web!.ports[0], { mode: 'ingress', target: 80, published: '8080', protocol: 'tcp' });
    assert.equal(ok(await compose(suite.daemon, p.dir, ['config', '--services'])).stdout, 'web\ndb\n');
    assert.equal(ok(await compose(suite.daemon, p.dir, ['config', '--volumes'])).stdout, 'data\n');
    assert.equal(ok(await compose(suite.daemon, p.dir, ['config', '-q'])).stdout, '');
  });

  it('reports malformed files with file, line and key', async () => {
    const p = await project('bad', { 'compose.yaml': `services:\n  web:\n    image: busybox\n    ports:\n      - "80:abc"\n` });
    const r = await compose(suite.daemon, p.dir, ['up', '-d']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /compose\.yaml:5: services\.web\.ports\[0\]/);
    const yaml = await project('badyaml', { 'compose.yaml': `services:\n  web:\n    image: [unclosed\n` });
    const r2 = await compose(suite.daemon, yaml.dir, ['config']);
    assert.notEqual(r2.code, 0);
    assert.match(r2.stderr, /compose\.yaml:\d+/);
  });
});
