/**
 * docker-compose 1.29 (a client of the Engine API too) and berth compose share the labels:
 * each sees and manages what the other created.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { importBusybox, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { compose, dockerCompose, hasDockerCompose, ok, projectContainers, projectDir, projectNetworks } from './helpers.js';

const FILE = `version: "3.8"
services:
  web:
    build: ./web
    command: ["sh", "-c", "echo web up; trap 'exit 0' TERM; while true; do sleep 0.2; done"]
    depends_on: [db]
    networks: [front, back]
  db:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"]
    volumes: [data:/data]
    networks: [back]
volumes:
  data:
networks:
  front:
  back:
`;

describe('docker-compose 1.29 compatibility', { skip: hasDockerCompose ? false : 'docker-compose 1.29 is not installed' }, () => {
  let daemon: TestDaemon;
  let dir: Awaited<ReturnType<typeof projectDir>>;

  before(async () => {
    daemon = await startTestDaemon();
    await importBusybox(daemon.client);
    dir = await projectDir({ 'docker-compose.yml': FILE, 'web/Dockerfile': 'FROM busybox\nRUN echo built > /built\n' });
  });

  after(async () => {
    for (const p of ['fromberth', 'fromdc']) await compose(daemon, dir.dir, ['-p', p, 'down', '-v', '-t', '0']).catch(() => {});
    await dir?.remove();
    await daemon?.stop();
  });

  it('docker-compose ps/logs/exec/down see what berth compose up created', async () => {
    ok(await compose(daemon, dir.dir, ['-p', 'fromberth', 'up', '-d']), 'berth compose up');
    const ps = ok(await dockerCompose(daemon, dir.dir, ['-p', 'fromberth', 'ps']), 'docker-compose ps');
    assert.match(ps.stdout, /fromberth-web-1 .* Up/);
    assert.match(ps.stdout, /fromberth-db-1 .* Up/);
    assert.equal(ok(await dockerCompose(daemon, dir.dir, ['-p', 'fromberth', 'exec', '-T', 'web', 'cat', '/built'])).stdout.trim(), 'built');
    ok(await dockerCompose(daemon, dir.dir, ['-p', 'fromberth', 'down', '-v', '-t', '1']), 'docker-compose down');
    assert.deepEqual(await projectContainers(daemon, 'fromberth'), []);
    assert.deepEqual(await projectNetworks(daemon, 'fromberth'), []);
  });

  it('berth compose ps/down see what docker-compose up (build, scale, run) created', async () => {
    ok(await dockerCompose(daemon, dir.dir, ['-p', 'fromdc', 'up', '-d', '--scale', 'db=2']), 'docker-compose up');
    ok(await dockerCompose(daemon, dir.dir, ['-p', 'fromdc', 'run', '--rm', 'web', 'true']), 'docker-compose run');
    const ps = ok(await compose(daemon, dir.dir, ['-p', 'fromdc', 'ps', '--format', 'json']), 'berth compose ps');
    const rows = ps.stdout.trim().split('\n').map((l) => JSON.parse(l) as { Name: string; Service: string; State: string });
    assert.deepEqual(rows.map((r) => `${r.Name} ${r.Service} ${r.State}`), ['fromdc_db_1 db running', 'fromdc_db_2 db running', 'fromdc_web_1 web running']);
    const logs = ok(await compose(daemon, dir.dir, ['-p', 'fromdc', 'logs', '--no-color', 'web']), 'berth compose logs');
    assert.match(logs.stdout, /fromdc_web_1 +\| web up/);
    ok(await compose(daemon, dir.dir, ['-p', 'fromdc', 'down', '-v', '-t', '0']), 'berth compose down');
    assert.deepEqual(await projectContainers(daemon, 'fromdc'), []);
    assert.deepEqual(await projectNetworks(daemon, 'fromdc'), []);
  });
});
