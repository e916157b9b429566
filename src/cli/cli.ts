/**
 * What every command needs: the API client for the chosen host, the standard streams and a
 * few terminal facts. Built once from the global options; commands receive it as a parameter
 * so the operations can be driven from tests with other streams.
 */
import type { Readable, Writable } from 'node:stream';
import { BerthClient, DEFAULT_HOST, optionsFromEnv, type ClientOptions } from '../client/client.js';
import { join } from 'node:path';

export interface GlobalOptions {
  host?: string;
  tls?: boolean;
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
  debug?: boolean;
}

export interface Cli {
  readonly host: string;
  readonly client: BerthClient;
  readonly stdout: Writable & { isTTY?: boolean; columns?: number };
  readonly stderr: Writable;
  readonly stdin: Readable & { isTTY?: boolean };
  readonly debug: boolean;
  /** false when NO_COLOR is set or stdout is not a terminal. */
  readonly color: boolean;
  /** Writes to stdout. */
  out(text: string): void;
  /** Writes to stderr. */
  err(text: string): void;
  /** Releases the client's sockets. */
  close(): void;
}

/** Flags override BERTH_HOST / BERTH_TLS_VERIFY / BERTH_CERT_PATH, as with the docker CLI. */
export function clientOptions(g: GlobalOptions, env: NodeJS.ProcessEnv = process.env): ClientOptions {
  const fromEnv = optionsFromEnv(env);
  const host = g.host || fromEnv.host || DEFAULT_HOST;
  const wantsTls = g.tls || g.tlsverify || g.tlscacert || g.tlscert || g.tlskey;
  if (!wantsTls) return { host, tls: fromEnv.tls };
  const certDir = env.BERTH_CERT_PATH || join(env.HOME ?? '', '.berth');
  return {
    host,
    tls: {
      verify: Boolean(g.tlsverify || fromEnv.tls?.verify),
      ca: g.tlscacert ?? (g.tlsverify ? join(certDir, 'ca.pem') : undefined),
      extraCa: env.BERTH_EXTRA_CA_CERTS,
      cert: g.tlscert ?? fromEnv.tls?.cert,
      key: g.tlskey ?? fromEnv.tls?.key,
    },
  };
}

export function createCli(g: GlobalOptions, env: NodeJS.ProcessEnv = process.env): Cli {
  const opts = clientOptions(g, env);
  let client: BerthClient | undefined;
  const stdout = process.stdout;
  return {
    host: opts.host!,
    // Created lazily so `berth completion` and `--help` never touch TLS files or sockets.
    get client() {
      client ??= new BerthClient(opts);
      return client;
    },
    stdout,
    stderr: process.stderr,
    // Also lazily: Node sets up stdin on first use (~6 ms), and most commands never read it.
    get stdin() {
      return process.stdin;
    },
    debug: Boolean(g.debug || env.BERTH_DEBUG),
    color: !env.NO_COLOR && Boolean(stdout.isTTY),
    out: (text) => void stdout.write(text),
    err: (text) => void process.stderr.write(text),
    close: () => client?.close(),
  };
}
