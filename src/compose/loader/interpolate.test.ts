import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InterpolationError, substitute } from './interpolate.js';

const env: Record<string, string> = { NAME: 'web', EMPTY: '', PORT: '8080' };
const run = (template: string, unset: string[] = []): string => substitute(template, { lookup: (n) => env[n], onUnset: (n) => unset.push(n) });

describe('substitute', () => {
  it('replaces $VAR and ${VAR}', () => {
    assert.equal(run('$NAME-${PORT}'), 'web-8080');
    assert.equal(run('x${NAME}y'), 'xweby');
  });
  it('handles :- and - defaults', () => {
    assert.equal(run('${MISSING:-def}'), 'def');
    assert.equal(run('${EMPTY:-def}'), 'def');
    assert.equal(run('${EMPTY-def}'), '');
    assert.equal(run('${MISSING-def}'), 'def');
    assert.equal(run('${NAME:-def}'), 'web');
  });
  it('handles :+ and + alternatives', () => {
    assert.equal(run('${NAME:+alt}'), 'alt');
    assert.equal(run('${EMPTY:+alt}'), '');
    assert.equal(run('${EMPTY+alt}'), 'alt');
    assert.equal(run('${MISSING+alt}'), '');
  });
  it('evaluates nested defaults', () => {
    assert.equal(run('${MISSING:-${OTHER:-${PORT}}}'), '8080');
    assert.equal(run('${MISSING:-prefix-$NAME}'), 'prefix-web');
  });
  it('turns $$ into a literal $ and does not expand after it', () => {
    assert.equal(run('cost $$5 and $${NAME}'), 'cost $5 and ${NAME}');
  });
  it('errors for :? and ? with the message', () => {
    assert.throws(() => run('${MISSING:?it is required}'), (e: Error) => e instanceof InterpolationError && e.message === 'required variable MISSING is missing a value: it is required');
    assert.throws(() => run('${EMPTY:?need}'), /EMPTY is missing a value: need/);
    assert.equal(run('${EMPTY?need}'), '');
    assert.throws(() => run('${MISSING?need $NAME}'), /need web/);
  });
  it('reports unset variables and uses an empty string', () => {
    const unset: string[] = [];
    assert.equal(run('a${NOPE}b$ALSO_NOPE', unset), 'ab');
    assert.deepEqual(unset, ['NOPE', 'ALSO_NOPE']);
  });
  it('does not report a variable that has a default', () => {
    const unset: string[] = [];
    run('${NOPE:-x}', unset);
    assert.deepEqual(unset, []);
  });
  it('rejects malformed templates', () => {
    assert.throws(() => run('${NAME'), /unclosed/);
    assert.throws(() => run('${1BAD}'), /invalid interpolation format/);
    assert.throws(() => run('a $ b'), /invalid interpolation format/);
    assert.throws(() => run('${NAME!x}'), /invalid interpolation format/);
  });
});
