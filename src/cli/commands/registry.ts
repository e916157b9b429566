import type { Command } from 'commander';
import { errorMessage } from '../../util/errors.js';
import { BlobStore } from '../../registry/storage/blob-store.js';
import { GarbageCollector, type GcResult } from '../../registry/storage/gc.js';
import { RegistryMetadata } from '../../registry/storage/metadata.js';
import { startRegistry } from '../../registry/server/index.js';
import { loadConfigFile, parseDuration, type RegistryOptions } from '../../registry/server/options.js';

interface ServeFlags {
  addr?: string;
  root?: string;
  config?: string;
  tlsCert?: string;
  tlsKey?: string;
  htpasswd?: string;
  tokenRealm?: string;
  tokenIssuer?: string;
  tokenService?: string;
  tokenKey?: string;
  proxy?: string;
  readOnly?: boolean;
  gcInterval?: string;
  accessLog?: string | boolean;
}

interface GcFlags {
  root?: string;
  url?: string;
  gracePeriod: string;
  deleteUntagged?: boolean;
  dryRun?: boolean;
}

/** Flags override the config file; the config file overrides defaults. */
export function serveOptions(flags: ServeFlags): RegistryOptions {
  const file = flags.config ? loadConfigFile(flags.config) : {};
  const root = flags.root ?? file.root;
  if (!root) throw new Error('--root (or root: in --config) is required');
  const opts: RegistryOptions = { ...file, addr: flags.addr ?? file.addr ?? '127.0.0.1:5000', root };
  if (flags.tlsCert || flags.tlsKey) {
    if (!flags.tlsCert || !flags.tlsKey) throw new Error('--tls-cert and --tls-key go together');
    opts.tls = { cert: flags.tlsCert, key: flags.tlsKey };
  }
  if (flags.htpasswd) opts.htpasswd = flags.htpasswd;
  if (flags.tokenRealm || flags.tokenIssuer || flags.tokenService || flags.tokenKey) {
    opts.token = {
      ...file.token,
      realm: flags.tokenRealm ?? file.token?.realm,
      issuer: flags.tokenIssuer ?? file.token?.issuer,
      service: flags.tokenService ?? file.token?.service,
      key: flags.tokenKey ?? file.token?.key,
    };
  }
  if (flags.proxy) opts.proxy = { ...file.proxy, url: flags.proxy };
  if (flags.readOnly) opts.readOnly = true;
  if (flags.gcInterval) opts.gcInterval = parseDuration(flags.gcInterval);
  if (flags.accessLog !== undefined) opts.accessLog = flags.accessLog;
  return opts;
}

function printGc(result: GcResult, dryRun: boolean): void {
  const verb = dryRun ? 'would delete' : 'deleted';
  for (const m of result.deletedManifests) process.stdout.write(`${verb} manifest ${m.repo}@${m.digest}\n`);
  for (const b of result.deletedBlobs) process.stdout.write(`${verb} blob ${b.digest} (${b.size} bytes)\n`);
  process.stdout.write(
    `${result.deletedBlobs.length} blobs, ${result.deletedManifests.length} manifests, ${result.bytesFreed} bytes ${dryRun ? 'reclaimable' : 'freed'}\n`,
  );
}

/** Offline GC straight on a storage root (stop the server first, or use --url). */
export async function runOfflineGc(flags: GcFlags): Promise<GcResult> {
  if (!flags.root) throw new Error('--root or --url is required');
  const blobs = new BlobStore(flags.root);
  const meta = new RegistryMetadata(flags.root);
  try {
    return await new GarbageCollector(blobs, meta).run({
      gracePeriodMs: parseDuration(flags.gracePeriod),
      deleteUntagged: flags.deleteUntagged,
      dryRun: flags.dryRun,
    });
  } finally {
    meta.close();
  }
}

async function runRemoteGc(flags: GcFlags & { url: string }): Promise<GcResult> {
  const q = new URLSearchParams({
    gracePeriodMs: String(parseDuration(flags.gracePeriod)),
    deleteUntagged: String(Boolean(flags.deleteUntagged)),
    dryRun: String(Boolean(flags.dryRun)),
  });
  const res = await fetch(`${flags.url.replace(/\/+$/, '')}/_berth/gc?${q}`, { method: 'POST' });
  if (!res.ok) throw new Error(`registry answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as GcResult;
}

export function registerRegistryCommands(program: Command): void {
  const registry = program.command('registry').description('Run an OCI distribution registry');
  registry
    .command('serve')
    .description('Serve an OCI distribution-spec v1.1 registry')
    .option('--addr <host:port>', 'address to listen on (default 127.0.0.1:5000)')
    .option('--root <dir>', 'storage directory')
    .option('--config <file>', 'YAML or JSON file with the same options')
    .option('--tls-cert <file>', 'TLS certificate (PEM)')
    .option('--tls-key <file>', 'TLS private key (PEM)')
    .option('--htpasswd <file>', 'htpasswd file with bcrypt entries (Basic auth)')
    .option('--token-realm <url>', 'token auth: realm clients are sent to (default: this registry /token)')
    .option('--token-issuer <name>', 'token auth: issuer')
    .option('--token-service <name>', 'token auth: service')
    .option('--token-key <file>', 'token auth: signing key PEM (EC P-256 or RSA; generated if absent)')
    .option('--proxy <url>', 'pull-through cache of this upstream registry')
    .option('--read-only', 'refuse all writes')
    .option('--gc-interval <duration>', 'run garbage collection periodically, e.g. 1h')
    .option('--access-log [file]', 'JSON access log to stdout or a file')
    .action(async (flags: ServeFlags) => {
      try {
        const running = await startRegistry(serveOptions(flags));
        process.stdout.write(`berth registry listening on ${running.url}\n`);
        const stop = (): void => {
          void running.close().then(() => process.exit(0));
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      } catch (err) {
        process.stderr.write(`berth registry serve: ${errorMessage(err)}\n`);
        process.exitCode = 1;
      }
    });
  registry
    .command('gc')
    .description('Delete blobs (and optionally untagged manifests) no tag references')
    .option('--root <dir>', 'storage directory (offline; the server should not be running)')
    .option('--url <url>', 'ask a running registry (on loopback) to collect instead')
    .option('--grace-period <duration>', 'keep anything younger than this', '10m')
    .option('--delete-untagged', 'also delete manifests no tag reaches')
    .option('--dry-run', 'only print what would be deleted')
    .action(async (flags: GcFlags) => {
      try {
        const result = flags.url ? await runRemoteGc({ ...flags, url: flags.url }) : await runOfflineGc(flags);
        printGc(result, Boolean(flags.dryRun));
      } catch (err) {
        process.stderr.write(`berth registry gc: ${errorMessage(err)}\n`);
        process.exitCode = 1;
      }
    });
}
