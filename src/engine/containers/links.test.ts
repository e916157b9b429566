import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidParameterError } from '../../util/errors.js';
import { linkEnv, linkHostsLine, parseLink, storedLink, usesLegacyLinks } from './links.js';

describe('legacy links', () => {
  test('the forms of --link, and the one Docker stores', () => {
    assert.deepEqual(parseLink('db'), { child: 'db', alias: 'db' });
    assert.deepEqual(parseLink('db:database'), { child: 'db', alias: 'database' });
    assert.deepEqual(parseLink('/db:/app/database'), { child: 'db', alias: 'database' });
    assert.equal(storedLink('app', parseLink('db:database')), '/db:/app/database');
    for (const bad of ['', ':x', 'a:b:c']) assert.throws(() => parseLink(bad), InvalidParameterError, bad);
    assert.ok(usesLegacyLinks('default') && usesLegacyLinks('bridge') && !usesLegacyLinks('mynet') && !usesLegacyLinks('none'));
  });

  test("variables as moby's Link.ToEnv: tcp first, runs of ports as ranges, the child's env but HOME and PATH", () => {
    const env = linkEnv({
      alias: 'my-db',
      linkName: '/app/my-db',
      childIp: '10.0.0.2',
      childEnv: ['PATH=/bin', 'HOME=/root', 'PASS=a=b', 'NOVALUE'],
      exposed: { '8001/udp': {}, '5432/tcp': {}, '8000/udp': {}, '5433/tcp': {} },
    });
    assert.deepEqual(env, [
      'MY_DB_PORT=tcp://10.0.0.2:5432',
      'MY_DB_PORT_5432_TCP=tcp://10.0.0.2:5432',
      'MY_DB_PORT_5432_TCP_ADDR=10.0.0.2',
      'MY_DB_PORT_5432_TCP_PORT=5432',
      'MY_DB_PORT_5432_TCP_PROTO=tcp',
      'MY_DB_PORT_5433_TCP=tcp://10.0.0.2:5433',
      'MY_DB_PORT_5433_TCP_ADDR=10.0.0.2',
      'MY_DB_PORT_5433_TCP_PORT=5433',
      'MY_DB_PORT_5433_TCP_PROTO=tcp',
      'MY_DB_PORT_8000_UDP=udp://10.0.0.2:8000',
      'MY_DB_PORT_8000_UDP_ADDR=10.0.0.2',
      'MY_DB_PORT_8000_UDP_PORT=8000',
      'MY_DB_PORT_8000_UDP_PROTO=udp',
      // moby gives a range once the next port has broken it: after that port's own variables.
      'MY_DB_PORT_5432_TCP_START=tcp://10.0.0.2:5432',
      'MY_DB_PORT_5432_TCP_PORT_START=5432',
      'MY_DB_PORT_5432_TCP_END=tcp://10.0.0.2:5433',
      'MY_DB_PORT_5432_TCP_PORT_END=5433',
      'MY_DB_PORT_8001_UDP=udp://10.0.0.2:8001',
      'MY_DB_PORT_8001_UDP_ADDR=10.0.0.2',
      'MY_DB_PORT_8001_UDP_PORT=8001',
      'MY_DB_PORT_8001_UDP_PROTO=udp',
      'MY_DB_PORT_8000_UDP_START=udp://10.0.0.2:8000',
      'MY_DB_PORT_8000_UDP_PORT_START=8000',
      'MY_DB_PORT_8000_UDP_END=udp://10.0.0.2:8001',
      'MY_DB_PORT_8000_UDP_PORT_END=8001',
      'MY_DB_NAME=/app/my-db',
      'MY_DB_ENV_PASS=a=b',
    ]);
    assert.deepEqual(linkEnv({ alias: 'db', linkName: '/app/db', childIp: '10.0.0.2', childEnv: null, exposed: null }), ['DB_NAME=/app/db']);
  });

  test('the hosts line names the alias, the hostname, and the name when the alias is another', () => {
    assert.equal(linkHostsLine({ alias: 'database', childName: 'db', childHostname: 'abc', childIp: '10.0.0.2' }), '10.0.0.2\tdatabase abc db\n');
    assert.equal(linkHostsLine({ alias: 'db', childName: 'db', childHostname: 'abc', childIp: '10.0.0.2' }), '10.0.0.2\tdb abc\n');
  });
});
