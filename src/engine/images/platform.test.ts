import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidParameterError } from '../../util/errors.js';
import { formatPlatform, hostPlatform, parsePlatform, platformMatches } from './platform.js';

test('platforms are read and normalized as containerd does', () => {
  assert.deepEqual(parsePlatform('linux/amd64'), { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(parsePlatform('Linux/x86_64'), { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(parsePlatform('linux/aarch64/v8'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
  assert.deepEqual(parsePlatform('linux'), hostPlatform());
  assert.deepEqual(parsePlatform('arm64'), { os: 'linux', architecture: 'arm64' });
  for (const bad of ['', 'linux/', 'a/b/c/d']) assert.throws(() => parsePlatform(bad), InvalidParameterError, bad);
  assert.equal(formatPlatform({ os: 'linux', architecture: 'arm', variant: 'v7' }), 'linux/arm/v7');
});

test('an image serves a platform of its OS and architecture; a variant only counts when both name one', () => {
  const amd64 = { os: 'linux', architecture: 'amd64' };
  assert.ok(platformMatches(parsePlatform('linux/amd64'), amd64));
  assert.ok(platformMatches(parsePlatform('linux/x86_64'), amd64));
  assert.ok(!platformMatches(parsePlatform('linux/arm64'), amd64));
  assert.ok(!platformMatches(parsePlatform('windows/amd64'), amd64));
  assert.ok(platformMatches(parsePlatform('linux/arm/v7'), { os: 'linux', architecture: 'arm' }));
  assert.ok(!platformMatches(parsePlatform('linux/arm/v7'), { os: 'linux', architecture: 'arm', variant: 'v6' }));
});
