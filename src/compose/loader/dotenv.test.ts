import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DotenvError, parseDotenv } from './dotenv.js';

describe('parseDotenv', () => {
  it('reads plain, exported, quoted and commented lines', () => {
    const text = [
      '# a comment',
      '',
      'PLAIN=value',
      'export EXPORTED=yes',
      'SPACED =  padded   ',
      'INLINE=value # trailing comment',
      'HASH=a#b',
      "SINGLE='literal $PLAIN \\n'",
      'DOUBLE="line\\tone\\n\\"quoted\\""',
      'EMPTY=',
    ].join('\n');
    assert.deepEqual(parseDotenv(text), {
      PLAIN: 'value',
      EXPORTED: 'yes',
      SPACED: 'padded',
      INLINE: 'value',
      HASH: 'a#b',
      SINGLE: 'literal $PLAIN \\n',
      DOUBLE: 'line\tone\n"quoted"',
      EMPTY: '',
    });
  });
  it('supports multi-line double-quoted values and keeps counting lines', () => {
    const parsed = parseDotenv('CERT="-----BEGIN\nabc\n-----END"\nNEXT=1\n');
    assert.equal(parsed.CERT, '-----BEGIN\nabc\n-----END');
    assert.equal(parsed.NEXT, '1');
    assert.throws(() => parseDotenv('A="x\ny\n1BAD=2\n'), DotenvError);
    try {
      parseDotenv('A="one\ntwo"\nB=1\n9X=3\n');
      assert.fail('expected an error');
    } catch (err) {
      assert.ok(err instanceof DotenvError);
      assert.equal(err.line, 4);
    }
  });
  it('interpolates unquoted and double-quoted values, shell first, then earlier lines', () => {
    const parsed = parseDotenv('BASE=/opt\nDIR=${BASE}/app\nQ="$BASE/q"\nS=\'$BASE\'\nFROM_SHELL=${HOME}\nDEF=${NOPE:-d}\nESC="\\$BASE"', {
      lookup: (n) => (n === 'HOME' ? '/home/u' : undefined),
    });
    assert.deepEqual(parsed, { BASE: '/opt', DIR: '/opt/app', Q: '/opt/q', S: '$BASE', FROM_SHELL: '/home/u', DEF: 'd', ESC: '$BASE' });
  });
  it('takes a bare KEY from the lookup, or leaves it out', () => {
    assert.deepEqual(parseDotenv('USER\nMISSING\n', { lookup: (n) => (n === 'USER' ? 'me' : undefined) }), { USER: 'me' });
  });
  it('rejects bad variable names', () => {
    assert.throws(() => parseDotenv('GOOD=1\nBAD KEY=2'), /unexpected character/);
  });
});
