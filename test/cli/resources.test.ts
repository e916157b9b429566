// network, volume and system commands end to end against berthd, beside the docker CLI.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { importBusybox, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { runCli, tableRows, type CliResult } from './helpers.js';

describe('berth network, volume and system commands', () => {
  let d: TestDaemon;
  const berth = (args: string[], input?: string): Promise<CliResult> => runCli(args, { host: d.host, input });
  const docker = (args: string[]): Promise<CliResult> => runCli(args, { command: ['docker'], env: d.dockerEnv() });
  const ok = async (args: string[], input?: string): Promise<string> => {
    const r = await berth(args, input);
    assert.equal(r.code, 0, `berth ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    d = await startTestDaemon();
    await importBusybox(d.client);
  });
  after(async () => {
    if (d) {
      const ids = (await berth(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
      if (ids.length) await berth(['rm', '-f', ...ids]);
      await berth(['network', 'rm', 'res-a', 'res-b', 'res-int']);
      await berth(['volume', 'rm', '-f', 'res-v1', 'res-v2']);
      await d.stop();
    }
  });

  it('network create/ls/inspect/connect/disconnect/rm, as docker lists them', async () => {
    const id = (await ok(['network', 'create', '--driver', 'bridge', '--subnet', '10.98.0.0/24', '--gateway', '10.98.0.1', '--ip-range', '10.98.0.128/25', '--label', 'team=a', '-o', 'com.docker.network.bridge.name=br-res-a', 'res-a'])).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    await ok(['network', 'create', '--internal', 'res-int']);
    const rows = tableRows(await ok(['network', 'ls']));
    assert.deepEqual(rows[0], ['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE']);
    assert.deepEqual(rows.find((r) => r[1] === 'res-a'), [id.slice(0, 12), 'res-a', 'bridge', 'local']);
    for (const n of ['bridge', 'host', 'none']) assert.ok(rows.some((r) => r[1] === n), n);
    assert.equal((await docker(['network', 'ls'])).stdout, await ok(['network', 'ls']));
    assert.equal(await ok(['network', 'ls', '-q', '-f', 'label=team=a']), `${id.slice(0, 12)}\n`);
    assert.equal(await ok(['network', 'ls', '-f', 'name=res-', '--format', '{{.Name}} {{.Internal}} {{.Labels}}']), 'res-a false team=a\nres-int true \n');
    assert.equal(
      await ok(['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}} {{.IPRange}}{{end}} {{index .Options "com.docker.network.bridge.name"}}', 'res-a']),
      '10.98.0.0/24 10.98.0.1 10.98.0.128/25 br-res-a\n',
    );
    assert.equal(await ok(['inspect', '--type', 'network', '-f', '{{.Name}}', 'res-int']), 'res-int\n');

    await ok(['run', '-d', '--name', 'res-c', 'busybox', 'sleep', '600']);
    await ok(['network', 'connect', '--alias', 'svc', '--ip', '10.98.0.200', 'res-a', 'res-c']);
    assert.equal(await ok(['inspect', '-f', '{{with index .NetworkSettings.Networks "res-a"}}{{.IPAddress}} {{json .Aliases}}{{end}}', 'res-c']), '10.98.0.200 ["svc"]\n');
    assert.match(await ok(['exec', 'res-c', 'ip', '-4', 'addr']), /inet 10\.98\.0\.200\//);
    const busy = await berth(['network', 'rm', 'res-a']);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /^Error response from daemon: /);
    await ok(['network', 'disconnect', 'res-a', 'res-c']);
    assert.doesNotMatch(await ok(['exec', 'res-c', 'ip', '-4', 'addr']), /10\.98\.0\./);

    const rm = await berth(['network', 'rm', 'res-a', 'no-such-net']);
    assert.deepEqual([rm.code, rm.stdout], [1, 'res-a\n']);
    assert.match(rm.stderr, /no-such-net/);
    assert.equal(await ok(['network', 'rm', '-f', 'no-such-net']), 'no-such-net\n');
  });

  it('network prune and volume create/ls/inspect/rm/prune', async () => {
    assert.equal(await ok(['network', 'prune'], 'n\n'), 'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ');
    assert.equal(await ok(['network', 'prune', '-f']), 'Deleted Networks:\nres-int\n\n');

    assert.equal(await ok(['volume', 'create', '--label', 'k=v', '-d', 'local', 'res-v1']), 'res-v1\n');
    const generated = (await ok(['volume', 'create'])).trim();
    assert.match(generated, /^[0-9a-f]{64}$/);
    await ok(['volume', 'rm', generated]);
    // An anonymous volume: made for a container's -v /path, left behind by rm without -v.
    await ok(['run', '--name', 'res-anon', '-v', '/anon', 'busybox', 'true']);
    const anon = (await ok(['inspect', '-f', '{{range .Mounts}}{{.Name}}{{end}}', 'res-anon'])).trim();
    await ok(['rm', 'res-anon']);
    await ok(['volume', 'create', 'res-v2']);
    const rows = tableRows(await ok(['volume', 'ls']));
    assert.deepEqual(rows, [['DRIVER', 'VOLUME NAME'], ...[anon, 'res-v1', 'res-v2'].sort().map((n) => ['local', n])]);
    assert.equal((await docker(['volume', 'ls'])).stdout, await ok(['volume', 'ls']));
    assert.equal(await ok(['volume', 'ls', '-q', '-f', 'label=k=v']), 'res-v1\n');
    assert.equal(await ok(['volume', 'inspect', '-f', '{{.Name}} {{.Driver}} {{.Labels.k}}', 'res-v1']), 'res-v1 local v\n');
    await ok(['run', '--rm', '-v', 'res-v2:/data', 'busybox', 'sh', '-c', 'head -c 5000 /dev/zero > /data/z']);
    await ok(['run', '-d', '--name', 'res-user', '-v', 'res-v1:/data', 'busybox', 'sleep', '600']);
    const inUse = await berth(['volume', 'rm', 'res-v1']);
    assert.equal(inUse.code, 1);
    assert.match(inUse.stderr, /^Error response from daemon: .*in use/i);

    // Without -a only anonymous volumes go; -a takes unused named ones too.
    assert.equal(await ok(['volume', 'prune', '-f']), `Deleted Volumes:\n${anon}\n\nTotal reclaimed space: 0B\n`);
    assert.equal(await ok(['volume', 'prune', '-a', '-f']), 'Deleted Volumes:\nres-v2\n\nTotal reclaimed space: 5kB\n');
    assert.equal(await ok(['volume', 'ls', '-q']), 'res-v1\n');
  });

  it('system df [-v], container/builder/system prune', async () => {
    await ok(['run', '--name', 'res-dead', 'busybox', 'sh', '-c', 'echo data > /file']);
    const df = tableRows(await ok(['system', 'df']));
    assert.deepEqual(df[0], ['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE']);
    assert.deepEqual(df.map((r) => r[0]), ['TYPE', 'Images', 'Containers', 'Local Volumes', 'Build Cache']);
    // res-c and res-user run, res-dead has exited.
    assert.deepEqual(df[2]!.slice(1, 3), ['3', '2']);
    assert.deepEqual(df[3]!.slice(1, 3), ['1', '1']);
    assert.equal((await docker(['system', 'df'])).stdout, await ok(['system', 'df']));
    const verbose = await ok(['system', 'df', '-v']);
    for (const h of ['Images space usage:', 'Containers space usage:', 'Local Volumes space usage:', 'Build cache usage: ']) assert.ok(verbose.includes(h), h);
    assert.match(verbose, /^busybox\s+latest\s+[0-9a-f]{12}\s/m);
    assert.match(verbose, /^res-v1\s+1\s+/m);

    const pruned = await ok(['container', 'prune', '-f']);
    assert.match(pruned, /^Deleted Containers:\n[0-9a-f]{64}\n\nTotal reclaimed space: \d+(\.\d+)?k?B\n$/);
    assert.deepEqual((await ok(['ps', '-a', '--format', '{{.Names}}'])).split('\n').sort(), ['', 'res-c', 'res-user']);
    assert.match(await ok(['builder', 'prune', '-f']), /Total reclaimed space: /);

    assert.equal(await ok(['system', 'prune'], 'n\n'), 'WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all dangling images\n  - unused build cache\n\nAre you sure you want to continue? [y/N] ');
    await ok(['rm', '-f', 'res-user', 'res-c']);
    await ok(['network', 'create', 'res-b']);
    const all = await ok(['system', 'prune', '-a', '--volumes', '-f']);
    assert.match(all, /Deleted Networks:\nres-b\n/);
    assert.match(all, /Deleted Images:\n(untagged: busybox:latest\n)?deleted: sha256:[0-9a-f]{64}\n/);
    assert.match(all, /Total reclaimed space: .*B\n$/);
    assert.equal(await ok(['images', '-q']), '');
  });
});
