// The container commands end to end: a real berthd, the berth CLI as a subprocess, the docker
// CLI beside it where the two should agree, and tmux for the terminal sessions.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { importBusybox, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { entryCommand } from '../helpers/paths.js';
import { runCli, tableRows, TmuxSession, type CliResult } from './helpers.js';

describe('berth container commands', () => {
  let d: TestDaemon;
  let work: string;
  const sessions: TmuxSession[] = [];
  const berth = (args: string[], input?: string | Buffer): Promise<CliResult> => runCli(args, { host: d.host, input });
  const docker = (args: string[], input?: string): Promise<CliResult> => runCli(args, { command: ['docker'], env: d.dockerEnv(), input });
  const ok = async (args: string[], input?: string | Buffer): Promise<string> => {
    const r = await berth(args, input);
    assert.equal(r.code, 0, `berth ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    d = await startTestDaemon();
    await importBusybox(d.client);
    work = await mkdtemp(join(tmpdir(), 'berth-cli-ctr-'));
  });
  after(async () => {
    for (const s of sessions) await s.kill();
    if (d) {
      const ids = (await berth(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
      if (ids.length) await berth(['rm', '-f', '-v', ...ids]);
      for (const n of ['ctr-net']) await berth(['network', 'rm', n]);
      await d.stop();
    }
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('run: stdout and stderr apart, exit codes 0/3/125/126/127 as the docker CLI', async () => {
    const r = await berth(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.deepEqual([r.code, r.stdout, r.stderr], [3, 'out\n', 'err\n']);
    const cases: Array<[string[], number]> = [
      [['run', '--rm', 'busybox', 'true'], 0],
      [['run', '--rm', 'busybox', 'no-such-binary'], 127],
      [['run', '--rm', 'busybox', '/etc/passwd'], 126],
      [['run', '--rm', '--no-such-flag', 'busybox'], 125],
      [['run', '--rm', 'no-such-image:1'], 125],
    ];
    for (const [args, code] of cases) {
      const [ours, theirs] = await Promise.all([berth(args), docker(args)]);
      assert.equal(ours.code, code, `berth ${args.join(' ')}: ${ours.stderr}`);
      assert.equal(theirs.code, code, `docker ${args.join(' ')}: ${theirs.stderr}`);
      if (code === 127) assert.match(ours.stderr, /executable file not found/);
    }
    // --rm leaves nothing behind.
    assert.equal(await ok(['ps', '-aq']), '');
  });

  it('run: -e -w -u --name, stdin piped through -i', async () => {
    const out = await ok(['run', '--rm', '--name', 'envy', '-e', 'A=1', '-e', 'B=two words', '-w', '/tmp', '-u', '1000:1000', 'busybox', 'sh', '-c', 'echo "$A|$B"; pwd; id -u; id -g; hostname']);
    const [env, cwd, uid, gid] = out.split('\n');
    assert.deepEqual([env, cwd, uid, gid], ['1|two words', '/tmp', '1000', '1000']);
    assert.equal(await ok(['run', '--rm', '-i', 'busybox', 'cat'], 'hi\nthere\n'), 'hi\nthere\n');
    assert.equal(await ok(['run', '--rm', '-i', 'busybox', 'wc', '-c'], Buffer.alloc(100_000, 'x')), '100000\n');
  });

  it('run -d with -p, -v and --network; ps, port, inspect, exec, logs, top, update, stats, pause', async () => {
    await ok(['network', 'create', 'ctr-net']);
    const id = (await ok(['run', '-d', '--name', 'web', '-p', '18080:80', '-v', 'ctr-vol:/data', '--network', 'ctr-net', '--label', 'role=web', 'busybox', 'sh', '-c', 'echo hello > /data/f; while true; do echo tick; sleep 0.2; done'])).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    await ok(['run', '--name', 'done4', 'busybox', 'sh', '-c', 'exit 4']).catch(() => undefined);

    const table = tableRows(await ok(['ps']));
    assert.deepEqual(table[0], ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES']);
    assert.equal(table.length, 2, 'only the running container without -a');
    assert.equal(table[1]![0], id.slice(0, 12));
    assert.match(table[1]![4]!, /^Up (Less than a second|\d+ seconds?)$/);
    assert.equal(table[1]![5], '0.0.0.0:18080->80/tcp');
    const all = await ok(['ps', '-a', '--format', '{{.Names}}|{{.Status}}|{{.Label "role"}}']);
    assert.match(all, /^done4\|Exited \(4\) (Less than a second|\d+ seconds?) ago\|$/m);
    assert.match(all, /^web\|Up .*\|web$/m);
    assert.equal(await ok(['ps', '-aq', '-f', 'status=exited']), `${(await ok(['inspect', '-f', '{{.Id}}', 'done4'])).trim().slice(0, 12)}\n`);
    assert.equal(await ok(['ps', '-q', '-f', 'label=role=web', '-f', 'name=web']), `${id.slice(0, 12)}\n`);
    assert.equal((await ok(['ps', '-n', '1', '--format', '{{.Names}}'])).trim(), 'done4');
    assert.deepEqual(tableRows(await ok(['ps', '-s', '-f', 'name=web']))[0]!.at(-1), 'SIZE');
    // The docker CLI reads the same list the same way.
    assert.equal((await docker(['ps', '--format', '{{.Names}} {{.Ports}}'])).stdout, await ok(['ps', '--format', '{{.Names}} {{.Ports}}']));

    assert.equal(await ok(['port', 'web']), '80/tcp -> 0.0.0.0:18080\n');
    assert.equal(await ok(['port', 'web', '80']), '0.0.0.0:18080\n');
    assert.equal(await ok(['inspect', '-f', '{{.Name}} {{.State.Status}} {{.HostConfig.NetworkMode}}', 'web']), '/web running ctr-net\n');

    const ex = await berth(['exec', '-u', '1000', '-w', '/data', '-e', 'X=y', 'web', 'sh', '-c', 'id -u; pwd; echo $X; cat f; exit 5']);
    assert.deepEqual([ex.code, ex.stdout], [5, '1000\n/data\ny\nhello\n']);

    const logs = await ok(['logs', '--tail', '2', '-t', 'web']);
    const lines = logs.trimEnd().split('\n');
    assert.equal(lines.length, 2, logs);
    for (const l of lines) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z tick$/);
    assert.equal(await ok(['logs', '--since', '2030-01-01T00:00:00Z', 'web']), '');

    const top = tableRows(await ok(['top', 'web']));
    assert.ok(top[0]!.includes('PID') && top[0]!.includes('CMD'), top[0]!.join('|'));
    assert.ok(top.some((r) => r.at(-1)!.startsWith('sh -c')));

    await ok(['update', '-m', '64m', 'web']);
    assert.equal(await ok(['inspect', '-f', '{{.HostConfig.Memory}}', 'web']), `${64 * 1024 * 1024}\n`);
    const stats = await ok(['stats', '--no-stream', '--format', '{{.Name}}|{{.MemUsage}}', 'web']);
    assert.match(stats, /^web\|[\d.]+[KMG]?i?B \/ 64MiB\n$/);

    await ok(['pause', 'web']);
    assert.match(await ok(['ps', '-f', 'name=web', '--format', '{{.Status}}']), /^Up .* \(Paused\)\n$/);
    await ok(['unpause', 'web']);
    assert.equal(await ok(['rename', 'web', 'web2']), '');
    assert.equal(await ok(['inspect', '-f', '{{.Name}}', id]), '/web2\n');
  });

  it('logs -f ends when the container stops; kill -s, wait, restart, stop, rm -f -v', async () => {
    await ok(['run', '-d', '--name', 'short', 'busybox', 'sh', '-c', 'for i in 1 2 3; do echo line$i; sleep 0.3; done; echo bye >&2']);
    const follow = await berth(['logs', '-f', 'short']);
    assert.deepEqual([follow.code, follow.stdout, follow.stderr], [0, 'line1\nline2\nline3\n', 'bye\n']);
    assert.equal(await ok(['wait', 'short']), '0\n');

    await ok(['run', '-d', '--name', 'sleeper', 'busybox', 'sleep', '600']);
    const waiting = berth(['wait', 'sleeper']);
    assert.equal(await ok(['kill', '-s', 'KILL', 'sleeper']), 'sleeper\n');
    assert.equal((await waiting).stdout, '137\n');
    assert.match(await ok(['ps', '-a', '-f', 'name=sleeper', '--format', '{{.Status}}']), /^Exited \(137\) /);
    assert.equal(await ok(['restart', '-t', '1', 'sleeper']), 'sleeper\n');
    assert.equal(await ok(['inspect', '-f', '{{.State.Running}} {{.RestartCount}}', 'sleeper']), 'true 0\n');
    assert.equal(await ok(['stop', '-t', '1', 'sleeper']), 'sleeper\n');
    assert.equal(await ok(['inspect', '-f', '{{.State.Running}}', 'sleeper']), 'false\n');
    const rm1 = await berth(['rm', 'web2']);
    assert.equal(rm1.code, 1);
    assert.match(rm1.stderr, /^Error response from daemon: .*(running|stop)/i);
    assert.equal(await ok(['rm', '-f', '-v', 'web2', 'sleeper', 'short']), 'web2\nsleeper\nshort\n');
    const gone = await berth(['inspect', 'web2']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /No such (container|object)/i);
  });

  it('diff, export, commit -c -m', async () => {
    await ok(['run', '--name', 'changer', 'busybox', 'sh', '-c', 'mkdir /newdir && echo x > /newdir/f && rm /etc/group']);
    const diff = (await ok(['diff', 'changer'])).split('\n');
    assert.ok(diff.includes('A /newdir'), diff.join('\n'));
    assert.ok(diff.includes('A /newdir/f'));
    assert.ok(diff.includes('D /etc/group'));
    const tarPath = join(work, 'changer.tar');
    await ok(['export', '-o', tarPath, 'changer']);
    const listing = await runCli(['tf', tarPath], { command: ['tar'] });
    assert.ok(/^\.?\/?newdir\/f$/m.test(listing.stdout), listing.stdout.slice(0, 500));
    const exp = await berth(['export', 'changer']);
    assert.ok(exp.stdout.length > 1_000_000);

    const img = (await ok(['commit', '-c', 'ENV COMMITTED=yes', '-c', 'CMD ["cat", "/newdir/f"]', '-m', 'the message', 'changer', 'committed:1'])).trim();
    assert.match(img, /^sha256:[0-9a-f]{64}$/);
    assert.equal(await ok(['run', '--rm', 'committed:1']), 'x\n');
    assert.equal(await ok(['image', 'inspect', '-f', '{{.Comment}} {{index .Config.Env 0}}', 'committed:1']), 'the message COMMITTED=yes\n');
    await ok(['rm', 'changer']);
    await ok(['rmi', 'committed:1']);
  });

  it('events --since/--until with filters', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    await ok(['run', '--rm', '--name', 'evt', 'busybox', 'true']);
    const until = Math.floor(Date.now() / 1000) + 1;
    const out = await ok(['events', '--since', String(since), '--until', String(until), '--filter', 'container=evt', '--filter', 'event=start', '--filter', 'event=die', '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}']);
    assert.equal(out, 'container start evt\ncontainer die evt\n');
    const plain = await ok(['events', '--since', String(since), '--until', String(until), '-f', 'container=evt', '-f', 'event=destroy']);
    assert.match(plain, /^\d{4}-\d\d-\d\dT[\d:.]+Z container destroy [0-9a-f]{64} \(.*name=evt.*\)\n$/);
  });

  it('cp both ways with host files and directories, docker semantics', async () => {
    const src = join(work, 'src');
    await mkdir(join(src, 'dir', 'sub'), { recursive: true });
    await writeFile(join(src, 'file.txt'), 'file contents\n');
    await writeFile(join(src, 'dir', 'sub', 'deep'), 'deep\n', { mode: 0o750 });
    await symlink('sub/deep', join(src, 'dir', 'link'));
    await ok(['run', '-d', '--name', 'cpc', 'busybox', 'sleep', '600']);

    const to = await berth(['cp', join(src, 'file.txt'), 'cpc:/tmp/']);
    assert.equal(to.code, 0, to.stderr);
    assert.match(to.stderr, /^Successfully copied 14B to cpc:\/tmp\/\n$/);
    await ok(['cp', '-q', join(src, 'dir'), 'cpc:/tmp/']); // into an existing directory: keeps its name
    await ok(['cp', '-q', join(src, 'dir'), 'cpc:/tmp/renamed']); // to a new name: becomes that name
    await ok(['cp', '-q', `${join(src, 'dir')}/.`, 'cpc:/tmp/contents']); // /. : the contents only
    await ok(['cp', '-q', join(src, 'file.txt'), 'cpc:/tmp/newname']);
    const seen = await ok(['exec', 'cpc', 'sh', '-c', 'cd /tmp && find . | sort && cat newname && readlink dir/link && stat -c %a dir/sub/deep']);
    assert.equal(
      seen,
      ['.', './contents', './contents/link', './contents/sub', './contents/sub/deep', './dir', './dir/link', './dir/sub', './dir/sub/deep', './file.txt', './newname', './renamed', './renamed/link', './renamed/sub', './renamed/sub/deep', 'file contents', 'sub/deep', '750', ''].join('\n'),
    );
    const missing = await berth(['cp', join(src, 'file.txt'), 'cpc:/no/such/dir/']);
    assert.equal(missing.code, 1);
    const dirToFile = await berth(['cp', join(src, 'dir'), 'cpc:/tmp/newname']);
    assert.equal(dirToFile.code, 1);
    assert.match(dirToFile.stderr, /cannot copy a directory to a file/);

    const out = join(work, 'out');
    await mkdir(out);
    const from = await berth(['cp', 'cpc:/etc/passwd', join(out, 'pw')]);
    assert.equal(from.code, 0, from.stderr);
    assert.match(from.stderr, /^Successfully copied \d+B to /);
    assert.match(await readFile(join(out, 'pw'), 'utf8'), /^root:x:0:0:/);
    await ok(['cp', 'cpc:/etc', join(out, 'etc-copy')]);
    await ok(['cp', 'cpc:/etc', out]);
    await ok(['cp', 'cpc:/tmp/dir/.', join(out, 'dot')]);
    assert.equal(await readFile(join(out, 'etc-copy', 'passwd'), 'utf8'), await readFile(join(out, 'etc', 'passwd'), 'utf8'));
    assert.equal(await readFile(join(out, 'dot', 'sub', 'deep'), 'utf8'), 'deep\n');
    assert.equal(await readlink(join(out, 'dot', 'link')), 'sub/deep');
    assert.equal((await stat(join(out, 'dot', 'sub', 'deep'))).mode & 0o777, 0o750);
    // A symlink is copied as a symlink, or followed with -L (named after the link).
    await ok(['cp', 'cpc:/bin/sh', join(out, 'sh-link')]);
    assert.equal(await readlink(join(out, 'sh-link')), '/bin/busybox');
    await ok(['cp', '-L', 'cpc:/bin/sh', join(out, 'sh-file')]);
    assert.ok((await stat(join(out, 'sh-file'))).size > 100_000);
    const fileOverDir = await berth(['cp', 'cpc:/etc', join(out, 'pw')]);
    assert.equal(fileOverDir.code, 1);
    assert.match(fileOverDir.stderr, /cannot copy a directory to a file/);

    // The docker CLI and berth agree on the tar stream form.
    const [ours, theirs] = await Promise.all([berth(['cp', 'cpc:/etc/passwd', '-']), docker(['cp', 'cpc:/etc/passwd', '-'])]);
    assert.equal(ours.code, 0);
    assert.equal(theirs.code, 0, theirs.stderr);
    assert.equal(ours.stdout, theirs.stdout);
  });

  it('a TTY session in tmux: run -it, resize, detach with ctrl-p ctrl-q, attach, exec -it', async () => {
    const cli = entryCommand('cli');
    const s = await TmuxSession.start(`berth-it-${process.pid}`, [...cli, 'run', '-it', '--name', 'tty1', 'busybox', 'sh'], { BERTH_HOST: d.host, NO_COLOR: '1' });
    sessions.push(s);
    await s.waitFor(/^\/ # ?$/m, 30_000);
    await s.type('echo $((6*7))');
    await s.send('Enter');
    await s.waitFor(/^42\s*$/m);
    await s.type('stty size');
    await s.send('Enter');
    await s.waitFor(/^30 100\s*$/m);
    await s.resize(120, 40);
    await s.type('clear; stty size');
    await s.send('Enter');
    await s.waitFor(/^40 120\s*$/m);
    await s.send('C-p', 'C-q');
    assert.equal(await s.exitStatus(), 0, 'detaching ends the CLI with status 0');
    assert.equal(await ok(['inspect', '-f', '{{.State.Running}}', 'tty1']), 'true\n');

    const e = await TmuxSession.start(`berth-exec-${process.pid}`, [...cli, 'exec', '-it', '-u', '1000', 'tty1', 'sh'], { BERTH_HOST: d.host });
    sessions.push(e);
    await e.waitFor(/^\/ \$ ?$/m, 30_000);
    await e.type('id -u; exit 7');
    await e.send('Enter');
    assert.equal(await e.exitStatus(), 7, 'exec -it exits with the command\'s status');
    assert.match(await e.screen(), /^1000\s*$/m);

    const a = await TmuxSession.start(`berth-attach-${process.pid}`, [...cli, 'attach', 'tty1'], { BERTH_HOST: d.host });
    sessions.push(a);
    await new Promise((r) => setTimeout(r, 300));
    await a.type('echo re$((1+1))attached');
    await a.send('Enter');
    await a.waitFor(/^re2attached\s*$/m);
    await a.type('exit 3');
    await a.send('Enter');
    assert.equal(await a.exitStatus(), 3, 'attach exits with the container\'s status');
    assert.equal(await ok(['inspect', '-f', '{{.State.ExitCode}}', 'tty1']), '3\n');
  });
});

// The CLI's startup must not depend on the daemon or on heavy modules.
describe('berth startup', () => {
  it('--version and --help work without a daemon and list the lazily loaded commands', async () => {
    const v = await runCli(['--version'], { host: 'unix:///nonexistent.sock' });
    assert.match(v.stdout, /^berth version /);
    const h = await runCli(['--help'], { host: 'unix:///nonexistent.sock' });
    for (const c of ['compose', 'build', 'pull', 'push', 'login', 'network', 'volume', 'system', 'builder']) assert.match(h.stdout, new RegExp(`^  ${c}\\b`, 'm'), c);
    const pull = await runCli(['-H', 'unix:///nonexistent.sock', 'pull', '--help']);
    assert.match(pull.stdout, /--platform/);
  });
});
