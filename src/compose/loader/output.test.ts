import { rm } from 'node:fs/promises';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { ComposeError } from './errors.js';
import { findCycle, startLevels, startOrder, stopOrder, withDependencies } from './graph.js';
import { serviceConfigHash } from './hash.js';
import { loadProject } from './load.js';
import { serializeProject } from './serialize.js';
import type { Service } from './types.js';

// The fixtures stay in the source tree: compiled tests (dist/src/...) read them from src/.
const testdata = path.join(path.dirname(fileURLToPath(import.meta.url)).replace(`${path.sep}dist${path.sep}src${path.sep}`, `${path.sep}src${path.sep}`), 'testdata');
const temps: string[] = [];
after(() => Promise.all(temps.map((d) => rm(d, { recursive: true, force: true }))));

describe('serializeProject', () => {
  it('prints canonical YAML and JSON with sorted services, defaults and Go durations', async () => {
    const p = await loadProject({ workingDir: path.join(testdata, 'basic'), environment: {} });
    const yaml = serializeProject(p);
    assert.ok(yaml.startsWith('name: demo\nservices:\n  db:\n'), yaml.slice(0, 60));
    const doc = parse(yaml) as Record<string, Record<string, Record<string, unknown>>>;
    assert.deepEqual(Object.keys(doc.services!), ['db', 'web']);
    assert.deepEqual(doc.networks!.default, { name: 'demo_default' });
    assert.deepEqual(doc.services!.web!.networks, { default: null });
    assert.equal((doc.services!.web!.healthcheck as Record<string, unknown>).interval, '1m30s');
    assert.equal(doc.services!.web!.stop_grace_period, '30s');
    assert.equal(doc.services!.web!['x-note'], 'ignored');
    assert.equal('environment' in doc.services!.db!, false, 'empty environment omitted');
    const json = JSON.parse(serializeProject(p, 'json')) as typeof doc;
    assert.deepEqual(json, doc);
  });
  it('round-trips: loading the printed config gives the same services', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const p = await loadProject({ workingDir: path.join(testdata, 'basic'), environment: {} });
    const work = await mkdtemp(path.join(tmpdir(), 'berth-compose-'));
    temps.push(work);
    await writeFile(path.join(work, 'compose.yaml'), serializeProject(p));
    const again = await loadProject({ workingDir: work, environment: {} });
    assert.equal(serviceConfigHash(again.services.web!), serviceConfigHash(p.services.web!));
    assert.deepEqual(again.networks, p.networks);
  });
});

describe('serviceConfigHash', () => {
  const base = (): Service => ({
    name: 'web',
    image: 'nginx:1',
    environment: { A: '1', B: '2' },
    ports: [{ mode: 'ingress', protocol: 'tcp', target: 80, published: '8080' }],
    deploy: { replicas: 1, resources: { limits: { memory: 1024 } } },
  });
  it('is a 64-hex digest, stable across key order', () => {
    const a = base();
    const b: Service = { deploy: { resources: { limits: { memory: 1024 } }, replicas: 1 }, environment: { B: '2', A: '1' }, ports: a.ports, image: 'nginx:1', name: 'web' };
    assert.match(serviceConfigHash(a), /^[a-f0-9]{64}$/);
    assert.equal(serviceConfigHash(a), serviceConfigHash(b));
  });
  it('changes with the image or the environment', () => {
    const h = serviceConfigHash(base());
    assert.notEqual(serviceConfigHash({ ...base(), image: 'nginx:2' }), h);
    assert.notEqual(serviceConfigHash({ ...base(), environment: { A: '1', B: '3' } }), h);
  });
  it('ignores scale, replicas, build, pull_policy, depends_on and profiles', () => {
    const h = serviceConfigHash(base());
    const changed: Service = {
      ...base(),
      scale: 3,
      deploy: { replicas: 5, resources: { limits: { memory: 1024 } } },
      build: { context: '/src' },
      pull_policy: 'always',
      depends_on: { db: { condition: 'service_started', restart: false, required: true } },
      profiles: ['x'],
    };
    assert.equal(serviceConfigHash(changed), h);
    assert.notEqual(serviceConfigHash({ ...base(), deploy: { replicas: 1, resources: { limits: { memory: 2048 } } } }), h);
  });
  it('is the same for the same file loaded twice with keys in another order', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const work = await mkdtemp(path.join(tmpdir(), 'berth-compose-'));
    temps.push(work);
    await writeFile(path.join(work, 'a.yaml'), 'services:\n  s:\n    image: x\n    environment: {A: "1", B: "2"}\n    labels: [l=1]\n');
    await writeFile(path.join(work, 'b.yaml'), 'services:\n  s:\n    labels: {l: "1"}\n    environment: [B=2, A=1]\n    image: x\n');
    const a = await loadProject({ workingDir: work, files: ['a.yaml'], projectName: 'p', environment: {} });
    const b = await loadProject({ workingDir: work, files: ['b.yaml'], projectName: 'p', environment: {} });
    assert.equal(serviceConfigHash(a.services.s!), serviceConfigHash(b.services.s!));
  });
});

describe('graph', () => {
  const dep = { condition: 'service_started', restart: false, required: true } as const;
  const project = {
    services: {
      web: { depends_on: { api: dep, cache: dep } },
      api: { depends_on: { db: dep } },
      db: {},
      cache: {},
      worker: { depends_on: { db: dep } },
    },
  };
  it('groups services into levels that can start in parallel', () => {
    assert.deepEqual(startLevels(project), [['cache', 'db'], ['api', 'worker'], ['web']]);
    assert.deepEqual(startOrder(project), ['cache', 'db', 'api', 'worker', 'web']);
    assert.deepEqual(stopOrder(project), ['web', 'worker', 'api', 'db', 'cache']);
  });
  it('collects dependencies of selected services', () => {
    assert.deepEqual(withDependencies(project, ['api']), ['api', 'db']);
  });
  it('detects cycles', () => {
    const cyclic = { services: { a: { depends_on: { b: dep } }, b: { depends_on: { c: dep } }, c: { depends_on: { a: dep } } } };
    assert.deepEqual(findCycle(cyclic), ['a', 'b', 'c', 'a']);
    assert.throws(() => startLevels(cyclic), (e: unknown) => e instanceof ComposeError && /a -> b -> c -> a/.test(e.message));
    assert.equal(findCycle(project), undefined);
  });
});
