import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parsePortSpec } from './ports.js';
import { parseVolumeSpec } from './volumes.js';
import { shellSplit } from './shellwords.js';
import { parseBytes } from './units.js';

describe('parsePortSpec', () => {
  it('parses target only, host:target, protocol and host ip', () => {
    assert.deepEqual(parsePortSpec('80'), [{ mode: 'ingress', protocol: 'tcp', target: 80 }]);
    assert.deepEqual(parsePortSpec(3000), [{ mode: 'ingress', protocol: 'tcp', target: 3000 }]);
    assert.deepEqual(parsePortSpec('8080:80/udp'), [{ mode: 'ingress', protocol: 'udp', target: 80, published: '8080' }]);
    assert.deepEqual(parsePortSpec('127.0.0.1:8080:80'), [{ mode: 'ingress', protocol: 'tcp', host_ip: '127.0.0.1', target: 80, published: '8080' }]);
    assert.deepEqual(parsePortSpec('127.0.0.1::80'), [{ mode: 'ingress', protocol: 'tcp', host_ip: '127.0.0.1', target: 80 }]);
    assert.deepEqual(parsePortSpec('[::1]:6000:6000'), [{ mode: 'ingress', protocol: 'tcp', host_ip: '::1', target: 6000, published: '6000' }]);
  });
  it('expands equal ranges and keeps a host range for a single target', () => {
    assert.deepEqual(
      parsePortSpec('8000-8001:9000-9001').map((p) => [p.published, p.target]),
      [['8000', 9000], ['8001', 9001]],
    );
    assert.deepEqual(parsePortSpec('9000-9010:80'), [{ mode: 'ingress', protocol: 'tcp', target: 80, published: '9000-9010' }]);
    assert.equal(parsePortSpec('3000-3002').length, 3);
  });
  it('rejects bad specs', () => {
    assert.throws(() => parsePortSpec('80:abc'), /invalid port "80:abc": invalid container port "abc"/);
    assert.throws(() => parsePortSpec('8000-8002:80-81'), /differ in size/);
    assert.throws(() => parsePortSpec('80/xyz'), /invalid protocol/);
    assert.throws(() => parsePortSpec('70000'), /invalid container port/);
    assert.throws(() => parsePortSpec('8080:'), /no container port/);
    assert.throws(() => parsePortSpec('300.1.1.1:80:80'), /invalid host IP/);
  });
});

describe('parseVolumeSpec', () => {
  it('parses anonymous, named and bind volumes with modes', () => {
    assert.deepEqual(parseVolumeSpec('/data'), { type: 'volume', target: '/data' });
    assert.deepEqual(parseVolumeSpec('db:/var/lib/db:nocopy'), { type: 'volume', source: 'db', target: '/var/lib/db', volume: { nocopy: true } });
    assert.deepEqual(parseVolumeSpec('./src:/app:ro'), { type: 'bind', source: './src', target: '/app', read_only: true, bind: { create_host_path: true } });
    assert.deepEqual(parseVolumeSpec('/h:/c:rw,z,rshared'), {
      type: 'bind',
      source: '/h',
      target: '/c',
      bind: { create_host_path: true, selinux: 'z', propagation: 'rshared' },
    });
    assert.equal(parseVolumeSpec('~/x:/x').type, 'bind');
  });
  it('rejects bad specs', () => {
    assert.throws(() => parseVolumeSpec('a:b:c:d'), /too many colons/);
    assert.throws(() => parseVolumeSpec('a::/c'), /empty section/);
    assert.throws(() => parseVolumeSpec('data:relative'), /must be absolute/);
    assert.throws(() => parseVolumeSpec('/a:/b:bogus'), /unknown mode "bogus"/);
    assert.throws(() => parseVolumeSpec('name:/b:z'), /bind mounts only/);
  });
});

describe('shellSplit', () => {
  it('splits like a shell without expanding', () => {
    assert.deepEqual(shellSplit(`nginx -g "daemon off;"`), ['nginx', '-g', 'daemon off;']);
    assert.deepEqual(shellSplit(`sh -c 'echo $HOME && ls'`), ['sh', '-c', 'echo $HOME && ls']);
    assert.deepEqual(shellSplit(`a\\ b "c\\"d" e''f`), ['a b', 'c"d', 'ef']);
    assert.deepEqual(shellSplit('  '), []);
    assert.throws(() => shellSplit(`echo "open`), /unterminated/);
  });
});

describe('units', () => {
  it('parses byte sizes like docker', () => {
    assert.equal(parseBytes('64m'), 64 * 1024 * 1024);
    assert.equal(parseBytes('1g'), 1024 ** 3);
    assert.equal(parseBytes('512kb'), 512 * 1024);
    assert.equal(parseBytes('2GiB'), 2 * 1024 ** 3);
    assert.equal(parseBytes('100'), 100);
    assert.equal(parseBytes(4096), 4096);
    assert.throws(() => parseBytes('lots'), /invalid size/);
  });
});
