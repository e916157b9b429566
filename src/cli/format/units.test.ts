import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDuration } from '../../compose/loader/units.js';
import { parseGoDuration } from './units.js';

// Both parsers spell micro-seconds with escapes (the CLI's bundle is ASCII): the spellings users type still parse.
describe('durations in micro-seconds', () => {
  it('parse in Go duration flags (--since, --until), with either mu', () => {
    assert.equal(parseGoDuration('1500us'), 1.5);
    assert.equal(parseGoDuration('1500µs'), 1.5);
    assert.equal(parseGoDuration('1500μs'), 1.5);
    assert.equal(parseGoDuration('1m2s3µs'), 62_000.003);
  });

  it('parse in compose files, with either mu', () => {
    assert.equal(parseDuration('1500us'), 1_500_000);
    assert.equal(parseDuration('1500µs'), 1_500_000);
    assert.equal(parseDuration('1500μs'), 1_500_000);
    assert.equal(parseDuration('2s500µs'), 2_000_500_000);
  });
});
