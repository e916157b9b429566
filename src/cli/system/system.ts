/** `berth version` and `berth info`. */
import { BERTH_VERSION, API_VERSION } from '../../api/version.js';
import type { Cli } from '../cli.js';
import { renderInfo, type SystemInfo } from '../format/info.js';
import { renderObject } from '../format/output.js';
import { renderVersion, versionTemplateData, type ClientVersion, type ServerVersion } from '../format/version.js';

const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' };

export function clientVersion(host: string): ClientVersion {
  return {
    Version: BERTH_VERSION,
    ApiVersion: API_VERSION,
    DefaultAPIVersion: API_VERSION,
    NodeVersion: process.version,
    Os: process.platform,
    Arch: GOARCH[process.arch] ?? process.arch,
    Host: host,
  };
}

export interface FormatOption {
  format?: string;
}

/** Prints the client block even when the daemon is down, then fails with the connection error. */
export async function showVersion(cli: Cli, opts: FormatOption): Promise<void> {
  const client = clientVersion(cli.host);
  let server: ServerVersion | undefined;
  let failure: unknown;
  try {
    server = await cli.client.get<ServerVersion>('/version');
  } catch (err) {
    failure = err;
  }
  const data = { Client: client, Server: server };
  if (!opts.format) cli.out(renderVersion(data));
  else {
    let text = '';
    try {
      text = renderObject(versionTemplateData(data), opts.format);
    } catch (err) {
      // As docker: a template reaching into the missing server is not the error to report.
      if (!failure) throw err;
    }
    cli.out(`${text}\n`);
  }
  if (failure) throw failure;
}

export async function showInfo(cli: Cli, opts: FormatOption): Promise<void> {
  let info: SystemInfo | undefined;
  let failure: unknown;
  try {
    info = await cli.client.get<SystemInfo>('/info');
  } catch (err) {
    failure = err;
  }
  const client = { Version: BERTH_VERSION, Host: cli.host, Debug: cli.debug };
  if (opts.format) {
    if (failure) throw failure;
    cli.out(`${renderObject({ ...info, ClientInfo: client }, opts.format)}\n`);
    return;
  }
  const { out, warnings } = renderInfo(client, info);
  cli.out(out);
  if (warnings) cli.err(warnings);
  if (failure) throw failure;
}
