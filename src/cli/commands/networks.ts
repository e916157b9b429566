/** `berth network …`: flags → options → the Docker network API. */
import type { Command } from 'commander';
import type { Cli } from '../cli.js';
import { forEach } from '../containers/manage.js';
import { CliError } from '../errors.js';
import { filtersQuery } from '../filters.js';
import { networkListFormat, networkRows, type NetworkSummary } from '../format/networks.js';
import { renderList } from '../format/output.js';
import { inspectObjects } from '../images/inspect.js';
import { confirm } from '../prompt.js';
import { addCommand, collect, type CliFactory } from './shared.js';

const enc = encodeURIComponent;

export interface NetworkCreateOptions {
  driver: string;
  subnet: string[];
  gateway: string[];
  ipRange: string[];
  auxAddress: string[];
  internal?: boolean;
  attachable?: boolean;
  ipv6?: boolean;
  label: string[];
  opt: string[];
  ipamDriver?: string;
}

/** `k=v` list → object (a bare `k` maps to ''). */
export function keyValues(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const i = item.indexOf('=');
    if (i < 0) out[item] = '';
    else out[item.slice(0, i)] = item.slice(i + 1);
  }
  return out;
}

/** docker pairs the nth --gateway/--ip-range with the nth --subnet. */
export function networkCreateBody(name: string, o: NetworkCreateOptions): Record<string, unknown> {
  if (o.gateway.length > o.subnet.length || o.ipRange.length > o.subnet.length) throw new CliError('every ip-range or gateway must have a corresponding subnet');
  const config = o.subnet.map((Subnet, i) => ({ Subnet, ...(o.ipRange[i] ? { IPRange: o.ipRange[i] } : {}), ...(o.gateway[i] ? { Gateway: o.gateway[i] } : {}) }));
  if (o.auxAddress.length && config[0]) (config[0] as Record<string, unknown>).AuxiliaryAddresses = keyValues(o.auxAddress);
  return {
    Name: name,
    Driver: o.driver,
    Internal: Boolean(o.internal),
    Attachable: Boolean(o.attachable),
    EnableIPv6: o.ipv6 || undefined,
    Labels: keyValues(o.label),
    Options: keyValues(o.opt),
    IPAM: { Driver: o.ipamDriver ?? 'default', Config: config, Options: {} },
  };
}

async function createNetwork(cli: Cli, name: string, o: NetworkCreateOptions): Promise<void> {
  const r = await cli.client.json<{ Id: string; Warning?: string }>('POST', '/networks/create', { body: networkCreateBody(name, o) });
  if (r.Warning) cli.err(`WARNING: ${r.Warning}\n`);
  cli.out(`${r.Id}\n`);
}

async function listNetworks(cli: Cli, o: { filter: string[]; format?: string; quiet?: boolean; trunc: boolean }): Promise<void> {
  const list = await cli.client.get<NetworkSummary[]>('/networks', { filters: filtersQuery(o.filter) });
  list.sort((a, b) => a.Name.localeCompare(b.Name));
  cli.out(renderList(networkRows(list, { noTrunc: !o.trunc }), networkListFormat(o)));
}

async function pruneNetworks(cli: Cli, o: { force?: boolean; filter: string[] }): Promise<void> {
  if (!o.force && !(await confirm(cli, 'WARNING! This will remove all custom networks not used by at least one container.'))) return;
  const r = await cli.client.json<{ NetworksDeleted: string[] | null }>('POST', '/networks/prune', { query: { filters: filtersQuery(o.filter) } });
  const deleted = r.NetworksDeleted ?? [];
  if (deleted.length) cli.out(`Deleted Networks:\n${deleted.map((n) => `${n}\n`).join('')}\n`);
}

/** The network half of `system prune`: the deleted names, already confirmed. */
export async function pruneNetworksReport(cli: Cli, filters: string[]): Promise<string> {
  const r = await cli.client.json<{ NetworksDeleted: string[] | null }>('POST', '/networks/prune', { query: { filters: filtersQuery(filters) } });
  const deleted = r.NetworksDeleted ?? [];
  return deleted.length ? `Deleted Networks:\n${deleted.map((n) => `${n}\n`).join('')}\n` : '';
}

export function registerNetworkCommands(program: Command, cli: CliFactory): void {
  const network = program.command('network').description('Manage networks');
  addCommand(network, 'create', (cmd) =>
    cmd
      .description('Create a network')
      .argument('<NETWORK>')
      .option('-d, --driver <string>', 'Driver to manage the Network', 'bridge')
      .option('--subnet <string>', 'Subnet in CIDR format that represents a network segment', collect, [])
      .option('--gateway <string>', 'IPv4 or IPv6 Gateway for the master subnet', collect, [])
      .option('--ip-range <string>', 'Allocate container ip from a sub-range', collect, [])
      .option('--aux-address <map>', 'Auxiliary IPv4 or IPv6 addresses used by Network driver', collect, [])
      .option('--ipam-driver <string>', 'IP Address Management Driver')
      .option('--internal', 'Restrict external access to the network')
      .option('--attachable', 'Enable manual container attachment')
      .option('--ipv6', 'Enable or disable IPv6 networking')
      .option('--label <list>', 'Set metadata on a network', collect, [])
      .option('-o, --opt <map>', 'Set driver specific options', collect, [])
      .action((name: string, o: NetworkCreateOptions) => createNetwork(cli(), name, o)),
  );
  addCommand(
    network,
    'ls',
    (cmd) =>
      cmd
        .description('List networks')
        .option('-f, --filter <filter>', 'Provide filter values (e.g. "driver=bridge")', collect, [])
        .option('--format <string>', 'Format output using a custom template')
        .option('--no-trunc', 'Do not truncate the output')
        .option('-q, --quiet', 'Only display network IDs')
        .action((o: { filter: string[]; format?: string; quiet?: boolean; trunc: boolean }) => listNetworks(cli(), o)),
    ['list'],
  );
  addCommand(network, 'inspect', (cmd) =>
    cmd
      .description('Display detailed information on one or more networks')
      .argument('<NETWORK...>')
      .option('-f, --format <string>', 'Format output using a custom template')
      .option('-v, --verbose', 'Verbose output for diagnostics')
      .action((names: string[], o: { format?: string }) => inspectObjects(cli(), names, { format: o.format, type: 'network' })),
  );
  addCommand(
    network,
    'rm',
    (cmd) =>
      cmd
        .description('Remove one or more networks')
        .argument('<NETWORK...>')
        .option('-f, --force', 'Do not error if the network does not exist')
        .action(async (names: string[], o: { force?: boolean }) => {
          await forEach(cli(), names, async (n) => {
            try {
              (await cli().client.call('DELETE', `/networks/${enc(n)}`)).resume();
            } catch (err) {
              if (o.force && (err as { status?: number }).status === 404) return;
              throw err;
            }
          });
        }),
    ['remove'],
  );
  addCommand(network, 'prune', (cmd) =>
    cmd
      .description('Remove all unused networks')
      .option('-f, --force', 'Do not prompt for confirmation')
      .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', collect, [])
      .action((o: { force?: boolean; filter: string[] }) => pruneNetworks(cli(), o)),
  );
  addCommand(network, 'connect', (cmd) =>
    cmd
      .description('Connect a container to a network')
      .argument('<NETWORK>')
      .argument('<CONTAINER>')
      .option('--alias <strings>', 'Add network-scoped alias for the container', collect, [])
      .option('--ip <string>', 'IPv4 address (e.g., "172.30.100.104")')
      .option('--ip6 <string>', 'IPv6 address (e.g., "2001:db8::33")')
      .option('--link <list>', 'Add link to another container', collect, [])
      .option('--driver-opt <strings>', 'driver options for the network', collect, [])
      .action(async (net: string, container: string, o: { alias: string[]; ip?: string; ip6?: string; link: string[]; driverOpt: string[] }) => {
        const EndpointConfig: Record<string, unknown> = { Aliases: o.alias, Links: o.link, DriverOpts: keyValues(o.driverOpt) };
        if (o.ip || o.ip6) EndpointConfig.IPAMConfig = { IPv4Address: o.ip, IPv6Address: o.ip6 };
        (await cli().client.call('POST', `/networks/${enc(net)}/connect`, { body: { Container: container, EndpointConfig } })).resume();
      }),
  );
  addCommand(network, 'disconnect', (cmd) =>
    cmd
      .description('Disconnect a container from a network')
      .argument('<NETWORK>')
      .argument('<CONTAINER>')
      .option('-f, --force', 'Force the container to disconnect from a network')
      .action(async (net: string, container: string, o: { force?: boolean }) => {
        (await cli().client.call('POST', `/networks/${enc(net)}/disconnect`, { body: { Container: container, Force: Boolean(o.force) } })).resume();
      }),
  );
}
