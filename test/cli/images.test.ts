// The image commands end to end: a real berthd, the berth CLI as a subprocess.
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureBusyboxFixture } from '../helpers/fixtures.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { runCli, tableRows, type CliResult } from './helpers.js';

describe('berth image commands', () => {
  let daemon: TestDaemon;
  let work: string;
  let tar: string;
  let id: string;
  const berth = (args: string[], input?: string | Buffer): Promise<CliResult> => runCli(args, { host: daemon.host, input });
  const ok = async (args: string[], input?: string): Promise<string> => {
    const r = await berth(args, input);
    assert.equal(r.code, 0, `berth ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    tar = ensureBusyboxFixture();
    daemon = await startTestDaemon();
    work = await mkdtemp(join(tmpdir(), 'berth-cli-'));
  });
  after(async () => {
    await daemon?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('imports a tarball with a message and prints the image ID', async () => {
    const out = await ok(['import', '-m', 'from the cli', tar, 'busybox:latest']);
    id = out.trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal(await ok(['image', 'inspect', '-f', '{{.Comment}}', 'busybox']), 'from the cli\n');
  });

  it('import -c applies Dockerfile changes (or says why not)', async () => {
    const r = await berth(['import', '-c', 'ENV FOO=bar', '-c', 'CMD ["sh"]', tar, 'changed:1']);
    if (r.code === 0) {
      assert.equal(await ok(['image', 'inspect', '-f', '{{json .Config.Env}} {{json .Config.Cmd}}', 'changed:1']), '["FOO=bar"] ["sh"]\n');
      await ok(['rmi', 'changed:1']);
    } else {
      // The daemon's Dockerfile instruction parser may not be wired yet: the error must say so.
      assert.match(r.stderr, /^Error response from daemon: /);
    }
  });

  it('lists images in docker\'s table layout', async () => {
    const out = await ok(['images']);
    const rows = tableRows(out);
    assert.deepEqual(rows[0], ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE']);
    const row = rows.find((r) => r[0] === 'busybox');
    assert.ok(row, out);
    assert.equal(row[1], 'latest');
    assert.equal(row[2], id.slice(7, 19));
    assert.match(row[3]!, /^(Less than a second|\d+ seconds?|About a minute) ago$/);
    assert.match(row[4]!, /^\d(\.\d+)?MB$/);
    // tabwriter: minwidth 10, padding 3 → "TAG" column is 10 wide.
    assert.match(out.split('\n')[0]!, /^REPOSITORY   TAG       IMAGE ID       CREATED/);
  });

  it('tags, and lists with -q, --digests, --no-trunc, --format and filters', async () => {
    await ok(['tag', 'busybox', 'example.com/team/box:v2']);
    await ok(['image', 'tag', 'busybox:latest', 'other']);
    assert.deepEqual((await ok(['images', '-q'])).trim().split('\n'), [id.slice(7, 19), id.slice(7, 19), id.slice(7, 19)]);
    assert.equal((await ok(['images', '--no-trunc', '-q', 'other'])).trim(), id);
    const digests = tableRows(await ok(['images', '--digests', 'busybox']));
    assert.deepEqual(digests[0], ['REPOSITORY', 'TAG', 'DIGEST', 'IMAGE ID', 'CREATED', 'SIZE']);
    assert.equal(digests[1]![2], '<none>');
    const lines = (await ok(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}', '-f', 'reference=example.com/*/*'])).trim().split('\n');
    assert.deepEqual(lines, [`example.com/team/box:v2 ${id.slice(7, 19)}`]);
    const json = (await ok(['images', '--format', 'json', 'other'])).trim().split('\n');
    assert.equal(json.length, 1);
    const obj = JSON.parse(json[0]!) as Record<string, string>;
    assert.equal(obj.Repository, 'other');
    assert.equal(obj.Tag, 'latest');
    assert.equal(obj.Digest, '<none>');
    assert.ok(json[0]!.includes('\\u003cnone\\u003e'), 'Go escapes < and > in JSON');
    const table = await ok(['images', '--format', 'table {{.Repository}}\\t{{.Tag}}', 'other']);
    assert.equal(table, 'REPOSITORY   TAG\nother        latest\n');
    const dangling = await ok(['images', '-q', '--filter', 'dangling=true']);
    assert.equal(dangling, '');
  });

  it('inspects with templates, and inspect finds images', async () => {
    assert.equal(await ok(['image', 'inspect', '-f', '{{.Id}}', 'other']), `${id}\n`);
    assert.equal(await ok(['inspect', '--type', 'image', '--format', '{{.Os}}/{{.Architecture}}', 'busybox']), `linux/${(await daemon.client.get<{ Architecture: string }>('/images/busybox/json')).Architecture}\n`);
    const arr = JSON.parse(await ok(['image', 'inspect', 'busybox', 'other'])) as Array<{ Id: string }>;
    assert.deepEqual(arr.map((i) => i.Id), [id, id]);
  });

  it('shows history, human and raw', async () => {
    const rows = tableRows(await ok(['history', 'busybox']));
    assert.deepEqual(rows[0], ['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT']);
    assert.equal(rows[1]![0], id.slice(7, 19));
    const raw = await ok(['image', 'history', '-H=false', '--format', '{{.Size}} {{.CreatedAt}} {{.Comment}}', 'busybox']);
    assert.match(raw, /^\d+ \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ from the cli\n$/);
    assert.equal(await ok(['history', '-q', '--no-trunc', 'busybox']), `${id}\n`);
  });

  it('saves to a file, removes, loads it back with the same ID', async () => {
    const file = join(work, 'busybox.tar');
    await ok(['save', '-o', file, 'busybox:latest']);
    assert.ok((await stat(file)).size > 1_000_000);
    const rmOut = await ok(['rmi', 'busybox:latest', 'other', 'example.com/team/box:v2']);
    assert.deepEqual(rmOut.trim().split('\n'), ['Untagged: busybox:latest', 'Untagged: other:latest', 'Untagged: example.com/team/box:v2', `Deleted: ${id}`]);
    assert.equal(await ok(['images', '-q']), '');
    assert.equal(await ok(['load', '-i', file]), 'Loaded image: busybox:latest\n');
    assert.equal(await ok(['image', 'inspect', '-f', '{{.Id}}', 'busybox']), `${id}\n`);
  });

  it('save streams to stdout and load reads stdin', async () => {
    const saved = await runCli(['image', 'save', 'busybox'], { host: daemon.host });
    assert.equal(saved.code, 0, saved.stderr);
    const file = join(work, 'again.tar');
    await ok(['save', '--output', file, 'busybox']);
    const { createReadStream } = await import('node:fs');
    const chunks: Buffer[] = [];
    for await (const c of createReadStream(file)) chunks.push(c as Buffer);
    await ok(['rmi', 'busybox']);
    const r = await berth(['load', '-q'], Buffer.concat(chunks));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Loaded image: busybox:latest\n');
  });

  it('rmi: untag vs delete, several names, and exit 1 when one fails', async () => {
    await ok(['tag', 'busybox', 'second:tag']);
    assert.equal(await ok(['rmi', 'second:tag']), 'Untagged: second:tag\n');
    const r = await berth(['rmi', 'nope:1', 'busybox']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'Error response from daemon: No such image: nope:1\n');
    assert.equal(r.stdout, `Untagged: busybox:latest\nDeleted: ${id}\n`);
  });

  it('prune: asks first, removes dangling or all unused images', async () => {
    await ok(['import', tar]); // untagged → dangling
    await ok(['import', tar, 'keep:me']);
    const refused = await berth(['image', 'prune']); // stdin closed: no answer is no
    assert.equal(refused.code, 0);
    assert.match(refused.stdout, /WARNING! This will remove all dangling images\.\nAre you sure you want to continue\? \[y\/N\] /);
    assert.doesNotMatch(refused.stdout, /Total reclaimed space/);
    assert.equal((await ok(['images', '-q', '-f', 'dangling=true'])).trim().split('\n').length, 1);
    const pruned = await ok(['image', 'prune'], 'y\n');
    assert.match(pruned, /Deleted Images:\ndeleted: sha256:[0-9a-f]{64}\n/);
    assert.match(pruned, /Total reclaimed space: \d/);
    assert.equal(await ok(['images', '-q', '-f', 'dangling=true']), '');
    const all = await ok(['image', 'prune', '-a', '-f']);
    assert.match(all, /untagged: keep:me/);
    assert.equal(await ok(['images', '-q']), '');
    assert.equal(await ok(['image', 'prune', '-f']), 'Total reclaimed space: 0B\n');
  });

  it('errors: unknown image, bad filter, bad template, usage, unreachable daemon', async () => {
    const missing = await berth(['image', 'inspect', 'nope']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, '[]\n');
    assert.equal(missing.stderr, 'Error response from daemon: No such image: nope\n');
    const generic = await berth(['inspect', 'nope']);
    assert.equal(generic.code, 1);
    assert.equal(generic.stderr, 'Error: No such object: nope\n');
    const tag = await berth(['tag', 'nope', 'x']);
    assert.equal(tag.code, 1);
    assert.match(tag.stderr, /^Error response from daemon: No such image: nope(:latest)?\n$/);
    const filter = await berth(['images', '-f', 'bogus=1']);
    assert.equal(filter.code, 1);
    assert.equal(filter.stderr, "Error response from daemon: invalid filter 'bogus'\n");
    const badFormat = await berth(['images', '-f', 'nonsense']);
    assert.equal(badFormat.code, 1);
    assert.equal(badFormat.stderr, 'bad format of filter (expected name=value)\n');
    const tmpl = await berth(['images', '--format', '{{.Nope | nosuchfunc}}']);
    assert.equal(tmpl.code, 1);
    assert.match(tmpl.stderr, /function "nosuchfunc" not defined/);
    const usage = await berth(['images', '--bogus']);
    assert.equal(usage.code, 125);
    const load = await berth(['load', '-i', join(work, 'missing.tar')]);
    assert.equal(load.code, 1);
    assert.match(load.stderr, /missing\.tar: no such file or directory/);
    const down = await runCli(['images'], { host: `unix://${join(work, 'nothing.sock')}` });
    assert.equal(down.code, 1);
    assert.match(down.stderr, /^berthd is not reachable at unix:\/\/.*nothing\.sock/);
    const flagHost = await runCli(['-H', `unix://${join(work, 'other.sock')}`, 'version'], { host: daemon.host });
    assert.equal(flagHost.code, 1);
    assert.match(flagHost.stdout, /^Client: berth\n/);
    assert.match(flagHost.stderr, /other\.sock/);
    // A template reaching into the server it could not reach: the connection error is what is told, as docker does.
    const serverField = await runCli(['version', '--format', '{{.Server.APIVersion}}'], { host: `unix://${join(work, 'nothing.sock')}` });
    assert.equal(serverField.code, 1);
    assert.equal(serverField.stdout, '\n');
    assert.match(serverField.stderr, /^berthd is not reachable at unix:\/\/.*nothing\.sock/);
  });

  it('version and info', async () => {
    const version = await ok(['version']);
    assert.match(version, /^Client: berth\n Version: {11}\d+\.\d+\.\d+\n API version: {7}1\.45\n/m);
    assert.match(version, /\nServer: berth\n Engine:\n  Version: {10}\S+\n  API version: {6}1\.45 \(minimum version 1\.24\)\n/);
    assert.equal(await ok(['version', '--format', '{{.Server.ApiVersion}}']), '1.45\n');
    // Go's field names, as docker's templates have them; JSON keeps the JSON keys.
    assert.equal(await ok(['version', '--format', '{{.Server.APIVersion}} {{.Client.APIVersion}}']), '1.45 1.45\n');
    const json = await ok(['version', '--format', '{{json .Server}}']);
    assert.match(json, /"ApiVersion":"1\.45"/);
    assert.doesNotMatch(json, /"APIVersion"/);
    const info = await ok(['info']);
    assert.match(info, /\nServer:\n Containers: \d+\n  Running: \d+\n/);
    assert.match(info, /\n Images: \d+\n/);
    assert.match(info, /\n Total Memory: [\d.]+[KMGT]iB\n/);
    assert.equal(await ok(['info', '--format', '{{.OSType}}']), 'linux\n');
  });
});
