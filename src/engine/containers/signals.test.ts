import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidParameterError } from '../../util/errors.js';
import { checkSignal, isValidSignal, signalNumber } from './signals.js';

test('signals by number, name and real-time offset, numbered as Linux does', () => {
  assert.equal(signalNumber('9'), 9);
  assert.equal(signalNumber('KILL'), 9);
  assert.equal(signalNumber('sighup'), 1);
  assert.equal(signalNumber('SIGTERM'), 15);
  assert.equal(signalNumber('RTMIN'), 34);
  assert.equal(signalNumber('RTMIN+2'), 36);
  assert.equal(signalNumber('SIGRTMAX-1'), 63);
  assert.ok(isValidSignal('usr1') && !isValidSignal('BOGUS') && !isValidSignal('0'));
});

test("what may be sent, in moby's words", () => {
  for (const ok of ['HUP', '1', '31', '34', '64', 'RTMIN+1']) checkSignal(ok);
  assert.throws(() => checkSignal('0'), { name: InvalidParameterError.name, message: 'Invalid signal: 0' });
  assert.throws(() => checkSignal('BOGUS'), { message: 'Invalid signal: BOGUS' });
  for (const n of ['32', '33', '65', '-1']) assert.throws(() => checkSignal(n), { message: `the linux daemon does not support signal ${n}` });
});
