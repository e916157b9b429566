import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidParameterError } from '../../util/errors.js';
import { DEFAULT_CAPABILITIES, KNOWN_CAPABILITIES, resolveCapabilities } from './caps.js';
import { DEFAULT_MASKED_PATHS, generateSpec, mergeEnv, parseSecurityOpts, resolveArgs, serializeSpec, type SpecInput } from './generate.js';
import { missingAbisFromKallsyms, type HostInfo } from './host-info.js';
import { buildResources, parseCpuset } from './resources.js';
import { buildRlimits, parseProcLimits, RLIM_INFINITY } from './rlimits.js';
import { kernelAtLeast, toOciSeccomp } from './seccomp.js';
import { DEFAULT_SECCOMP_PROFILE } from './seccomp-default.js';
import { parseGroup, parsePasswd, resolveUser, type UserDatabase } from './user.js';

const users: UserDatabase = {
  passwd: parsePasswd('root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1::/usr/sbin:/bin/false\nuser:x:1000:1000:user:/home/user:/bin/sh\n'),
  group: parseGroup('root:x:0:\ndaemon:x:1:\nwheel:x:10:user\nuser:x:1000:\naudio:x:29:\n'),
};

const host: HostInfo = {
  rlimits: parseProcLimits(
    'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 20000                files\nMax processes             96365                96365                processes\nMax core file size        0                    unlimited            bytes\n',
  ),
  capabilities: [...KNOWN_CAPABILITIES],
  cpuCount: 2,
  availableCpus: '0-1',
  availableMems: '0',
  swapLimit: true,
  blkioWeight: false,
  initPath: '/usr/bin/catatonit',
  cgroupMode: 'hybrid',
  missingSyscallAbis: [],
};

function input(over: Partial<SpecInput> = {}): SpecInput {
  return { id: 'abcdef0123456789abcdef', config: { Cmd: ['sh'] }, hostConfig: {}, rootfsPath: '/r', users, cgroupParent: '/berth', host, ...over };
}

const invalid = (fn: () => unknown, message: string | RegExp) =>
  assert.throws(fn, (err: unknown) => err instanceof InvalidParameterError && (typeof message === 'string' ? err.message === message : message.test(err.message)));

describe('user resolution', () => {
  test('name, uid, name:group, uid:gid', () => {
    assert.deepEqual(resolveUser('user', [], users), { uid: 1000, gid: 1000, additionalGids: [1000, 10], home: '/home/user' });
    assert.deepEqual(resolveUser('1000', [], users).additionalGids, [1000, 10]);
    assert.deepEqual(resolveUser('user:wheel', [], users), { uid: 1000, gid: 10, additionalGids: [10], home: '/home/user' });
    assert.deepEqual(resolveUser('4242:4343', [], users), { uid: 4242, gid: 4343, additionalGids: [4343], home: '/' });
    assert.deepEqual(resolveUser('', [], users), { uid: 0, gid: 0, additionalGids: [0], home: '/root' });
  });
  test('group-add by name and number', () => {
    assert.deepEqual(resolveUser('daemon', ['audio', '555'], users).additionalGids, [1, 29, 555]);
  });
  test('unknown names are errors', () => {
    invalid(() => resolveUser('nobody2', [], users), 'unable to find user nobody2: no matching entries in passwd file');
    invalid(() => resolveUser('user:nogroup2', [], users), 'unable to find group nogroup2: no matching entries in group file');
    invalid(() => resolveUser('root', ['ghosts'], users), 'unable to find group ghosts: no matching entries in group file');
  });
});

describe('args and env', () => {
  test('entrypoint + cmd resolution', () => {
    const image = { Entrypoint: ['/entry'], Cmd: ['default'] };
    assert.deepEqual(resolveArgs({}, image), ['/entry', 'default']);
    assert.deepEqual(resolveArgs({ Cmd: ['x'] }, image), ['/entry', 'x']);
    assert.deepEqual(resolveArgs({ Entrypoint: ['/other'] }, image), ['/other']);
    assert.deepEqual(resolveArgs({ Entrypoint: [''], Cmd: ['ls'] }, image), ['ls']);
    invalid(() => resolveArgs({}, {}), 'No command specified');
  });
  test('env: defaults, image, container override; TERM with tty', () => {
    const { spec } = generateSpec(input({ config: { Cmd: ['sh'], Env: ['A=2', 'PATH=/x'], Tty: true, Hostname: 'h' }, imageConfig: { Env: ['A=1', 'B=1'] } }));
    assert.deepEqual(spec.process.env, ['PATH=/x', 'HOSTNAME=h', 'TERM=xterm', 'A=2', 'B=1']);
    // A user without a passwd entry gets runc's HOME=/ on either runtime; the runtime sets an
    // entry's home itself; the image's or the container's HOME is kept.
    const home = (config: SpecInput['config']) => generateSpec(input({ config })).spec.process.env.filter((e) => e.startsWith('HOME='));
    assert.deepEqual(home({ Cmd: ['sh'], User: '5000' }), ['HOME=/']);
    assert.deepEqual(home({ Cmd: ['sh'], User: 'user' }), []);
    assert.deepEqual(home({ Cmd: ['sh'], User: '5000', Env: ['HOME=/mine'] }), ['HOME=/mine']);
    assert.deepEqual(mergeEnv(['A=1'], null, ['A=3']), ['A=3']);
  });
  test('hostname defaults to the short id; workdir must be absolute', () => {
    const { spec } = generateSpec(input());
    assert.equal(spec.hostname, 'abcdef012345');
    assert.equal(spec.process.cwd, '/');
    assert.equal(spec.process.user.umask, 0o022);
    invalid(() => generateSpec(input({ config: { Cmd: ['sh'], WorkingDir: 'rel' } })), /needs to be an absolute path/);
  });
  test('init is bind-mounted and prepended', () => {
    const { spec } = generateSpec(input({ hostConfig: { Init: true } }));
    assert.deepEqual(spec.process.args, ['/sbin/docker-init', '--', 'sh']);
    assert.ok(spec.mounts.some((m) => m.destination === '/sbin/docker-init' && m.source === '/usr/bin/catatonit'));
  });
});

describe('capabilities', () => {
  test('defaults, add/drop with and without prefix, ALL', () => {
    assert.deepEqual(resolveCapabilities({ allCapabilities: KNOWN_CAPABILITIES }), DEFAULT_CAPABILITIES);
    const c = resolveCapabilities({ capAdd: ['net_admin'], capDrop: ['CAP_CHOWN', 'mknod'], allCapabilities: KNOWN_CAPABILITIES });
    assert.ok(c.includes('CAP_NET_ADMIN') && !c.includes('CAP_CHOWN') && !c.includes('CAP_MKNOD'));
    assert.deepEqual(resolveCapabilities({ capDrop: ['ALL'], capAdd: ['KILL'], allCapabilities: KNOWN_CAPABILITIES }), ['CAP_KILL']);
    assert.equal(resolveCapabilities({ capAdd: ['all'], allCapabilities: KNOWN_CAPABILITIES }).length, KNOWN_CAPABILITIES.length);
    assert.equal(resolveCapabilities({ privileged: true, allCapabilities: ['CAP_CHOWN'] }).length, 1);
    invalid(() => resolveCapabilities({ capAdd: ['FLY'] }), 'invalid CapAdd: unknown capability: "CAP_FLY"');
    invalid(() => resolveCapabilities({ capDrop: ['chown', 'swim'] }), 'invalid CapDrop: unknown capability: "CAP_SWIM"');
  });
});

describe('seccomp', () => {
  test('default profile: ERRNO default, conditional rules follow capabilities', () => {
    const plain = toOciSeccomp(DEFAULT_SECCOMP_PROFILE, { capabilities: DEFAULT_CAPABILITIES, arch: 'amd64', kernel: '6.1.0' });
    assert.equal(plain.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(plain.defaultErrnoRet, 1);
    assert.deepEqual(plain.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    const noX32 = toOciSeccomp(DEFAULT_SECCOMP_PROFILE, { capabilities: DEFAULT_CAPABILITIES, arch: 'amd64', kernel: '6.1.0', missingAbis: ['SCMP_ARCH_X32'] });
    assert.deepEqual(noX32.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'], 'an ABI the kernel lacks is left out');
    const explicit = toOciSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32'] }, { capabilities: [], missingAbis: ['SCMP_ARCH_X32'] });
    assert.deepEqual(explicit.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32'], 'a profile naming its architectures keeps them');
    const names = (s: typeof plain) => new Set(s.syscalls?.filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap((r) => r.names));
    assert.ok(names(plain).has('read') && names(plain).has('arch_prctl') && names(plain).has('ptrace'));
    assert.ok(!names(plain).has('mount') && !names(plain).has('unshare') && !names(plain).has('reboot'));
    // clone only without namespace flags; clone3 returns ENOSYS
    assert.ok(plain.syscalls?.some((r) => r.names.includes('clone') && r.args?.[0]?.op === 'SCMP_CMP_MASKED_EQ'));
    assert.ok(plain.syscalls?.some((r) => r.names.includes('clone3') && r.action === 'SCMP_ACT_ERRNO' && r.errnoRet === 38));
    assert.equal(plain.syscalls?.filter((r) => r.names.includes('personality')).length, 5);

    const admin = toOciSeccomp(DEFAULT_SECCOMP_PROFILE, { capabilities: [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'], arch: 'amd64', kernel: '6.1.0' });
    assert.ok(names(admin).has('mount') && names(admin).has('clone') && names(admin).has('clone3'));
    assert.ok(!admin.syscalls?.some((r) => r.names.includes('clone3') && r.action === 'SCMP_ACT_ERRNO'));

    const oldKernel = toOciSeccomp(DEFAULT_SECCOMP_PROFILE, { capabilities: [], arch: 'amd64', kernel: '4.4.0' });
    assert.ok(!names(oldKernel).has('ptrace'));
    assert.ok(kernelAtLeast('4.10.1', '4.8') && !kernelAtLeast('3.19', '4.8'));
  });
  test('selection: default, unconfined, custom JSON, privileged', () => {
    assert.equal(generateSpec(input()).spec.linux.seccomp?.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(generateSpec(input({ hostConfig: { SecurityOpt: ['seccomp=unconfined'] } })).spec.linux.seccomp, undefined);
    assert.equal(generateSpec(input({ hostConfig: { Privileged: true } })).spec.linux.seccomp, undefined);
    const custom = JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['chmod'], action: 'SCMP_ACT_ERRNO' }] });
    const s = generateSpec(input({ hostConfig: { SecurityOpt: [`seccomp=${custom}`] } })).spec.linux.seccomp;
    assert.deepEqual(s, { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['chmod'], action: 'SCMP_ACT_ERRNO' }] });
    invalid(() => generateSpec(input({ hostConfig: { SecurityOpt: ['seccomp={bad'] } })), /Decoding seccomp profile failed/);
  });
  test('security opts', () => {
    assert.equal(parseSecurityOpts(['no-new-privileges']).noNewPrivileges, true);
    assert.equal(parseSecurityOpts(['no-new-privileges=false']).noNewPrivileges, false);
    assert.equal(parseSecurityOpts(['no-new-privileges:true']).noNewPrivileges, true);
    invalid(() => parseSecurityOpts(['bogus=1']), 'invalid --security-opt 2: "bogus=1"');
    invalid(() => parseSecurityOpts(['bogus']), 'invalid --security-opt 1: "bogus"');
  });
});

describe('ulimits', () => {
  test('clamped to the host hard limit, never above', () => {
    const { rlimits, warnings } = buildRlimits([{ Name: 'nofile', Soft: 1024, Hard: 1_000_000 }], host.rlimits);
    assert.deepEqual(rlimits, [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 20000 }]);
    assert.equal(warnings.length, 1);
    const both = buildRlimits([{ Name: 'nofile', Soft: 50000, Hard: 60000 }], host.rlimits).rlimits;
    assert.deepEqual(both, [{ type: 'RLIMIT_NOFILE', soft: 20000, hard: 20000 }]);
  });
  test('unlimited stays exact in JSON', () => {
    const { rlimits } = buildRlimits([{ Name: 'core', Soft: -1, Hard: -1 }], host.rlimits);
    assert.deepEqual(rlimits, [{ type: 'RLIMIT_CORE', soft: RLIM_INFINITY, hard: RLIM_INFINITY }]);
    const { spec } = generateSpec(input({ hostConfig: { Ulimits: [{ Name: 'core', Soft: -1, Hard: -1 }] } }));
    assert.match(serializeSpec(spec), /"hard":18446744073709551615/);
  });
  test('no default rlimits; invalid names and soft > hard rejected', () => {
    assert.equal(generateSpec(input()).spec.process.rlimits, undefined);
    invalid(() => buildRlimits([{ Name: 'files', Soft: 1, Hard: 1 }], host.rlimits), 'invalid ulimit type: files');
    invalid(() => buildRlimits([{ Name: 'nproc', Soft: 5, Hard: 1 }], host.rlimits), /soft limit must be less than or equal to hard limit/);
  });
});

describe('resources', () => {
  test('conversion', () => {
    const { resources } = buildResources({ Memory: 64 << 20, NanoCpus: 1_500_000_000, CpuShares: 512, PidsLimit: 100, CpusetCpus: '0-1', MemorySwappiness: 10 }, host);
    assert.deepEqual(resources.memory, { limit: 64 << 20, swap: 128 << 20, swappiness: 10 });
    assert.deepEqual(resources.cpu, { shares: 512, period: 100000, quota: 150000, cpus: '0-1' });
    assert.deepEqual(resources.pids, { limit: 100 });
    assert.deepEqual(buildResources({ Memory: 64 << 20, MemorySwap: -1 }, host).resources.memory, { limit: 64 << 20, swap: -1 });
    assert.deepEqual(buildResources({ CpuQuota: 50000, CpuPeriod: 100000 }, host).resources.cpu, { period: 100000, quota: 50000 });
  });
  test('validation messages', () => {
    invalid(() => buildResources({ Memory: 1 << 20 }, host), 'Minimum memory limit allowed is 6MB');
    invalid(() => buildResources({ Memory: 64 << 20, MemorySwap: 32 << 20 }, host), /Minimum memoryswap limit should be larger than memory limit/);
    invalid(() => buildResources({ MemorySwap: 64 << 20 }, host), /always set the Memory limit/);
    invalid(() => buildResources({ Memory: 10 << 20, MemoryReservation: 20 << 20 }, host), /can not be less than memory reservation/);
    invalid(() => buildResources({ NanoCpus: 1e9, CpuQuota: 5000 }, host), /Nano CPUs and CPU Quota/);
    invalid(() => buildResources({ NanoCpus: 3e9 }, host), 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
    invalid(() => buildResources({ CpusetCpus: '1-0' }, host), 'Invalid value 1-0 for cpuset cpus');
    invalid(() => buildResources({ CpusetCpus: '0-3' }, host), /Requested CPUs are not available - requested 0-3, available: 0-1/);
    invalid(() => buildResources({ MemorySwappiness: 101 }, host), /valid memory swappiness range is 0-100/);
    invalid(() => buildResources({ BlkioWeight: 5 }, { ...host, blkioWeight: true }), 'Range of blkio weight is from 10 to 1000');
    // Without blkio weight in the kernel, Docker discards the weight before it checks the range.
    assert.deepEqual(buildResources({ BlkioWeight: 5 }, host).warnings, ['Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.']);
    invalid(() => buildResources({ CpuPeriod: 10 }, host), /CPU cfs period can not be less than 1ms/);
    assert.deepEqual([...(parseCpuset('0-2,5') ?? [])], [0, 1, 2, 5]);
  });
  test('unsupported features warn instead of failing', () => {
    const r = buildResources({ BlkioWeight: 300, Memory: 64 << 20 }, { ...host, swapLimit: false });
    assert.equal(r.resources.blockIO, undefined);
    assert.equal(r.resources.memory?.swap, undefined);
    assert.equal(r.warnings.length, 2);
  });
});

describe('spec shape', () => {
  test('mounts, masked paths, devices, namespaces, cgroups path', () => {
    const { spec } = generateSpec(input({ hostsFile: '/h/hosts', resolvConfFile: '/h/resolv', hostnameFile: '/h/hostname', netnsPath: '/run/netns/x', hostConfig: { ShmSize: 1 << 20 } }));
    const dests = spec.mounts.map((m) => m.destination);
    for (const d of ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup', '/etc/hosts', '/etc/hostname', '/etc/resolv.conf']) assert.ok(dests.includes(d), d);
    assert.ok(spec.mounts.find((m) => m.destination === '/dev/shm')?.options?.includes(`size=${1 << 20}`));
    assert.ok(spec.mounts.find((m) => m.destination === '/sys')?.options?.includes('ro'));
    assert.deepEqual(spec.linux.maskedPaths, [...DEFAULT_MASKED_PATHS]);
    assert.ok(spec.linux.readonlyPaths?.includes('/proc/sys'));
    assert.deepEqual(spec.linux.resources?.devices?.[0], { allow: false, access: 'rwm' });
    assert.deepEqual(spec.linux.namespaces.find((n) => n.type === 'network'), { type: 'network', path: '/run/netns/x' });
    assert.equal(spec.linux.cgroupsPath, '/berth/abcdef0123456789abcdef');
    assert.equal(spec.linux.namespaces.some((n) => n.type === 'cgroup'), false, 'v1/hybrid: host cgroupns like Docker');
  });
  test('default shm is 64MiB; host modes drop namespaces', () => {
    const { spec } = generateSpec(input({ hostConfig: { NetworkMode: 'host', PidMode: 'host', IpcMode: 'host', UTSMode: 'host' } }));
    assert.deepEqual(spec.linux.namespaces.map((n) => n.type), ['mount']);
    assert.equal(spec.hostname, undefined);
    assert.equal(spec.mounts.find((m) => m.destination === '/dev/shm')?.source, '/dev/shm');
    assert.ok(generateSpec(input()).spec.mounts.find((m) => m.destination === '/dev/shm')?.options?.includes('size=67108864'));
    invalid(() => generateSpec(input({ hostConfig: { IpcMode: 'container:abc' } })), /cannot join IPC/);
    const joined = generateSpec(input({ hostConfig: { IpcMode: 'container:abc', PidMode: 'container:abc' }, joinNamespaces: { ipc: '/proc/9/ns/ipc', pid: '/proc/9/ns/pid' } })).spec;
    assert.deepEqual(joined.linux.namespaces.find((n) => n.type === 'ipc'), { type: 'ipc', path: '/proc/9/ns/ipc' });
  });
  test('privileged: all caps, no seccomp, no masks, all devices', () => {
    const { spec } = generateSpec(input({ hostConfig: { Privileged: true }, devices: [[{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 }]] }));
    assert.equal(spec.process.capabilities?.bounding.length, KNOWN_CAPABILITIES.length);
    assert.equal(spec.linux.maskedPaths, undefined);
    assert.deepEqual(spec.linux.resources?.devices, [{ allow: true, access: 'rwm' }]);
    assert.equal(spec.linux.devices?.[0]?.path, '/dev/fuse');
  });
  test('devices, device cgroup rules, sysctls, tmpfs, user mounts override defaults', () => {
    const { spec } = generateSpec(
      input({
        hostConfig: {
          Devices: [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/f', CgroupPermissions: 'rw' }],
          DeviceCgroupRules: ['c 42:* rmw'],
          Sysctls: { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '100' },
          Tmpfs: { '/run': 'size=1m,exec' },
        },
        devices: [[{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 }]],
        extraMounts: [{ destination: '/dev/shm', type: 'bind', source: '/srv/shm', options: ['rbind'] }],
      }),
    );
    assert.equal(spec.linux.devices?.[0]?.path, '/dev/f');
    assert.ok(spec.linux.resources?.devices?.some((d) => d.major === 10 && d.minor === 229 && d.access === 'rw'));
    assert.ok(spec.linux.resources?.devices?.some((d) => d.major === 42 && d.minor === undefined));
    assert.deepEqual(spec.linux.sysctl, { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '100' });
    assert.deepEqual(spec.mounts.find((m) => m.destination === '/run')?.options, ['nosuid', 'nodev', 'size=1m', 'exec']);
    assert.deepEqual(spec.mounts.filter((m) => m.destination === '/dev/shm').map((m) => m.source), ['/srv/shm']);
    invalid(() => generateSpec(input({ hostConfig: { Sysctls: { 'vm.swappiness': '1' } } })), /not namespaced/);
    invalid(() => generateSpec(input({ hostConfig: { NetworkMode: 'host', Sysctls: { 'net.ipv4.ip_forward': '1' } } })), /host network namespace/);
    invalid(() => generateSpec(input({ hostConfig: { DeviceCgroupRules: ['x 1:1 r'] } })), /invalid device cgroup rule format/);
    invalid(() => generateSpec(input({ hostConfig: { Devices: [{ PathOnHost: '/dev/nope' }] } })), /error gathering device information/);
    invalid(() => generateSpec(input({ hostConfig: { OomScoreAdj: 2000 } })), /range for oom score adj/);
  });
});

describe('host devices', () => {
  test('devicesForHostConfig stats PathOnHost; a missing device becomes a clear error', async () => {
    const { devicesForHostConfig } = await import('./devices.js');
    const found = devicesForHostConfig({ Devices: [{ PathOnHost: '/dev/null' }, { PathOnHost: '/dev/berth-missing' }] });
    assert.deepEqual(found[0]!.map((d) => ({ ...d, fileMode: 0, uid: 0, gid: 0 })), [{ path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0, uid: 0, gid: 0 }]);
    assert.deepEqual(found[1], []);
    invalid(
      () => generateSpec(input({ hostConfig: { Devices: [{ PathOnHost: '/dev/null' }, { PathOnHost: '/dev/berth-missing' }] }, devices: found })),
      'error gathering device information while adding custom device "/dev/berth-missing": no such file or directory',
    );
    assert.ok(devicesForHostConfig({ Privileged: true })[0]!.some((d) => d.path === '/dev/null'));
    invalid(
      () => generateSpec(input({ hostConfig: { Devices: [{ PathOnHost: '/etc' }] }, devices: devicesForHostConfig({ Devices: [{ PathOnHost: '/etc' }] }) })),
      /custom device "\/etc": no such file or directory/,
    );
  });

  test('a directory adds every device node under it, each under PathInContainer, with the permissions asked', async () => {
    const { devicesForHostConfig } = await import('./devices.js');
    const hostConfig = { Devices: [{ PathOnHost: '/dev/net/', PathInContainer: '/dev/vnet', CgroupPermissions: 'r' }] };
    const { spec } = generateSpec(input({ hostConfig, devices: devicesForHostConfig(hostConfig) }));
    const tun = spec.linux.devices?.find((d) => d.path === '/dev/vnet/tun');
    assert.deepEqual(tun && { type: tun.type, major: tun.major, minor: tun.minor }, { type: 'c', major: 10, minor: 200 });
    assert.ok(spec.linux.resources?.devices?.some((r) => r.major === 10 && r.minor === 200 && r.access === 'r'));
  });
});

describe('compat syscall ABIs from the kernel symbol table', () => {
  const line = (name: string) => `ffffffff81249030 T ${name}`;
  test('6.9+ dispatchers and older tables; nothing dropped without evidence', () => {
    assert.deepEqual(missingAbisFromKallsyms([line('x64_sys_call'), line('ia32_sys_call')].join('\n'), 'x64'), ['SCMP_ARCH_X32']);
    assert.deepEqual(missingAbisFromKallsyms([line('x64_sys_call'), line('ia32_sys_call'), line('x32_sys_call')].join('\n'), 'x64'), []);
    assert.deepEqual(missingAbisFromKallsyms([line('sys_call_table'), line('x32_sys_call_table')].join('\n'), 'x64'), ['SCMP_ARCH_X86']);
    assert.deepEqual(missingAbisFromKallsyms('', 'x64'), [], 'an empty or hidden table drops nothing');
    assert.deepEqual(missingAbisFromKallsyms(line('x64_sys_call'), 'arm64'), []);
    assert.deepEqual(missingAbisFromKallsyms(line('__pfx_x64_sys_call'), 'x64'), [], 'only the exact symbol counts');
  });
});
