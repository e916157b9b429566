// Unit tests of the formatting layer, with examples from docker's documentation and Go's fmt.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { goPrecisionG, goSprint, goSprintf } from '../../src/cli/format/gofmt.js';
import { imageRows } from '../../src/cli/format/images.js';
import { renderList } from '../../src/cli/format/output.js';
import { tabwrite } from '../../src/cli/format/tabwriter.js';
import { compileTemplate, TemplateError } from '../../src/cli/format/template.js';
import { bytesSize, fromHumanSize, humanDuration, humanSize, humanSizeWithPrecision, ramInBytes } from '../../src/cli/format/units.js';

const render = (tmpl: string, data: unknown) => compileTemplate(tmpl).execute(data);

const inspect = {
  Id: 'sha256:abc',
  Name: '/web',
  Config: { Cmd: ['sh', '-c', 'echo hi'], Env: ['A=1', 'B=2'], Labels: { 'com.example.b': '2', 'com.example.a': '1' }, Tty: false, Entrypoint: null },
  NetworkSettings: { Networks: { bridge: { IPAddress: '172.17.0.2', MacAddress: '02:42:ac:11:00:02' } }, Ports: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }] } },
  State: { Status: 'running', ExitCode: 0, Pid: 4242 },
  HostConfig: { LogConfig: { Type: 'json-file' }, Memory: 536870912 },
  Mounts: [],
};

describe('templates (docker documentation examples)', () => {
  it('fields, chains and Go value printing', () => {
    assert.equal(render('{{.Name}}', inspect), '/web');
    assert.equal(render('{{.Config.Cmd}}', inspect), '[sh -c echo hi]');
    assert.equal(render('{{.Config.Labels}}', inspect), 'map[com.example.a:1 com.example.b:2]');
    assert.equal(render('{{.Config.Entrypoint}}', inspect), '<nil>');
    assert.equal(render('{{.Missing}}', inspect), '<no value>');
    assert.equal(render('{{.State.Pid}} {{.HostConfig.Memory}} {{.Config.Tty}}', inspect), '4242 536870912 false');
    assert.equal(render('{{.Mounts}}', inspect), '[]');
    assert.equal(render('{{.}}', 1.5), '1.5');
    assert.throws(() => render('{{.Name.Foo}}', inspect), /can't evaluate field Foo in type string/);
  });

  it('json, join, split, upper, lower, title, pad, truncate, len, index', () => {
    assert.equal(render('{{json .Config}}', { Config: { Cmd: ['a'], X: '<b>' } }), '{"Cmd":["a"],"X":"<b>"}');
    assert.equal(render('{{.Config.Cmd | json}}', inspect), '["sh","-c","echo hi"]');
    assert.equal(render('{{join .Config.Env ","}}', inspect), 'A=1,B=2');
    assert.equal(render('{{split .Name "e"}}', inspect), '[/w b]');
    assert.equal(render('{{upper .State.Status}} {{lower "ABC"}} {{title "hello world"}}', inspect), 'RUNNING abc Hello World');
    assert.equal(render('{{pad .State.Status 2 1}}|', inspect), '  running |');
    assert.equal(render('{{truncate .Id 5}}', inspect), 'sha25');
    assert.equal(render('{{len .Config.Env}} {{index .Config.Env 1}}', inspect), '2 B=2');
    assert.equal(render('{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostPort}}', inspect), '8080');
    assert.equal(render('{{index .Config.Labels "com.example.a"}}', inspect), '1');
    assert.equal(render('{{.Name | printf "%s-%d" | upper}}', { Name: 'x' }), 'X-%!D(MISSING)');
    assert.equal(render('{{printf "%s-%d" .Name .N}}', { Name: 'x', N: 7 }), 'x-7');
  });

  it('range, if/else, with, variables, println and trim markers', () => {
    assert.equal(render('{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', inspect), '172.17.0.2');
    assert.equal(render('{{range $p, $conf := .NetworkSettings.Ports}}{{$p}} -> {{(index $conf 0).HostPort}} {{end}}', inspect), '80/tcp -> 8080 ');
    assert.equal(render('{{range $i, $e := .Config.Env}}{{if $i}},{{end}}{{$e}}{{end}}', inspect), 'A=1,B=2');
    assert.equal(render('{{range .Mounts}}x{{else}}none{{end}}', inspect), 'none');
    assert.equal(render('{{if .Config.Tty}}tty{{else if eq .State.Status "running"}}up{{else}}down{{end}}', inspect), 'up');
    assert.equal(render('{{with .HostConfig.LogConfig}}{{.Type}}{{end}}', inspect), 'json-file');
    assert.equal(render('{{$n := .Name}}{{range .Config.Env}}{{$n}}{{end}}', inspect), '/web/web');
    assert.equal(render('{{range .Config.Env}}{{println .}}{{end}}', inspect), 'A=1\nB=2\n');
    assert.equal(render('a  {{- .Name -}}  \n b', inspect), 'a/webb');
    assert.equal(render('{{/* a comment */}}x', inspect), 'x');
    assert.equal(render('{{range .Config.Env}}{{if eq . "B=2"}}{{break}}{{end}}{{.}}{{end}}', inspect), 'A=1');
    assert.equal(render('{{if and .State.Pid (not .Config.Tty)}}yes{{end}}', inspect), 'yes');
    assert.equal(render('{{if or .Config.Tty .Nope}}yes{{else}}no{{end}}', inspect), 'no');
    assert.equal(render('{{if gt .State.Pid 100}}big{{end}}', inspect), 'big');
    assert.equal(render('{{$.Name}}', inspect), '/web');
  });

  it('reports errors like Go', () => {
    assert.throws(() => compileTemplate('{{.A | nosuch}}'), (e: Error) => e instanceof TemplateError && /function "nosuch" not defined/.test(e.message));
    assert.throws(() => compileTemplate('{{if .A}}'), /unexpected EOF/);
    assert.throws(() => compileTemplate('{{end}}'), /unexpected \{\{end\}\}/);
    assert.throws(() => render('{{$x}}', {}), /undefined variable: \$x/);
    assert.throws(() => render('{{eq .A 1}}', { A: 'x' }), /incompatible types for comparison/);
  });
});

describe('Go fmt', () => {
  it('prints values like %v', () => {
    assert.equal(goSprint([1, 'a', [true]]), '[1 a [true]]');
    assert.equal(goSprint({ b: 1, a: { c: null } }), 'map[a:map[c:<nil>] b:1]');
    assert.equal(goSprint(1e21), '1e+21');
    assert.equal(goSprint(0.00001), '1e-05');
  });
  it('%g with precision and printf verbs', () => {
    assert.equal(goPrecisionG(1.985721, 3), '1.99');
    assert.equal(goPrecisionG(999.999, 3), '1e+03');
    assert.equal(goPrecisionG(100, 4), '100');
    assert.equal(goSprintf('%-5s|%5s|%05d|%.2f|%q|%t|%x|%%', ['ab', 'cd', 42, 3.14159, 'q', true, 255]), 'ab   |   cd|00042|3.14|"q"|true|ff|%');
  });
});

describe('go-units', () => {
  it('HumanSize and BytesSize', () => {
    assert.equal(humanSizeWithPrecision(1985721, 3), '1.99MB');
    assert.equal(humanSize(1985721), '1.986MB');
    assert.equal(humanSize(0), '0B');
    assert.equal(humanSize(1000), '1kB');
    assert.equal(humanSize(1024), '1.024kB');
    assert.equal(humanSize(4127000), '4.127MB');
    assert.equal(humanSizeWithPrecision(999999, 3), '1e+03kB');
    assert.equal(bytesSize(25276510208), '23.54GiB');
    assert.equal(bytesSize(1024 * 1024), '1MiB');
  });
  it('HumanDuration', () => {
    const s = 1000;
    assert.equal(humanDuration(500), 'Less than a second');
    assert.equal(humanDuration(1 * s), '1 second');
    assert.equal(humanDuration(47 * s), '47 seconds');
    assert.equal(humanDuration(60 * s), 'About a minute');
    assert.equal(humanDuration(119 * s), 'About a minute');
    assert.equal(humanDuration(3 * 60 * s), '3 minutes');
    assert.equal(humanDuration(35 * 60 * s), '35 minutes');
    assert.equal(humanDuration(60 * 60 * s), 'About an hour');
    assert.equal(humanDuration(89 * 60 * s), 'About an hour');
    assert.equal(humanDuration(91 * 60 * s), '2 hours');
    assert.equal(humanDuration(47 * 3600 * s), '47 hours');
    assert.equal(humanDuration(48 * 3600 * s), '2 days');
    assert.equal(humanDuration(14 * 24 * 3600 * s), '2 weeks');
    assert.equal(humanDuration(61 * 24 * 3600 * s), '2 months');
    assert.equal(humanDuration(3 * 365 * 24 * 3600 * s), '3 years');
  });
  it('RAMInBytes, FromHumanSize and Go durations', () => {
    assert.equal(ramInBytes('512m'), 536870912);
    assert.equal(ramInBytes('1.5g'), 1610612736);
    assert.equal(ramInBytes('64k'), 65536);
    assert.equal(ramInBytes('100'), 100);
    assert.equal(ramInBytes('2GiB'), 2147483648);
    assert.throws(() => ramInBytes('12x'), /invalid size: '12x'/);
    assert.equal(fromHumanSize('1.5kB'), 1500);
  });
});

describe('tables', () => {
  it('tabwriter pads to max(cell+3, 10) and leaves the last cell alone', () => {
    assert.equal(tabwrite('A\tBB\tC\nlonger-cell\tx\tlast\n'), 'A             BB        C\nlonger-cell   x         last\n');
  });
  it('image rows: one per tag, <none> for dangling, digests on demand', () => {
    const now = 1_700_000_120_000;
    const images = [
      { Id: 'sha256:' + 'a'.repeat(64), RepoTags: ['busybox:latest', 'busybox:1', 'reg/x:2'], RepoDigests: ['busybox@sha256:' + 'd'.repeat(64)], Created: 1_700_000_000, Size: 1985721 },
      { Id: 'sha256:' + 'b'.repeat(64), RepoTags: [], RepoDigests: [], Created: 1_700_000_000, Size: 0 },
    ];
    const rows = imageRows(images, { now });
    assert.deepEqual(rows.map((r) => `${r.Repository}:${r.Tag}:${r.Digest}`), ['busybox:latest:<none>', 'busybox:1:<none>', 'reg/x:2:<none>', '<none>:<none>:<none>']);
    assert.equal(rows[0]!.CreatedSince, '2 minutes ago');
    assert.equal(rows[0]!.Size, '1.99MB');
    assert.equal(rows[0]!.ID, 'aaaaaaaaaaaa');
    const withDigests = imageRows(images, { now, digests: true });
    assert.equal(withDigests[0]!.Digest, 'sha256:' + 'd'.repeat(64));
    const out = renderList(rows.slice(0, 1), {
      defaultTable: 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}',
      quietFormat: '{{.ID}}',
      headers: { Repository: 'REPOSITORY', Tag: 'TAG', ID: 'IMAGE ID', CreatedSince: 'CREATED', Size: 'SIZE' },
    });
    assert.equal(out, 'REPOSITORY   TAG       IMAGE ID       CREATED         SIZE\nbusybox      latest    aaaaaaaaaaaa   2 minutes ago   1.99MB\n');
  });
});
