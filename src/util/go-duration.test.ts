import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidParameterError } from './errors.js';
import { formatGoDuration, parseGoDuration } from './go-duration.js';

describe('parseGoDuration', () => {
  it('reads what time.ParseDuration reads, in nanoseconds', () => {
    assert.equal(parseGoDuration('30s'), 30e9);
    assert.equal(parseGoDuration('1h30m'), 5400e9);
    assert.equal(parseGoDuration('1h2m3.5s'), 3723.5e9);
    assert.equal(parseGoDuration('1.5h'), 5400e9);
    assert.equal(parseGoDuration('300ms'), 300e6);
    assert.equal(parseGoDuration('10ns'), 10);
    assert.equal(parseGoDuration('.5s'), 0.5e9);
    assert.equal(parseGoDuration('1.s'), 1e9);
    assert.equal(parseGoDuration('0'), 0);
    assert.equal(parseGoDuration('-2m'), -120e9);
    assert.equal(parseGoDuration('+2m'), 120e9);
  });

  it('takes microseconds in all three spellings (us, the micro sign, the Greek mu)', () => {
    assert.equal(parseGoDuration('1500us'), 1.5e6);
    assert.equal(parseGoDuration('1500\u00b5s'), 1.5e6);
    assert.equal(parseGoDuration('1500\u03bcs'), 1.5e6);
    assert.equal(parseGoDuration('1m2s3\u00b5s'), 62_000_003_000);
  });

  it("refuses what Go refuses, with Go's message, as a 400", () => {
    const cases: [string, string][] = [
      ['', 'time: invalid duration ""'],
      ['-', 'time: invalid duration "-"'],
      ['abc', 'time: invalid duration "abc"'],
      ['.s', 'time: invalid duration ".s"'],
      ['1h 30m', 'time: unknown unit "h " in duration "1h 30m"'],
      ['30', 'time: missing unit in duration "30"'],
      ['1m30', 'time: missing unit in duration "1m30"'],
      ['5x', 'time: unknown unit "x" in duration "5x"'],
      ['3000000h', 'time: invalid duration "3000000h"'],
    ];
    for (const [text, message] of cases) {
      assert.throws(
        () => parseGoDuration(text),
        (err: unknown) => err instanceof InvalidParameterError && err.status === 400 && err.message === message,
        text,
      );
    }
  });
});

describe('formatGoDuration', () => {
  it("writes what Duration.String() writes", () => {
    assert.equal(formatGoDuration(0), '0s');
    assert.equal(formatGoDuration(500), '500ns');
    assert.equal(formatGoDuration(1500), '1.5\u00b5s');
    assert.equal(formatGoDuration(500e6), '500ms');
    assert.equal(formatGoDuration(1.5e9), '1.5s');
    assert.equal(formatGoDuration(90e9), '1m30s');
    assert.equal(formatGoDuration(3600e9), '1h0m0s');
    assert.equal(formatGoDuration(-90e9), '-1m30s');
  });

  it('writes what it reads back as the same duration', () => {
    for (const ns of [1, 999, 1234, 5e8, 61e9, 3723.5e9]) assert.equal(parseGoDuration(formatGoDuration(ns)), ns);
  });
});
