import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidParameterError } from './errors.js';
import { parseTime } from './filters.js';

describe('parseTime (until= and since= filters)', () => {
  const now = Date.parse('2026-01-02T03:04:05Z');

  it('takes Unix seconds, RFC 3339 dates and Go durations back from now', () => {
    assert.equal(parseTime('1700000000.5', now), 1700000000.5);
    assert.equal(parseTime('2026-01-01T00:00:00Z', now), Date.parse('2026-01-01T00:00:00Z') / 1000);
    assert.equal(parseTime('10m', now), now / 1000 - 600);
    assert.equal(parseTime('1h30m', now), now / 1000 - 5400);
    assert.equal(parseTime('1500\u03bcs', now), (now - 1.5) / 1000);
  });

  it('refuses anything else as a 400', () => {
    assert.throws(() => parseTime('yesterday', now), { name: 'InvalidParameterError', message: 'failed to parse value as time or duration: "yesterday"' });
    assert.throws(() => parseTime('10x', now), InvalidParameterError);
  });
});
