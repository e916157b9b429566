import assert from 'node:assert/strict';
import { test } from 'node:test';
import { familiarName, formatReference, parseReference, parseTaggedReference } from './reference.js';

test('familiar names are normalized to docker.io/library', () => {
  assert.equal(formatReference(parseTaggedReference('busybox')), 'docker.io/library/busybox:latest');
  assert.equal(formatReference(parseTaggedReference('me/app:1.0')), 'docker.io/me/app:1.0');
  assert.equal(formatReference(parseTaggedReference('index.docker.io/library/busybox:1')), 'docker.io/library/busybox:1');
});

test('registries with ports and localhost are domains', () => {
  const r = parseReference('localhost:5000/team/app:v2');
  assert.deepEqual([r.domain, r.path, r.tag], ['localhost:5000', 'team/app', 'v2']);
  assert.equal(parseReference('registry.example.com/app').domain, 'registry.example.com');
  assert.equal(parseReference('foo/bar').domain, 'docker.io');
});

test('digests are kept and tags are optional', () => {
  const d = 'sha256:' + 'a'.repeat(64);
  const r = parseReference(`busybox@${d}`);
  assert.equal(r.digest, d);
  assert.equal(r.tag, undefined);
  assert.equal(parseTaggedReference(`busybox@${d}`).tag, undefined);
});

test('familiar form strips docker.io/library', () => {
  assert.equal(familiarName('docker.io/library/busybox:latest'), 'busybox:latest');
  assert.equal(familiarName('docker.io/me/app:1'), 'me/app:1');
  assert.equal(familiarName('localhost:5000/app:1'), 'localhost:5000/app:1');
});

test('invalid references are refused with Docker-like messages', () => {
  assert.throws(() => parseReference('BusyBox'), /must be lowercase/);
  assert.throws(() => parseReference('a//b'), /invalid reference format/);
  assert.throws(() => parseReference('busybox:bad tag'), /invalid reference format/);
  assert.throws(() => parseReference('busybox@sha256:123'), /invalid reference format/);
  assert.throws(() => parseReference(''), /at least one component/);
  assert.throws(() => parseReference('-leading'), /invalid reference format/);
  assert.throws(() => parseReference('x'.repeat(300)), /not be more than 255/);
});
