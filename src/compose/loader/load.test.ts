import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ComposeError } from './errors.js';
import { loadProject, normalizeProjectName } from './load.js';
import type { LoadProjectOptions } from './load.js';

// The fixtures stay in the source tree: compiled tests (dist/src/...) read them from src/.
const testdata = path.join(path.dirname(fileURLToPath(import.meta.url)).replace(`${path.sep}dist${path.sep}src${path.sep}`, `${path.sep}src${path.sep}`), 'testdata');
const temps: string[] = [];
after(() => Promise.all(temps.map((d) => rm(d, { recursive: true, force: true }))));
const dir = (name: string): string => path.join(testdata, name);
const load = (name: string, extra: Partial<LoadProjectOptions> = {}) =>
  loadProject({ workingDir: dir(name), environment: { HOME: '/home/tester' }, ...extra });

/** Asserts a ComposeError whose message is exactly `file:line: path: reason`-shaped. */
async function rejectsWith(promise: Promise<unknown>, expected: { file?: string; line?: number; keyPath?: string; message: RegExp }): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ComposeError, `expected ComposeError, got ${String(err)}`);
    assert.match(err.message, expected.message);
    if (expected.file !== undefined) assert.equal(err.file, expected.file);
    if (expected.line !== undefined) assert.equal(err.line, expected.line);
    if (expected.keyPath !== undefined) assert.equal(err.keyPath, expected.keyPath);
    assert.equal(err.status, 400);
    return true;
  });
}

describe('loadProject: basic file, interpolation and normalization', () => {
  it('resolves the fixture into the long syntax', async () => {
    const p = await load('basic', { environment: { FROM_SHELL: 'shell', HOME: '/home/tester' } });
    assert.equal(p.name, 'demo');
    assert.equal(p.workingDir, dir('basic'));
    assert.deepEqual(p.composeFiles, [path.join(dir('basic'), 'compose.yaml')]);
    const web = p.services.web!;
    assert.equal(web.image, 'nginx:1.25', '.env TAG used');
    assert.deepEqual(web.command, ['nginx', '-g', 'daemon off;']);
    assert.equal(web.restart, 'unless-stopped', 'merged from the anchor');
    assert.deepEqual(web.labels, { team: 'core' });
    assert.deepEqual(web.build, { context: path.join(dir('basic'), 'web'), args: { VERSION: '1.2' } });
    assert.deepEqual(web.ports, [
      { mode: 'ingress', protocol: 'tcp', published: '8080', target: 80 },
      { mode: 'ingress', protocol: 'tcp', host_ip: '127.0.0.1', published: '8443', target: 443 },
      { mode: 'ingress', protocol: 'udp', published: '9001', target: 9000 },
    ]);
    assert.deepEqual(web.volumes, [
      { type: 'bind', source: path.join(dir('basic'), 'html'), target: '/usr/share/nginx/html', read_only: true, bind: { create_host_path: true } },
      { type: 'volume', source: 'data', target: '/data' },
      { type: 'volume', target: '/cache' },
      { type: 'tmpfs', target: '/tmp', tmpfs: { size: 64 * 1024 * 1024 } },
    ]);
    assert.deepEqual(web.environment, { WEB_ENV: '1', MODE: 'prod', FROM_SHELL: 'shell' }, 'environment wins over env_file');
    assert.deepEqual(web.env_file, [{ path: path.join(dir('basic'), 'web.env'), required: true }]);
    assert.deepEqual(web.depends_on, { db: { condition: 'service_healthy', restart: false, required: true } });
    assert.deepEqual(web.healthcheck, { test: ['CMD-SHELL', 'curl -f http://localhost'], interval: 90e9, timeout: 10e9, retries: 3 });
    assert.deepEqual(web.deploy, { replicas: 2, resources: { limits: { cpus: 0.5, memory: 512 * 1024 * 1024 } } });
    assert.equal(web.shm_size, 64 * 1024 * 1024);
    assert.deepEqual(web.ulimits, { nofile: { soft: 1024, hard: 2048 }, nproc: { soft: 65535, hard: 65535 } });
    assert.equal(web.stop_grace_period, 30e9);
    assert.deepEqual(web.extra_hosts, { somehost: ['162.242.195.82'] });
    assert.deepEqual(web.extensions, { 'x-note': 'ignored' });
    assert.deepEqual(web.networks, { default: null });
    const db = p.services.db!;
    assert.deepEqual(db.networks, { back: { aliases: ['database'] } });
    assert.deepEqual(db.secrets, [{ source: 'db_pw' }]);
    assert.deepEqual(p.networks, { back: { name: 'demo_back', driver: 'bridge' }, default: { name: 'demo_default' } });
    assert.deepEqual(p.volumes, { data: { name: 'demo_data' } });
    assert.deepEqual(p.secrets, { db_pw: { name: 'demo_db_pw', file: path.join(dir('basic'), 'pw.txt') } });
    assert.deepEqual(Object.keys(p.extensions), ['x-common']);
  });

  it('leaves a bare environment KEY null when nobody sets it', async () => {
    const p = await load('basic');
    assert.equal(p.services.web!.environment.FROM_SHELL, null);
  });

  it('applies precedence shell > --env-file (later wins) > .env, and skips .env when --env-file is given', async () => {
    const dotenvOnly = await load('envprec');
    assert.equal(dotenvOnly.services.app!.image, 'app:dotenv');
    assert.deepEqual(dotenvOnly.services.app!.environment, { FROM: 'dotenv', DOTENV: 'yes' });

    const withEnvFiles = await load('envprec', { envFiles: ['one.env', 'two.env'] });
    assert.equal(withEnvFiles.services.app!.image, 'app:envfile1');
    assert.deepEqual(withEnvFiles.services.app!.environment, { FROM: 'envfile2', DOTENV: 'unset' });

    const shell = await load('envprec', { envFiles: ['one.env'], environment: { TAG: 'shell' } });
    assert.equal(shell.services.app!.image, 'app:shell');
    assert.equal(shell.services.app!.environment.FROM, 'envfile1');
  });

  it('warns once per unset variable and substitutes an empty string', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'berth-compose-'));
    temps.push(work);
    await writeFile(path.join(work, 'compose.yaml'), 'services:\n  a:\n    image: "x:${NOPE}"\n    command: echo ${NOPE} $$HOME\n');
    const p = await loadProject({ workingDir: work, projectName: 'w', environment: {} });
    assert.equal(p.services.a!.image, 'x:');
    assert.deepEqual(p.services.a!.command, ['echo', '$HOME']);
    assert.deepEqual(p.warnings, ['The "NOPE" variable is not set. Defaulting to a blank string.']);
  });
});

describe('loadProject: project name', () => {
  it('takes -p, then COMPOSE_PROJECT_NAME, then name:, then the directory', async () => {
    assert.equal((await load('basic', { projectName: 'explicit' })).name, 'explicit');
    assert.equal((await load('basic', { environment: { COMPOSE_PROJECT_NAME: 'fromenv' } })).name, 'fromenv');
    assert.equal((await load('basic', { environment: { PROJECT: 'interp' } })).name, 'interp');
    assert.equal((await load('override')).name, 'override');
  });
  it('normalizes directory names and rejects invalid explicit names', async () => {
    assert.equal(normalizeProjectName('My App.v2'), 'myappv2');
    assert.equal(normalizeProjectName('__Hidden'), 'hidden');
    await rejectsWith(load('basic', { projectName: 'Bad Name' }), { message: /invalid project name "Bad Name"/ });
  });
});

describe('loadProject: several files', () => {
  it('merges the default override file: ports appended, command replaced, environment merged, volumes by target', async () => {
    const p = await load('override');
    assert.deepEqual(p.composeFiles.map((f) => path.basename(f)), ['compose.yaml', 'compose.override.yaml']);
    const app = p.services.app!;
    assert.equal(app.image, 'app:2');
    assert.deepEqual(app.command, ['run', '--override']);
    assert.deepEqual(
      app.ports!.map((x) => `${x.published}:${x.target}`),
      ['8080:80', '8443:443'],
    );
    assert.deepEqual(app.environment, { A: '1', B: '20', C: '3' });
    assert.deepEqual(app.volumes, [{ type: 'bind', source: path.join(dir('override'), 'other'), target: '/data', read_only: true, bind: { create_host_path: true } }]);
    assert.deepEqual(app.labels, { keep: 'yes' });
    assert.deepEqual(app.dns, ['8.8.8.8', '1.1.1.1']);
  });
  it('honours !reset and !override', async () => {
    const p = await load('override', { files: ['compose.yaml', 'compose.override.yaml', 'reset.yaml'] });
    assert.equal(p.services.app!.ports, undefined);
    assert.deepEqual(p.services.app!.labels, { only: 'this' });
    assert.deepEqual(p.services.worker!.ports!.map((x) => x.published), ['9100']);
  });
});

describe('loadProject: extends', () => {
  it('extends in the same file, recursively, and from another file with its own relative paths', async () => {
    const p = await load('extends');
    assert.equal(p.services.app!.image, 'base:1');
    assert.deepEqual(p.services.app!.environment, { LEVEL: 'app', MIDDLE: 'yes' });
    assert.deepEqual(p.services.app!.ports, [{ mode: 'ingress', protocol: 'tcp', target: 80 }]);
    const remote = p.services.remote!;
    assert.equal(remote.image, 'core:1');
    assert.deepEqual(remote.command, ['echo', 'remote']);
    assert.equal(remote.build!.context, path.join(dir('extends'), 'common', 'src'));
    assert.equal(remote.volumes![0]!.source, path.join(dir('extends'), 'common', 'conf'));
    assert.deepEqual(remote.environment, { COMMON: '1' });
  });
  it('detects cycles', async () => {
    await rejectsWith(load('extends', { files: ['cycle.yaml'] }), { file: 'cycle.yaml', message: /extends cycle: cycle.yaml:a -> cycle.yaml:b -> cycle.yaml:a/ });
  });
});

describe('loadProject: include', () => {
  it('imports services and networks with the included project env and directory', async () => {
    const p = await load('include');
    assert.equal(p.services.api!.image, 'api:from-sub-env');
    assert.equal(p.services.api!.volumes![0]!.source, path.join(dir('include'), 'sub', 'data'));
    assert.ok(p.networks.internal);
    assert.deepEqual(Object.keys(p.services.web!.depends_on!), ['api']);
  });
  it('rejects redefinitions of imported resources', async () => {
    await rejectsWith(load('include', { files: ['conflict.yaml'] }), { file: 'conflict.yaml', line: 4, keyPath: 'services.api', message: /conflicts with the one imported/ });
  });
});

describe('loadProject: profiles', () => {
  it('disables services whose profiles are not active', async () => {
    const p = await load('profiles');
    assert.deepEqual(Object.keys(p.services), ['web']);
    assert.deepEqual(Object.keys(p.disabledServices).sort(), ['db', 'debug', 'mock', 'needs-dev', 'tool']);
  });
  it('enables profiles, including through COMPOSE_PROFILES', async () => {
    const p = await load('profiles', { profiles: ['dev'] });
    assert.deepEqual(Object.keys(p.services).sort(), ['db', 'mock', 'web']);
    const env = await load('profiles', { environment: { COMPOSE_PROFILES: 'debug,tools' } });
    assert.deepEqual(Object.keys(env.services).sort(), ['debug', 'tool', 'web']);
  });
  it('enables a service named explicitly and drops optional dependencies on disabled services', async () => {
    const p = await load('profiles', { includeServices: ['tool'] });
    assert.deepEqual(Object.keys(p.services).sort(), ['tool', 'web']);
    assert.deepEqual(p.services.tool!.depends_on, {});
  });
  it('fails when a required dependency is disabled', async () => {
    await rejectsWith(load('profiles', { profiles: ['ops'] }), {
      file: 'compose.yaml',
      line: 24,
      keyPath: 'services.needs-dev.depends_on.db',
      message: /depends on service "db" which is disabled \(profiles: dev\)/,
    });
  });
});

describe('loadProject: anchors and merge keys', () => {
  it('resolves aliases and << with explicit keys winning', async () => {
    const p = await load('anchors');
    assert.equal(p.services.one!.image, 'base');
    assert.equal(p.services.one!.restart, 'always');
    assert.deepEqual(p.services.one!.environment, { A: '1', B: '2' });
    assert.equal(p.services.two!.image, 'two');
    assert.deepEqual(p.services.two!.environment, { A: '1', B: '3' });
    assert.ok('x-env' in p.extensions && 'x-svc' in p.extensions);
  });
});

describe('loadProject: errors name the file, line and key', () => {
  const cases: Array<[string, { line: number; keyPath?: string; message: RegExp }]> = [
    ['malformed.yaml', { line: 6, message: /^malformed\.yaml:6: yaml: / }],
    ['unknown-key.yaml', { line: 4, keyPath: 'services.web', message: /^unknown-key\.yaml:4: services\.web: additional property foo is not allowed$/ }],
    ['bad-port.yaml', { line: 6, keyPath: 'services.web.ports[1]', message: /^bad-port\.yaml:6: services\.web\.ports\[1\]: invalid port "80:abc"/ }],
    ['bad-duration.yaml', { line: 6, keyPath: 'services.web.healthcheck.interval', message: /^bad-duration\.yaml:6: services\.web\.healthcheck\.interval: time: missing unit in duration "10"$/ }],
    ['bad-volume.yaml', { line: 5, keyPath: 'services.web.volumes[0]', message: /^bad-volume\.yaml:5: services\.web\.volumes\[0\]: invalid volume "a:b:c:d": too many colons$/ }],
    ['undefined-network.yaml', { line: 5, keyPath: 'services.web.networks.front', message: /refers to undefined network front/ }],
    ['undefined-volume.yaml', { line: 5, keyPath: 'services.web.volumes[0]', message: /refers to undefined volume cache/ }],
    ['cycle.yaml', { line: 4, keyPath: 'services.a.depends_on', message: /dependency cycle detected: a -> b -> a/ }],
    ['required-var.yaml', { line: 5, keyPath: 'services.web.environment.TOKEN', message: /^required-var\.yaml:5: services\.web\.environment\.TOKEN: required variable TOKEN is missing a value: token is missing$/ }],
    ['unknown-dep.yaml', { line: 4, keyPath: 'services.web.depends_on.ghost', message: /depends on undefined service "ghost"/ }],
  ];
  for (const [file, expected] of cases) {
    it(file, async () => {
      await rejectsWith(load('errors', { files: [file] }), { file, ...expected });
    });
  }
  it('reports a missing file', async () => {
    await rejectsWith(load('errors', { files: ['nope.yaml'] }), { message: /no such file or directory/ });
  });
  it('reports a missing required env_file and skips an optional one', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'berth-compose-'));
    temps.push(work);
    await writeFile(
      path.join(work, 'compose.yaml'),
      'services:\n  a:\n    image: x\n    env_file:\n      - path: ./optional.env\n        required: false\n  b:\n    image: x\n    env_file: missing.env\n',
    );
    await rejectsWith(loadProject({ workingDir: work, projectName: 'w', environment: {} }), { line: 9, keyPath: 'services.b.env_file[0]', message: /env file .*missing\.env not found/ });
  });
});

describe('loadProject: more syntax', () => {
  it('normalizes long forms, implicit dependencies and top-level objects', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'berth-compose-'));
    temps.push(work);
    await writeFile(
      path.join(work, 'compose.yaml'),
      `services:
  app:
    image: app
    entrypoint: ["/bin/sh", "-c"]
    command: "echo hi"
    environment: { A: 1, B: true, C: null }
    labels: ["a=1", "b=2"]
    volumes:
      - type: bind
        source: ~/src
        target: /src
        bind: { propagation: rprivate, create_host_path: true }
      - type: volume
        source: data
        target: /data
        volume: { nocopy: true }
    networks:
      front:
        ipv4_address: 172.16.238.10
        priority: 100
    secrets:
      - source: s
        target: /run/secrets/s2
        uid: "103"
        mode: 0440
    configs: [c]
    healthcheck:
      test: ["CMD", "true"]
      start_period: 5s
      start_interval: 1s
    deploy:
      restart_policy: { condition: on-failure, delay: 5s, max_attempts: 3, window: 2m }
      update_config: { parallelism: 2, delay: 10s, order: start-first }
      resources:
        reservations: { cpus: 0.25, memory: 20M, pids: 10 }
      labels: [tier=front]
    links: ["db:database"]
    volumes_from: ["store:ro"]
    extra_hosts: { "h1": "10.0.0.1" }
    tmpfs: /run
    user: "1000:1000"
    init: "true"
    mem_limit: 1g
    cpus: 1.5
    pids_limit: 100
    pull_policy: always
    sysctls: ["net.core.somaxconn=1024"]
    logging: { driver: json-file, options: { max-size: 10m } }
    devices: ["/dev/fuse"]
  db:
    image: db
    network_mode: "service:store"
    healthcheck:
      disable: true
  store:
    image: store
networks:
  front:
    ipam:
      config:
        - subnet: 172.16.238.0/24
  outside:
    external: true
  legacy:
    external:
      name: real-net
volumes:
  data:
    driver: local
    driver_opts: { type: none }
    labels: ["k=v"]
secrets:
  s:
    environment: SECRET_VAR
configs:
  c:
    content: hello
`,
    );
    const p = await loadProject({ workingDir: work, projectName: 'proj', environment: { HOME: '/home/u' } });
    const app = p.services.app!;
    assert.deepEqual(app.entrypoint, ['/bin/sh', '-c']);
    assert.deepEqual(app.command, ['echo', 'hi']);
    assert.deepEqual(app.environment, { A: '1', B: 'true', C: null });
    assert.deepEqual(app.labels, { a: '1', b: '2' });
    assert.deepEqual(app.volumes![0], { type: 'bind', source: '/home/u/src', target: '/src', bind: { propagation: 'rprivate', create_host_path: true } });
    assert.deepEqual(app.volumes![1], { type: 'volume', source: 'data', target: '/data', volume: { nocopy: true } });
    assert.deepEqual(app.networks, { front: { ipv4_address: '172.16.238.10', priority: 100 } });
    assert.deepEqual(app.secrets, [{ source: 's', target: '/run/secrets/s2', uid: '103', mode: 0o440 }]);
    assert.deepEqual(app.configs, [{ source: 'c' }]);
    assert.deepEqual(app.healthcheck, { test: ['CMD', 'true'], start_period: 5e9, start_interval: 1e9 });
    assert.deepEqual(app.deploy, {
      restart_policy: { condition: 'on-failure', delay: 5e9, max_attempts: 3, window: 120e9 },
      update_config: { parallelism: 2, delay: 10e9, order: 'start-first' },
      resources: { reservations: { cpus: 0.25, memory: 20 * 1024 * 1024, pids: 10 } },
      labels: { tier: 'front' },
    });
    assert.deepEqual(Object.keys(app.depends_on!).sort(), ['db', 'store']);
    assert.deepEqual(app.extra_hosts, { h1: ['10.0.0.1'] });
    assert.deepEqual(app.tmpfs, ['/run']);
    assert.equal(app.init, true);
    assert.equal(app.mem_limit, 1024 ** 3);
    assert.equal(app.cpus, 1.5);
    assert.deepEqual(app.sysctls, { 'net.core.somaxconn': '1024' });
    assert.deepEqual(app.logging, { driver: 'json-file', options: { 'max-size': '10m' } });
    assert.deepEqual(app.devices, ['/dev/fuse']);
    const db = p.services.db!;
    assert.equal(db.networks, undefined, 'network_mode services get no default network');
    assert.deepEqual(db.depends_on, { store: { condition: 'service_started', restart: false, required: true } });
    assert.deepEqual(db.healthcheck, { disable: true });
    assert.deepEqual(p.networks.front, { name: 'proj_front', ipam: { config: [{ subnet: '172.16.238.0/24' }] } });
    assert.deepEqual(p.networks.outside, { name: 'outside', external: true });
    assert.deepEqual(p.networks.legacy, { name: 'real-net', external: true });
    assert.deepEqual(p.volumes.data, { name: 'proj_data', driver: 'local', driver_opts: { type: 'none' }, labels: { k: 'v' } });
    assert.deepEqual(p.secrets.s, { name: 'proj_s', environment: 'SECRET_VAR' });
    assert.deepEqual(p.configs.c, { name: 'proj_c', content: 'hello' });
  });
});
