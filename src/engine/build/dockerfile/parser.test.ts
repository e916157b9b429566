import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DockerfileParseError } from './errors.js';
import { parseDockerfile, parseHeredoc, parseWords, extractFlags } from './parser.js';

const parse = (text: string) => parseDockerfile(text);

test('directives at the top: syntax, escape, check', () => {
  const ast = parse('# syntax=docker/dockerfile:1\n# escape=`\n# check=skip=all\nFROM busybox\n');
  assert.equal(ast.directives.syntax, 'docker/dockerfile:1');
  assert.equal(ast.directives.check, 'skip=all');
  assert.equal(ast.escapeToken, '`');
  assert.equal(ast.nodes.length, 1);
  assert.equal(ast.nodes[0]!.startLine, 4);
});

test('directives are case-insensitive and tolerate spaces', () => {
  assert.equal(parse('#  ESCAPE = `\nFROM a\n').escapeToken, '`');
});

test('directives after a comment, blank line or instruction are plain comments', () => {
  assert.equal(parse('# hello\n# escape=`\nFROM a\n').escapeToken, '\\');
  assert.equal(parse('\n# escape=`\nFROM a\n').escapeToken, '\\');
  assert.equal(parse('FROM a\n# escape=`\nRUN x\n').escapeToken, '\\');
  assert.equal(parse('# unknown=x\n# escape=`\nFROM a\n').escapeToken, '\\');
});

test('directive errors', () => {
  assert.throws(() => parse('# escape=x\nFROM a\n'), /Dockerfile:1: invalid escape token 'x'/);
  assert.throws(() => parse('# escape=`\n# escape=\\\nFROM a\n'), /Dockerfile:2: only one escape parser directive can be used/);
});

test('backslash continuation joins lines and keeps line ranges', () => {
  const ast = parse('FROM a\nRUN echo a \\\n  b \\\n  c\nCMD x\n');
  const run = ast.nodes[1]!;
  assert.equal(run.original, 'RUN echo a   b   c');
  assert.deepEqual([run.startLine, run.endLine], [2, 4]);
  assert.equal(ast.nodes[2]!.startLine, 5);
});

test('backtick continuation after escape directive; backslash is then literal', () => {
  const ast = parse('# escape=`\nFROM a\nRUN dir c:\\ `\n  && echo hi\nWORKDIR c:\\windows\\\n');
  assert.equal(ast.nodes[1]!.original, 'RUN dir c:\\   && echo hi');
  assert.deepEqual(ast.nodes[2]!.args, ['c:\\windows\\']);
});

test('comments and empty lines inside continuations are dropped (empty lines warn)', () => {
  const ast = parse('FROM a\nRUN echo one \\\n# a comment\n  # indented comment\n\n  two\n');
  assert.equal(ast.nodes[1]!.original, 'RUN echo one   two');
  assert.deepEqual([ast.nodes[1]!.startLine, ast.nodes[1]!.endLine], [2, 6]);
  assert.equal(ast.warnings.length, 1);
  assert.match(ast.warnings[0]!.message, /Empty continuation line/);
});

test('continuation at end of file and escaped escape', () => {
  const ast = parse('FROM a\nRUN echo \\');
  assert.equal(ast.nodes[1]!.original, 'RUN echo ');
  // an escaped escape at the end is not a continuation
  const two = parse('FROM a\nRUN echo \\\\\nRUN next\n');
  assert.equal(two.nodes.length, 3);
});

test('comments before instructions are kept, CRLF and BOM handled', () => {
  const ast = parse('\uFEFF# first\r\nFROM a\r\n# about run\r\nRUN x\r\n');
  assert.deepEqual(ast.nodes[0]!.comments, ['first']);
  assert.deepEqual(ast.nodes[1]!.comments, ['about run']);
  assert.equal(ast.nodes[1]!.original, 'RUN x');
});

test('keywords are case-insensitive and upper-cased', () => {
  const ast = parse('from a\nrun x\n');
  assert.deepEqual(ast.nodes.map((n) => n.keyword), ['FROM', 'RUN']);
});

test('exec form vs shell form', () => {
  const ast = parse('FROM a\nRUN ["echo", "hi there"]\nRUN echo ["x"]\nCMD [ "a" ]  \nRUN ["broken"\nENTRYPOINT []\n');
  assert.deepEqual([ast.nodes[1]!.json, ast.nodes[1]!.args], [true, ['echo', 'hi there']]);
  assert.deepEqual([ast.nodes[2]!.json, ast.nodes[2]!.args], [false, ['echo ["x"]']]);
  assert.deepEqual([ast.nodes[3]!.json, ast.nodes[3]!.args], [true, ['a']]);
  assert.deepEqual([ast.nodes[4]!.json, ast.nodes[4]!.args], [false, ['["broken"']]);
  assert.deepEqual([ast.nodes[5]!.json, ast.nodes[5]!.args], [true, []]);
});

test('JSON arrays of non-strings are errors', () => {
  assert.throws(() => parse('FROM a\nCMD ["a", 1]\n'), (e: Error) =>
    e instanceof DockerfileParseError && e.line === 2 && /arrays must be comprised of strings only/.test(e.message));
});

test('COPY/ADD/VOLUME split on whitespace unless JSON', () => {
  const ast = parse('FROM a\nCOPY a  b\tc /d/\nCOPY ["x y", "/z"]\nVOLUME /a /b\n');
  assert.deepEqual(ast.nodes[1]!.args, ['a', 'b', 'c', '/d/']);
  assert.deepEqual(ast.nodes[2]!.args, ['x y', '/z']);
  assert.deepEqual(ast.nodes[3]!.args, ['/a', '/b']);
});

test('flags are split off, quotes removed, repeated mounts kept', () => {
  const ast = parse('FROM --platform=$BUILDPLATFORM golang AS build\nRUN --mount=type=cache,target=/c --mount="type=secret,id=x" --network=none make\nCOPY --from=build --chown=1:1 --chmod=755 --link /a /b\n');
  assert.deepEqual(ast.nodes[0]!.flags, ['--platform=$BUILDPLATFORM']);
  assert.deepEqual(ast.nodes[0]!.args, ['golang', 'AS', 'build']);
  assert.deepEqual(ast.nodes[1]!.flags, ['--mount=type=cache,target=/c', '--mount=type=secret,id=x', '--network=none']);
  assert.deepEqual(ast.nodes[1]!.args, ['make']);
  assert.deepEqual(ast.nodes[2]!.flags, ['--from=build', '--chown=1:1', '--chmod=755', '--link']);
  assert.deepEqual(extractFlags('-- --notflag x', '\\'), { flags: [], rest: ' --notflag x' });
  assert.deepEqual(extractFlags('--a=1 -b', '\\'), { flags: ['--a=1'], rest: '-b' });
});

test('ENV and LABEL: both forms', () => {
  const ast = parse('FROM a\nENV A=1 B="two words" C=three\\ words\nENV LEGACY value with spaces\nLABEL "com.x"="y" z=\n');
  assert.deepEqual(ast.nodes[1]!.keyValues, [
    { key: 'A', value: '1', hasEquals: true },
    { key: 'B', value: '"two words"', hasEquals: true },
    { key: 'C', value: 'three\\ words', hasEquals: true },
  ]);
  assert.deepEqual(ast.nodes[2]!.keyValues, [{ key: 'LEGACY', value: 'value with spaces', hasEquals: false }]);
  assert.deepEqual(ast.nodes[3]!.keyValues, [{ key: '"com.x"', value: '"y"', hasEquals: true }, { key: 'z', value: '', hasEquals: true }]);
  assert.throws(() => parse('FROM a\nENV ONLYNAME\n'), /Dockerfile:2: ENV must have two arguments/);
  assert.throws(() => parse('FROM a\nENV A=1 B\n'), /can't find = in "B"/);
});

test('parseWords keeps quotes and escapes for later expansion', () => {
  assert.deepEqual(parseWords(`a "b c" 'd e' f\\ g ""`, '\\'), ['a', '"b c"', "'d e'", 'f\\ g', '""']);
});

test('HEALTHCHECK and ONBUILD shapes', () => {
  const ast = parse('FROM a\nHEALTHCHECK --interval=5s CMD ["curl", "x"]\nHEALTHCHECK NONE\nONBUILD RUN echo hi\n');
  assert.deepEqual([ast.nodes[1]!.args, ast.nodes[1]!.json, ast.nodes[1]!.flags], [['CMD', 'curl', 'x'], true, ['--interval=5s']]);
  assert.deepEqual(ast.nodes[2]!.args, ['NONE']);
  assert.equal(ast.nodes[3]!.child?.keyword, 'RUN');
  assert.deepEqual(ast.nodes[3]!.child?.args, ['echo hi']);
});

test('heredocs: RUN, multiple, quoted delimiters, <<- and fd prefixes', () => {
  const text = [
    'FROM a',
    'RUN <<EOF',
    'echo $HOME',
    'EOF',
    'RUN <<"ONE" cat - && 3<<-TWO cat /dev/fd/3',
    'first',
    'ONE',
    '\tsecond',
    '\tTWO',
    "COPY <<'A' <<B /dest/",
    'a',
    'A',
    'b',
    'B',
    'CMD done',
  ].join('\n') + '\n';
  const ast = parse(text);
  const [, run1, run2, copy, cmd] = ast.nodes;
  assert.deepEqual(run1!.heredocs, [{ name: 'EOF', fileDescriptor: 0, expand: true, chomp: false, content: 'echo $HOME\n' }]);
  assert.deepEqual([run1!.startLine, run1!.endLine], [2, 4]);
  assert.deepEqual(run2!.heredocs.map((h) => [h.name, h.expand, h.chomp, h.fileDescriptor, h.content]), [
    ['ONE', false, false, 0, 'first\n'],
    ['TWO', true, true, 3, '\tsecond\n'],
  ]);
  assert.deepEqual(copy!.heredocs.map((h) => [h.name, h.expand, h.content]), [['A', false, 'a\n'], ['B', true, 'b\n']]);
  assert.equal(cmd!.startLine, 15);
});

test('heredoc edge cases', () => {
  assert.throws(() => parse('FROM a\nRUN <<EOF\necho\n'), /Dockerfile:2: unterminated heredoc/);
  // JSON form and non-heredoc instructions do not take heredocs
  const ast = parse('FROM a\nRUN ["cat", "<<EOF"]\nENV A=<<EOF\n');
  assert.equal(ast.nodes.length, 3);
  assert.equal(ast.nodes[1]!.heredocs.length, 0);
  // quoted "<<EOF" in shell form is not a heredoc
  assert.equal(parse('FROM a\nRUN echo "<<EOF"\n').nodes[1]!.heredocs.length, 0);
  // ONBUILD RUN with heredoc attaches to the ONBUILD node
  assert.equal(parse('FROM a\nONBUILD RUN <<EOF\nx\nEOF\n').nodes[1]!.heredocs[0]!.content, 'x\n');
  assert.equal(parseHeredoc('<<EOF')?.name, 'EOF');
  assert.equal(parseHeredoc('<<E"O"F')?.expand, false);
  assert.equal(parseHeredoc('<<'), undefined);
  assert.equal(parseHeredoc('x<<EOF'), undefined);
});

test('unknown instruction errors carry file name, line and a suggestion', () => {
  assert.throws(() => parseDockerfile('FROM a\n\nRUN x\n\n\n\nFROMM b\n', { fileName: 'build/Dockerfile.dev' }), (e: unknown) => {
    assert.ok(e instanceof DockerfileParseError);
    assert.equal(e.status, 400);
    assert.equal(e.fileName, 'build/Dockerfile.dev');
    assert.equal(e.line, 7);
    assert.equal(e.message, 'build/Dockerfile.dev:7: unknown instruction: FROMM (did you mean FROM?)');
    return true;
  });
  assert.throws(() => parse('FROM a\ncopy x y\nfoobar x\n'), { message: 'Dockerfile:3: unknown instruction: foobar' });
  assert.throws(() => parse('FROM a\nrunn x\n'), { message: 'Dockerfile:2: unknown instruction: runn (did you mean run?)' });
  assert.throws(() => parse('FROM a\nONBUILD FOO x\n'), /Dockerfile:2: unknown instruction: FOO/);
});

test('empty files are errors', () => {
  assert.throws(() => parse(''), /file with no instructions/);
  assert.throws(() => parse('# only a comment\n\n'), /file with no instructions/);
});
