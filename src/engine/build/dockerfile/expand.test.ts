import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShellExpansionError, ShellLexer, envFromList } from './expand.js';

const env = envFromList(['PWD=/home', 'SHELL=bash', 'KOREAN=한국어', 'EMPTY=', 'PATH_=/usr/local/bin:/usr/bin', 'SPACED=a b  c']);
const lex = new ShellLexer();
const word = (s: string, e = env): string => lex.processWord(s, e);

test('plain, braced and unknown variables', () => {
  assert.equal(word('$PWD'), '/home');
  assert.equal(word('${PWD}'), '/home');
  assert.equal(word('x${PWD}y'), 'x/homey');
  assert.equal(word('$PWDx'), '');
  assert.equal(word('${PWD}x'), '/homex');
  assert.equal(word('$UNSET'), '');
  assert.equal(word('$KOREAN'), '한국어');
  assert.equal(word('a$'), 'a$');
  assert.equal(word('$.x'), '$.x');
});

test('default, alternative and error forms', () => {
  assert.equal(word('${UNSET:-def}'), 'def');
  assert.equal(word('${EMPTY:-def}'), 'def');
  assert.equal(word('${EMPTY-def}'), '');
  assert.equal(word('${UNSET-def}'), 'def');
  assert.equal(word('${PWD:-def}'), '/home');
  assert.equal(word('${PWD:+alt}'), 'alt');
  assert.equal(word('${EMPTY:+alt}'), '');
  assert.equal(word('${EMPTY+alt}'), 'alt');
  assert.equal(word('${UNSET+alt}'), '');
  assert.equal(word('${PWD:?msg}'), '/home');
  assert.throws(() => word('${UNSET:?must be set}'), (e: Error) => e instanceof ShellExpansionError && /UNSET: must be set/.test(e.message));
  assert.throws(() => word('${UNSET?}'), /UNSET: is not allowed to be unset/);
  assert.throws(() => word('${EMPTY:?}'), /EMPTY: is not allowed to be empty/);
  assert.equal(word('${EMPTY?}'), '');
});

test('nested expansions inside modifiers', () => {
  assert.equal(word('${UNSET:-${PWD}/x}'), '/home/x');
  assert.equal(word('${UNSET:-${ALSO:-deep}}'), 'deep');
  assert.equal(word('${PWD:+[$SHELL]}'), '[bash]');
  assert.equal(word('${UNSET:-"quoted value"}'), 'quoted value');
});

test('prefix and suffix removal, shortest and longest', () => {
  const e = envFromList(['F=dir/sub/file.tar.gz']);
  assert.equal(word('${F#*/}', e), 'sub/file.tar.gz');
  assert.equal(word('${F##*/}', e), 'file.tar.gz');
  assert.equal(word('${F%.*}', e), 'dir/sub/file.tar');
  assert.equal(word('${F%%.*}', e), 'dir/sub/file');
  assert.equal(word('${F#nomatch}', e), 'dir/sub/file.tar.gz');
  assert.equal(word('${F%?z}', e), 'dir/sub/file.tar.');
  assert.equal(word('${UNSET#x}', e), '');
  const star = envFromList(['S=a*b*c']);
  assert.equal(word('${S#a\\*}', star), 'b*c');
  assert.throws(() => word('${F:#x}', e), /unsupported modifier \(:#\)/);
});

test('pattern substitution', () => {
  const e = envFromList(['V=aXbXc']);
  assert.equal(word('${V/X/-}', e), 'a-bXc');
  assert.equal(word('${V//X/-}', e), 'a-b-c');
  assert.equal(word('${V//?X/}', e), 'c');
  assert.equal(word('${V/nomatch/-}', e), 'aXbXc');
});

test('quotes and escapes', () => {
  assert.equal(word("'$PWD'"), '$PWD');
  assert.equal(word('"$PWD"'), '/home');
  assert.equal(word('\\$PWD'), '$PWD');
  assert.equal(word('"\\$PWD"'), '$PWD');
  assert.equal(word('"a\\"b"'), 'a"b');
  assert.equal(word('"a\\nb"'), 'a\\nb');
  assert.equal(word("'a\\b'"), 'a\\b');
  assert.equal(word('a\\ b'), 'a b');
  assert.equal(word('he said "hi $SHELL"'), 'he said hi bash');
  assert.equal(word('"it\'s"'), "it's");
  assert.equal(word('trailing\\'), 'trailing');
  assert.throws(() => word("'open"), /matching single-quote/);
  assert.throws(() => word('"open'), /matching double-quote/);
});

test('backtick escape token', () => {
  const tick = new ShellLexer({ escapeToken: '`' });
  assert.equal(tick.processWord('`$PWD', env), '$PWD');
  assert.equal(tick.processWord('C:\\path\\$SHELL', env), 'C:\\path\\bash');
  assert.equal(tick.processWord('"a`"b"', env), 'a"b');
});

test('syntax errors', () => {
  assert.throws(() => word('${PWD'), /missing '}'/);
  assert.throws(() => word('${}'), /bad substitution/);
  assert.throws(() => word('${:-x}'), /bad substitution/);
  assert.throws(() => word('${PWD!x}'), /unsupported modifier/);
  assert.throws(() => word('${UNSET:-x'), /missing '}'/);
});

test('processWords splits after expansion, respecting quotes', () => {
  assert.deepEqual(lex.processWords('a  b c', env), ['a', 'b', 'c']);
  assert.deepEqual(lex.processWords('$SPACED', env), ['a', 'b', 'c']);
  assert.deepEqual(lex.processWords('"$SPACED" x', env), ['a b  c', 'x']);
  assert.deepEqual(lex.processWords("'a b' \"c d\" e\\ f", env), ['a b', 'c d', 'e f']);
  assert.deepEqual(lex.processWords('  ', env), []);
  assert.deepEqual(lex.processWords('"" x', env), ['x']);
});

test('matched and unmatched variables are reported', () => {
  const r = lex.process('$PWD ${NOPE:-x} $SHELL', env);
  assert.deepEqual([...r.matched].sort(), ['PWD', 'SHELL']);
  assert.deepEqual([...r.unmatched], ['NOPE']);
});

test('skipUnsetEnv keeps unknown references and raw modes keep quotes', () => {
  const keep = new ShellLexer({ skipUnsetEnv: true });
  assert.equal(keep.processWord('$X ${Y} ${Z:-d} $PWD', env), '$X ${Y} ${Z:-d} /home');
  const raw = new ShellLexer({ rawQuotes: true, rawEscapes: true });
  assert.equal(raw.processWord(`'a' "b" \\c`, env), `'a' "b" \\c`);
  assert.deepEqual(raw.processWords('cat <<EOF >out', env), ['cat', '<<EOF', '>out']);
  assert.deepEqual(raw.processWords('cat << "EOF"', env), ['cat', '<< "EOF"']);
});
