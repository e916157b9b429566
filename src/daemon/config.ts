import { existsSync, readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { isRuntimeName } from '../runtime/oci-runtime.js';
import { InvalidParameterError } from '../util/errors.js';
import { isLogLevel, type LogLevel } from '../util/log.js';

/** berthd's settings: defaults, then /etc/berth/daemon.json, then flags (flags win). */
export interface DaemonConfig {
  hosts: string[];
  dataRoot: string;
  execRoot: string;
  logLevel: LogLevel;
  configFile: string;
  tls: boolean;
  tlsVerify: boolean;
  tlsCaCert?: string;
  tlsCert?: string;
  tlsKey?: string;
  allowInsecureTcp: boolean;
  defaultRuntime?: string;
  metricsAddr?: string;
  insecureRegistries: string[];
  registryMirrors: string[];
  maxConcurrentDownloads: number;
  maxConcurrentUploads: number;
  /** The default bridge's address and prefix, e.g. 10.88.0.1/16; chosen automatically when unset. */
  bip?: string;
  icc: boolean;
  logDriver: string;
  logOpts: Record<string, string>;
  /** Also lock and name per-instance resources (bridge, iptables chains, cgroups) with this. */
  instanceName?: string;
}

export const DEFAULT_CONFIG: DaemonConfig = {
  hosts: ['unix:///run/berth/berth.sock'],
  dataRoot: '/var/lib/berth',
  execRoot: '/run/berth',
  logLevel: 'info',
  configFile: '/etc/berth/daemon.json',
  tls: false,
  tlsVerify: false,
  allowInsecureTcp: false,
  insecureRegistries: [],
  registryMirrors: [],
  maxConcurrentDownloads: 3,
  maxConcurrentUploads: 5,
  icc: true,
  logDriver: 'json-file',
  logOpts: {},
};

/** daemon.json keys (dockerd's names) → our config fields. */
const FILE_KEYS: Record<string, keyof DaemonConfig> = {
  hosts: 'hosts',
  'data-root': 'dataRoot',
  'exec-root': 'execRoot',
  'log-level': 'logLevel',
  tls: 'tls',
  tlsverify: 'tlsVerify',
  tlscacert: 'tlsCaCert',
  tlscert: 'tlsCert',
  tlskey: 'tlsKey',
  'allow-insecure-tcp-without-tls': 'allowInsecureTcp',
  'default-runtime': 'defaultRuntime',
  'metrics-addr': 'metricsAddr',
  'insecure-registries': 'insecureRegistries',
  'registry-mirrors': 'registryMirrors',
  'max-concurrent-downloads': 'maxConcurrentDownloads',
  'max-concurrent-uploads': 'maxConcurrentUploads',
  bip: 'bip',
  icc: 'icc',
  'log-driver': 'logDriver',
  'log-opts': 'logOpts',
  'instance-name': 'instanceName',
};

export function readConfigFile(path: string, required: boolean): Partial<DaemonConfig> {
  if (!existsSync(path)) {
    if (required) throw new InvalidParameterError(`config file ${path} does not exist`);
    return {};
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InvalidParameterError(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidParameterError(`config file ${path} must hold a JSON object`);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const field = FILE_KEYS[key];
    if (!field) throw new InvalidParameterError(`config file ${path}: unknown option "${key}"`);
    const expected = typeof DEFAULT_CONFIG[field];
    const actual = Array.isArray(value) ? 'object' : typeof value;
    if (expected !== 'undefined' && expected !== actual) {
      throw new InvalidParameterError(`config file ${path}: "${key}" must be ${Array.isArray(DEFAULT_CONFIG[field]) ? 'a list' : `a ${expected}`}`);
    }
    out[field] = value;
  }
  return out as Partial<DaemonConfig>;
}

const collect = (value: string, prev: string[] | undefined) => [...(prev ?? []), value];

export function daemonCommand(): Command {
  return new Command('berthd')
    .description('berth engine daemon: serves the Docker Engine API')
    .addOption(new Option('-H, --host <address>', 'daemon socket to listen on (unix:///path or tcp://host:port), repeatable').argParser(collect))
    .option('--data-root <dir>', `root of persistent state (default ${DEFAULT_CONFIG.dataRoot})`)
    .option('--exec-root <dir>', `root of runtime state (default ${DEFAULT_CONFIG.execRoot})`)
    .option('-l, --log-level <level>', 'debug, info, warn, error or fatal')
    .option('--config-file <file>', `daemon configuration file (default ${DEFAULT_CONFIG.configFile})`)
    .option('--tls', 'use TLS; implied by --tlsverify')
    .option('--tlsverify', 'use TLS and verify the client certificate')
    .option('--tlscacert <file>', 'trust client certificates signed by this CA')
    .option('--tlscert <file>', 'TLS certificate file')
    .option('--tlskey <file>', 'TLS key file')
    .option('--allow-insecure-tcp-without-tls', 'serve tcp:// hosts without TLS (anyone who reaches the port gets root)')
    .option('--default-runtime <name>', 'OCI runtime for containers: runc or crun (default: crun where it can run, else runc)')
    .option('--metrics-addr <host:port>', 'serve Prometheus metrics on this address')
    .addOption(new Option('--insecure-registry <registry>', 'registry reachable over plain HTTP, repeatable').argParser(collect))
    .addOption(new Option('--registry-mirror <url>', 'preferred Docker Hub mirror, repeatable').argParser(collect))
    .option('--max-concurrent-downloads <n>', 'layers pulled at once', (v) => Number(v))
    .option('--bip <cidr>', 'address and prefix of the default bridge')
    .option('--icc <bool>', 'allow traffic between containers on the default bridge', (v) => v !== 'false')
    .option('--log-driver <name>', 'default container log driver')
    .option('--instance-name <name>', 'name for this instance\'s bridge, chains and cgroups (default: derived from the data root)')
    .version('berthd 0.1.0', '-v, --version');
}

/** Merges defaults, the config file and parsed flags. */
export function resolveConfig(flags: Record<string, unknown>): DaemonConfig {
  const configFile = (flags.configFile as string | undefined) ?? DEFAULT_CONFIG.configFile;
  const file = readConfigFile(configFile, flags.configFile !== undefined);
  const fromFlags: Partial<DaemonConfig> = {
    hosts: flags.host as string[] | undefined,
    dataRoot: flags.dataRoot as string | undefined,
    execRoot: flags.execRoot as string | undefined,
    logLevel: flags.logLevel as LogLevel | undefined,
    tls: flags.tls as boolean | undefined,
    tlsVerify: flags.tlsverify as boolean | undefined,
    tlsCaCert: flags.tlscacert as string | undefined,
    tlsCert: flags.tlscert as string | undefined,
    tlsKey: flags.tlskey as string | undefined,
    allowInsecureTcp: flags.allowInsecureTcpWithoutTls as boolean | undefined,
    defaultRuntime: flags.defaultRuntime as string | undefined,
    metricsAddr: flags.metricsAddr as string | undefined,
    insecureRegistries: flags.insecureRegistry as string[] | undefined,
    registryMirrors: flags.registryMirror as string[] | undefined,
    maxConcurrentDownloads: flags.maxConcurrentDownloads as number | undefined,
    bip: flags.bip as string | undefined,
    icc: flags.icc as boolean | undefined,
    logDriver: flags.logDriver as string | undefined,
    instanceName: flags.instanceName as string | undefined,
  };
  const config: DaemonConfig = { ...DEFAULT_CONFIG, configFile };
  for (const src of [file, fromFlags]) {
    for (const [k, v] of Object.entries(src)) if (v !== undefined) (config as unknown as Record<string, unknown>)[k] = v;
  }
  if (!isLogLevel(config.logLevel)) throw new InvalidParameterError(`invalid log level "${config.logLevel}"`);
  if (config.defaultRuntime !== undefined && !isRuntimeName(config.defaultRuntime)) {
    throw new InvalidParameterError(`default runtime "${config.defaultRuntime}" is not one of runc, crun`);
  }
  if (config.tlsVerify) config.tls = true;
  if (config.tls && (!config.tlsCert || !config.tlsKey)) throw new InvalidParameterError('--tls needs --tlscert and --tlskey');
  if (!Number.isInteger(config.maxConcurrentDownloads) || config.maxConcurrentDownloads < 1) {
    throw new InvalidParameterError('max-concurrent-downloads must be a positive integer');
  }
  return config;
}
