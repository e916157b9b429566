import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyChanges } from './changes.js';

test('--change applies config instructions in order', () => {
  const c = applyChanges({ Env: ['PATH=/bin'] }, [
    'CMD ["/bin/sh", "-c", "echo hi"]',
    'ENV A=1 B="two words"',
    'ENV C=$A-x',
    'EXPOSE 80 53/udp',
    'LABEL org.example=yes',
    'WORKDIR /srv',
    'WORKDIR app',
    'USER 1000:1000',
    'VOLUME /data',
    'STOPSIGNAL SIGINT',
    'ENTRYPOINT top -b',
    'HEALTHCHECK --interval=5s --retries=2 CMD true',
    'ONBUILD RUN make',
  ]);
  assert.deepEqual(c.Cmd, ['/bin/sh', '-c', 'echo hi']);
  assert.deepEqual(c.Env, ['PATH=/bin', 'A=1', 'B=two words', 'C=1-x']);
  assert.deepEqual(c.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
  assert.deepEqual(c.Labels, { 'org.example': 'yes' });
  assert.equal(c.WorkingDir, '/srv/app');
  assert.equal(c.User, '1000:1000');
  assert.deepEqual(c.Volumes, { '/data': {} });
  assert.equal(c.StopSignal, 'SIGINT');
  assert.deepEqual(c.Entrypoint, ['/bin/sh', '-c', 'top -b']);
  assert.deepEqual(c.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 5e9, Retries: 2 });
  assert.deepEqual(c.OnBuild, ['RUN make']);
});

test('instructions that change the filesystem are refused', () => {
  assert.throws(() => applyChanges({}, ['RUN echo hi']), /: run is not a valid change command$/);
  assert.throws(() => applyChanges({}, ['FROM busybox']), /: from is not a valid change command$/);
  assert.throws(() => applyChanges({}, ['EXPOSE 99999']), /invalid port/);
});
