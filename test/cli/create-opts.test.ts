// `run`/`create` flags → the POST /containers/create body, through the real commander definitions.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { addCreateOptions } from '../../src/cli/commands/containers.js';
import { buildCreateBody, parsePublish, type CreateBody, type CreateFlags } from '../../src/cli/containers/create-opts.js';
import { parseDetachKeys, FrameDemuxer } from '../../src/cli/containers/streams.js';
import { startExitCode } from '../../src/cli/containers/run.js';
import { PassThrough } from 'node:stream';

/** Parses `berth run ARGS` with the real flag definitions and returns the create body. */
function body(args: string[]): CreateBody {
  let result: CreateBody | undefined;
  const program = new Command('berth').enablePositionalOptions().exitOverride();
  const run = addCreateOptions(program.command('run').argument('<IMAGE>').argument('[COMMAND...]').passThroughOptions().option('-d, --detach'));
  run.exitOverride().action((image: string, command: string[], flags: CreateFlags) => {
    result = buildCreateBody(image, command, flags);
  });
  program.parse(['run', ...args], { from: 'user' });
  assert.ok(result);
  return result;
}

describe('run flags → create body', () => {
  it('resources, ports and env (run -m 512m --cpus 1.5 -p 8080:80 -e A=B)', () => {
    const b = body(['-m', '512m', '--cpus', '1.5', '-p', '8080:80', '-e', 'A=B', 'busybox', 'sh', '-c', 'echo hi']);
    assert.equal(b.Image, 'busybox');
    assert.deepEqual(b.Cmd, ['sh', '-c', 'echo hi']);
    assert.deepEqual(b.Env, ['A=B']);
    assert.equal(b.HostConfig.Memory, 536870912);
    assert.equal(b.HostConfig.NanoCpus, 1500000000);
    assert.deepEqual(b.HostConfig.PortBindings, { '80/tcp': [{ HostIp: '', HostPort: '8080' }] });
    assert.deepEqual(b.ExposedPorts, { '80/tcp': {} });
    assert.equal(b.AttachStdout, true);
    assert.equal(b.AttachStdin, false);
    assert.equal(b.HostConfig.NetworkMode, 'default');
  });

  it('container arguments after the image are not berth flags', () => {
    const b = body(['--rm', 'busybox', 'ls', '-l', '-e', '--name', 'x']);
    assert.deepEqual(b.Cmd, ['ls', '-l', '-e', '--name', 'x']);
    assert.equal(b.HostConfig.AutoRemove, true);
    assert.deepEqual(b.Env, []);
  });

  it('identity, security, namespaces and limits', () => {
    const b = body([
      '-it', '-d', '--name', 'web', '-w', '/srv', '-u', '1000:1000', '--group-add', 'audio', '--cap-add', 'NET_ADMIN', '--cap-drop', 'ALL', '--privileged',
      '--security-opt', 'no-new-privileges', '--read-only', '--init', '--ipc', 'host', '--pid', 'host', '--uts', 'host', '-h', 'box', '--domainname', 'example.com',
      '--memory-swap', '-1', '--memory-reservation', '256m', '-c', '512', '--cpuset-cpus', '0-1', '--pids-limit', '100', '--blkio-weight', '300', '--shm-size', '64m',
      '--ulimit', 'nofile=1024:2048', '--device', '/dev/fuse', '--sysctl', 'net.ipv4.ip_forward=1', '--runtime', 'crun', '--stop-signal', 'SIGINT', '--stop-timeout', '20',
      '--entrypoint', '/bin/sh', '-l', 'a=1', '--label', 'b', 'busybox',
    ]);
    assert.equal(b.Tty, true);
    assert.equal(b.OpenStdin, true);
    assert.equal(b.AttachStdin, false, '-d does not attach');
    assert.equal(b.User, '1000:1000');
    assert.equal(b.WorkingDir, '/srv');
    assert.equal(b.Hostname, 'box');
    assert.equal(b.Domainname, 'example.com');
    assert.deepEqual(b.Entrypoint, ['/bin/sh']);
    assert.equal(b.StopSignal, 'SIGINT');
    assert.equal(b.StopTimeout, 20);
    assert.deepEqual(b.Labels, { a: '1', b: '' });
    const h = b.HostConfig;
    assert.deepEqual([h.GroupAdd, h.CapAdd, h.CapDrop, h.SecurityOpt], [['audio'], ['NET_ADMIN'], ['ALL'], ['no-new-privileges']]);
    assert.deepEqual([h.Privileged, h.ReadonlyRootfs, h.Init, h.IpcMode, h.PidMode, h.UTSMode], [true, true, true, 'host', 'host', 'host']);
    assert.deepEqual([h.MemorySwap, h.MemoryReservation, h.CpuShares, h.CpusetCpus, h.PidsLimit, h.BlkioWeight, h.ShmSize], [-1, 268435456, 512, '0-1', 100, 300, 67108864]);
    assert.deepEqual(h.Ulimits, [{ Name: 'nofile', Soft: 1024, Hard: 2048 }]);
    assert.deepEqual(h.Devices, [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }]);
    assert.deepEqual(h.Sysctls, { 'net.ipv4.ip_forward': '1' });
    assert.equal(h.Runtime, 'crun');
  });

  it('network, volumes, mounts, logging, restart and health', () => {
    const b = body([
      '--network', 'appnet', '--network-alias', 'db', '-P', '--dns', '1.1.1.1', '--dns-search', 'example.com', '--add-host', 'h:10.0.0.1',
      '-v', '/host:/ctr:ro', '-v', '/anon', '--mount', 'type=bind,source=/a,target=/b,readonly', '--tmpfs', '/run:size=64m', '--volumes-from', 'other',
      '--log-driver', 'json-file', '--log-opt', 'max-size=10m', '--restart', 'on-failure:3',
      '--health-cmd', 'true', '--health-interval', '30s', '--health-timeout', '5s', '--health-retries', '3', '--health-start-period', '1m', 'busybox',
    ]);
    assert.deepEqual(b.NetworkingConfig.EndpointsConfig, { appnet: { Aliases: ['db'] } });
    const h = b.HostConfig;
    assert.equal(h.NetworkMode, 'appnet');
    assert.equal(h.PublishAllPorts, true);
    assert.deepEqual([h.Dns, h.DnsSearch, h.ExtraHosts], [['1.1.1.1'], ['example.com'], ['h:10.0.0.1']]);
    assert.deepEqual(h.Binds, ['/host:/ctr:ro']);
    assert.deepEqual(b.Volumes, { '/anon': {} });
    assert.deepEqual(h.Mounts, [{ Type: 'bind', Source: '/a', Target: '/b', ReadOnly: true }]);
    assert.deepEqual(h.Tmpfs, { '/run': 'size=64m' });
    assert.deepEqual(h.VolumesFrom, ['other']);
    assert.deepEqual(h.LogConfig, { Type: 'json-file', Config: { 'max-size': '10m' } });
    assert.deepEqual(h.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
    assert.deepEqual(b.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 30e9, Timeout: 5e9, StartPeriod: 60e9, Retries: 3 });
    assert.deepEqual(body(['--no-healthcheck', 'busybox']).Healthcheck, { Test: ['NONE'] });
  });

  it('publish forms', () => {
    assert.deepEqual(parsePublish(['127.0.0.1:8080:80/udp']).bindings, { '80/udp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] });
    assert.deepEqual(parsePublish(['80']).bindings, { '80/tcp': [{ HostIp: '', HostPort: '' }] });
    assert.deepEqual(parsePublish(['8000-8001:80-81']).bindings, { '80/tcp': [{ HostIp: '', HostPort: '8000' }], '81/tcp': [{ HostIp: '', HostPort: '8001' }] });
    assert.deepEqual(parsePublish(['[::1]:8080:80']).bindings, { '80/tcp': [{ HostIp: '::1', HostPort: '8080' }] });
  });

  it('invalid values give docker\'s errors (exit 125)', () => {
    const fails = (args: string[], re: RegExp) => assert.throws(() => body([...args, 'busybox']), (e: Error & { exitCode?: number }) => re.test(e.message) && e.exitCode === 125);
    fails(['-m', '512x'], /^invalid argument "512x" for "-m, --memory" flag: invalid size: '512x'$/);
    fails(['--cpus', 'lots'], /invalid argument "lots" for "--cpus" flag/);
    fails(['--health-interval', '30'], /time: missing unit in duration "30"/);
    fails(['-p', '80/xyz'], /invalid proto: xyz/);
    fails(['--restart', 'sometimes'], /invalid restart policy 'sometimes'/);
    fails(['--rm', '--restart', 'always'], /Conflicting options: --restart and --rm/);
    fails(['--ulimit', 'nofile=10:5'], /soft limit must be less than or equal to hard limit/);
    fails(['--env-file', '/nonexistent/env'], /no such file or directory/);
  });
});

describe('stream helpers', () => {
  it('demultiplexes docker frames to stdout and stderr, across chunk boundaries', async () => {
    const out = new PassThrough();
    const err = new PassThrough();
    const demux = new FrameDemuxer(out, err);
    const frame = (type: number, text: string) => {
      const header = Buffer.from([type, 0, 0, 0, 0, 0, 0, 0]);
      header.writeUInt32BE(Buffer.byteLength(text), 4);
      return Buffer.concat([header, Buffer.from(text)]);
    };
    const all = Buffer.concat([frame(1, 'hello '), frame(2, 'oops'), frame(1, 'world')]);
    demux.write(all.subarray(0, 5));
    demux.write(all.subarray(5, 17));
    demux.end(all.subarray(17));
    await new Promise((r) => demux.on('finish', r));
    assert.equal(out.read()?.toString(), 'hello world');
    assert.equal(err.read()?.toString(), 'oops');
  });
  it('detach keys and start exit codes', () => {
    assert.deepEqual(parseDetachKeys('ctrl-p,ctrl-q'), [16, 17]);
    assert.deepEqual(parseDetachKeys('ctrl-a,x'), [1, 120]);
    assert.throws(() => parseDetachKeys('ctrl-'), /Unrecognized input/);
    assert.equal(startExitCode('exec: "nope": executable file not found in $PATH'), 127);
    assert.equal(startExitCode('exec: "/etc": permission denied'), 126);
    assert.equal(startExitCode('cgroup error'), 125);
  });
});
