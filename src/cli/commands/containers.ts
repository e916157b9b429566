/** Container commands: flags → options objects → the functions in ../containers/. */
import type { Command } from 'commander';
import { type CreateFlags } from '../containers/create-opts.js';
import { killContainers, pauseContainers, removeContainers, renameContainer, restartContainers, stopContainers, unpauseContainers, updateContainers, waitContainers } from '../containers/manage.js';
import { exportContainer, listContainers, showDiff, showLogs, showPorts, showTop, streamEvents } from '../containers/query.js';
import { createContainer, runContainer } from '../containers/run.js';
import { attachContainer, commitContainer, execInContainer, startContainers } from '../containers/session.js';
import { CliError } from '../errors.js';
import { inspectObjects } from '../images/inspect.js';
import { nanoCpusOf, sizeOf } from '../containers/update-opts.js';
import { addCommand, collect, type CliFactory } from './shared.js';

/** The create/run flags (docker's names and short forms). */
export function addCreateOptions(cmd: Command): Command {
  const list = (flags: string, desc: string) => cmd.option(flags, desc, collect, []);
  // -h is --hostname here, as in docker; help stays on --help.
  cmd
    .helpOption('--help', 'Print usage')
    .option('-i, --interactive', 'Keep STDIN open even if not attached')
    .option('-t, --tty', 'Allocate a pseudo-TTY')
    .option('--rm', 'Automatically remove the container when it exits')
    .option('--name <string>', 'Assign a name to the container')
    .option('-w, --workdir <string>', 'Working directory inside the container')
    .option('--entrypoint <string>', 'Overwrite the default ENTRYPOINT of the image')
    .option('--stop-signal <string>', 'Signal to stop the container')
    .option('--stop-timeout <int>', 'Timeout (in seconds) to stop a container')
    .option('-u, --user <string>', 'Username or UID (format: <name|uid>[:<group|gid>])')
    .option('--privileged', 'Give extended privileges to this container')
    .option('--read-only', "Mount the container's root filesystem as read only")
    .option('--init', 'Run an init inside the container that forwards signals and reaps processes')
    .option('--ipc <string>', 'IPC mode to use')
    .option('--pid <string>', 'PID namespace to use')
    .option('--uts <string>', 'UTS namespace to use')
    .option('-h, --hostname <string>', 'Container host name')
    .option('--domainname <string>', 'Container NIS domain name')
    .option('-m, --memory <bytes>', 'Memory limit')
    .option('--memory-swap <bytes>', "Swap limit equal to memory plus swap: '-1' to enable unlimited swap")
    .option('--memory-reservation <bytes>', 'Memory soft limit')
    .option('--cpus <decimal>', 'Number of CPUs')
    .option('-c, --cpu-shares <int>', 'CPU shares (relative weight)')
    .option('--cpuset-cpus <string>', 'CPUs in which to allow execution (0-3, 0,1)')
    .option('--pids-limit <int>', 'Tune container pids limit (set -1 for unlimited)')
    .option('--blkio-weight <uint16>', 'Block IO (relative weight), between 10 and 1000, or 0 to disable')
    .option('--shm-size <bytes>', 'Size of /dev/shm')
    .option('--restart <string>', 'Restart policy to apply when a container exits', undefined)
    .option('--runtime <string>', 'Runtime to use for this container')
    .option('--network <network>', 'Connect a container to a network')
    .option('-P, --publish-all', 'Publish all exposed ports to random ports')
    .option('--log-driver <string>', 'Logging driver for the container')
    .option('--health-cmd <string>', 'Command to run to check health')
    .option('--health-interval <duration>', 'Time between running the check (ms|s|m|h)')
    .option('--health-timeout <duration>', 'Maximum time to allow one check to run (ms|s|m|h)')
    .option('--health-retries <int>', 'Consecutive failures needed to report unhealthy')
    .option('--health-start-period <duration>', 'Start period for the container to initialize before starting health-retries countdown')
    .option('--health-start-interval <duration>', 'Time between running the check during the start period')
    .option('--no-healthcheck', 'Disable any container-specified HEALTHCHECK')
    .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .option('--pull <string>', 'Pull image before running ("always", "missing", "never")', 'missing');
  list('-a, --attach <stream>', 'Attach to STDIN, STDOUT or STDERR');
  list('-e, --env <list>', 'Set environment variables');
  list('--env-file <file>', 'Read in a file of environment variables');
  list('-l, --label <list>', 'Set meta data on a container');
  list('--label-file <file>', 'Read in a line delimited file of labels');
  list('--group-add <list>', 'Add additional groups to join');
  list('--cap-add <list>', 'Add Linux capabilities');
  list('--cap-drop <list>', 'Drop Linux capabilities');
  list('--security-opt <list>', 'Security Options');
  list('--ulimit <ulimit>', 'Ulimit options');
  list('--device <list>', 'Add a host device to the container');
  list('--sysctl <map>', 'Sysctl options');
  list('--network-alias <list>', 'Add network-scoped alias for the container');
  list('-p, --publish <list>', "Publish a container's port(s) to the host");
  list('--expose <list>', 'Expose a port or a range of ports');
  list('--dns <list>', 'Set custom DNS servers');
  list('--dns-search <list>', 'Set custom DNS search domains');
  list('--dns-option <list>', 'Set DNS options');
  list('--add-host <list>', 'Add a custom host-to-IP mapping (host:ip)');
  list('-v, --volume <list>', 'Bind mount a volume');
  list('--mount <mount>', 'Attach a filesystem mount to the container');
  list('--tmpfs <list>', 'Mount a tmpfs directory');
  list('--volumes-from <list>', 'Mount volumes from the specified container(s)');
  list('--log-opt <list>', 'Log driver options');
  return cmd;
}

type Flags = CreateFlags & { help?: boolean };

export function registerContainerCommands(program: Command, cli: CliFactory): void {
  const container = program.command('container').description('Manage containers');
  const both = (name: string, define: (cmd: Command) => void, aliases: string[] = [], topLevel = true) => {
    addCommand(container, name, define, aliases);
    if (topLevel) addCommand(program, name, define);
  };

  both('create', (cmd) =>
    addCreateOptions(cmd.description('Create a new container').argument('<IMAGE>').argument('[COMMAND...]').passThroughOptions()).action(async (image: string, command: string[], f: Flags) => {
      cli().out(`${await createContainer(cli(), image, command, f)}\n`);
    }),
  );
  both('run', (cmd) =>
    addCreateOptions(cmd.description('Create and run a new container from an image').argument('<IMAGE>').argument('[COMMAND...]').passThroughOptions())
      .option('-d, --detach', 'Run container in background and print container ID')
      .option('--sig-proxy', 'Proxy received signals to the process', true)
      .option('--no-sig-proxy', 'Do not proxy signals')
      .action((image: string, command: string[], f: Flags) => runContainer(cli(), image, command, f)),
  );
  both('start', (cmd) =>
    cmd
      .description('Start one or more stopped containers')
      .argument('<CONTAINER...>')
      .option('-a, --attach', 'Attach STDOUT/STDERR and forward signals')
      .option('-i, --interactive', "Attach container's STDIN")
      .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
      .action((names: string[], o: { attach?: boolean; interactive?: boolean; detachKeys?: string }) => startContainers(cli(), names, o)),
  );
  both('stop', (cmd) =>
    cmd
      .description('Stop one or more running containers')
      .argument('<CONTAINER...>')
      .option('-t, --time <int>', 'Seconds to wait before killing the container')
      .option('-s, --signal <string>', 'Signal to send to the container')
      .action((names: string[], o: { time?: string; signal?: string }) => stopContainers(cli(), names, o)),
  );
  both('restart', (cmd) =>
    cmd
      .description('Restart one or more containers')
      .argument('<CONTAINER...>')
      .option('-t, --time <int>', 'Seconds to wait before killing the container')
      .option('-s, --signal <string>', 'Signal to send to the container')
      .action((names: string[], o: { time?: string; signal?: string }) => restartContainers(cli(), names, o)),
  );
  both('kill', (cmd) =>
    cmd
      .description('Kill one or more running containers')
      .argument('<CONTAINER...>')
      .option('-s, --signal <string>', 'Signal to send to the container')
      .action((names: string[], o: { signal?: string }) => killContainers(cli(), names, o)),
  );
  both('pause', (cmd) => cmd.description('Pause all processes within one or more containers').argument('<CONTAINER...>').action((names: string[]) => pauseContainers(cli(), names)));
  both('unpause', (cmd) => cmd.description('Unpause all processes within one or more containers').argument('<CONTAINER...>').action((names: string[]) => unpauseContainers(cli(), names)));
  both('rename', (cmd) => cmd.description('Rename a container').argument('<CONTAINER>').argument('<NEW_NAME>').action((from: string, to: string) => renameContainer(cli(), from, to)));
  both('wait', (cmd) => cmd.description('Block until containers stop, then print their exit codes').argument('<CONTAINER...>').action((names: string[]) => waitContainers(cli(), names)));
  const defineRm = (cmd: Command) =>
    cmd
      .description('Remove one or more containers')
      .argument('<CONTAINER...>')
      .option('-f, --force', 'Force the removal of a running container (uses SIGKILL)')
      .option('-v, --volumes', 'Remove anonymous volumes associated with the container')
      .option('-l, --link', 'Remove the specified link')
      .action((names: string[], o: { force?: boolean; volumes?: boolean; link?: boolean }) => removeContainers(cli(), names, o));
  addCommand(container, 'rm', defineRm, ['remove']);
  addCommand(program, 'rm', defineRm);
  const definePs = (cmd: Command) =>
    cmd
      .description('List containers')
      .option('-a, --all', 'Show all containers (default shows just running)')
      .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [])
      .option('--format <string>', 'Format output using a custom template')
      .option('-n, --last <int>', 'Show n last created containers (includes all states)')
      .option('-l, --latest', 'Show the latest created container (includes all states)')
      .option('--no-trunc', "Don't truncate output")
      .option('-q, --quiet', 'Only display container IDs')
      .option('-s, --size', 'Display total file sizes')
      .action((o: { all?: boolean; filter: string[]; format?: string; last?: string; latest?: boolean; trunc: boolean; quiet?: boolean; size?: boolean }) =>
        listContainers(cli(), { ...o, noTrunc: !o.trunc }),
      );
  addCommand(container, 'ls', definePs, ['list', 'ps']);
  addCommand(program, 'ps', definePs);
  addCommand(container, 'prune', (cmd) =>
    cmd
      .description('Remove all stopped containers')
      .option('-f, --force', 'Do not prompt for confirmation')
      .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', collect, [])
      .action(async (o: { force?: boolean; filter: string[] }) => (await import('../containers/prune.js')).pruneContainers(cli(), o)),
  );
  addCommand(container, 'inspect', (cmd) =>
    cmd
      .description('Display detailed information on one or more containers')
      .argument('<CONTAINER...>')
      .option('-f, --format <string>', 'Format output using a custom template')
      .option('-s, --size', 'Display total file sizes')
      .action((names: string[], o: { format?: string; size?: boolean }) => inspectObjects(cli(), names, { ...o, type: 'container' })),
  );
  both('top', (cmd) => cmd.description('Display the running processes of a container').argument('<CONTAINER>').argument('[ps OPTIONS...]').action((name: string, args: string[]) => showTop(cli(), name, args)));
  both('diff', (cmd) => cmd.description("Inspect changes to files or directories on a container's filesystem").argument('<CONTAINER>').action((name: string) => showDiff(cli(), name)));
  both('port', (cmd) => cmd.description('List port mappings or a specific mapping for the container').argument('<CONTAINER>').argument('[PRIVATE_PORT[/PROTO]]').action((name: string, port?: string) => showPorts(cli(), name, port)));
  both('export', (cmd) =>
    cmd
      .description("Export a container's filesystem as a tar archive")
      .argument('<CONTAINER>')
      .option('-o, --output <file>', 'Write to a file, instead of STDOUT')
      .action((name: string, o: { output?: string }) => exportContainer(cli(), name, o.output)),
  );
  both('commit', (cmd) =>
    cmd
      .description("Create a new image from a container's changes")
      .argument('<CONTAINER>')
      .argument('[REPOSITORY[:TAG]]')
      .option('-a, --author <string>', 'Author')
      .option('-c, --change <list>', 'Apply Dockerfile instruction to the created image', collect, [])
      .option('-m, --message <string>', 'Commit message')
      .option('-p, --pause', 'Pause container during commit', true)
      .option('--no-pause', 'Do not pause the container during commit')
      .action((name: string, ref: string | undefined, o: { author?: string; change: string[]; message?: string; pause: boolean }) => commitContainer(cli(), name, ref, o)),
  );
  both('cp', (cmd) =>
    cmd
      .description('Copy files/folders between a container and the local filesystem')
      .usage('[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n       berth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH')
      .argument('<SRC>')
      .argument('<DEST>')
      .option('-a, --archive', 'Archive mode (copy all uid/gid information)')
      .option('-L, --follow-link', 'Always follow symbol link in SRC_PATH')
      .option('-q, --quiet', 'Suppress progress output during copy')
      .action(async (src: string, dest: string, o: { archive?: boolean; followLink?: boolean; quiet?: boolean }) => (await import('../containers/copy.js')).copy(cli(), src, dest, o)),
  );
  both('attach', (cmd) =>
    cmd
      .description("Attach local standard input, output, and error streams to a running container")
      .argument('<CONTAINER>')
      .option('--no-stdin', 'Do not attach STDIN')
      .option('--sig-proxy', 'Proxy all received signals to the process', true)
      .option('--no-sig-proxy', 'Do not proxy signals')
      .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
      .action((name: string, o: { stdin: boolean; sigProxy: boolean; detachKeys?: string }) => attachContainer(cli(), name, o)),
  );
  both('exec', (cmd) =>
    cmd
      .description('Execute a command in a running container')
      .argument('<CONTAINER>')
      .argument('<COMMAND...>')
      .passThroughOptions()
      .option('-d, --detach', 'Detached mode: run command in the background')
      .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
      .option('-e, --env <list>', 'Set environment variables', collect, [])
      .option('-i, --interactive', 'Keep STDIN open even if not attached')
      .option('--privileged', 'Give extended privileges to the command')
      .option('-t, --tty', 'Allocate a pseudo-TTY')
      .option('-u, --user <string>', 'Username or UID (format: "<name|uid>[:<group|gid>]")')
      .option('-w, --workdir <string>', 'Working directory inside the container')
      .action((name: string, command: string[], o: { detach?: boolean; detachKeys?: string; env: string[]; interactive?: boolean; privileged?: boolean; tty?: boolean; user?: string; workdir?: string }) =>
        execInContainer(cli(), name, command, o),
      ),
  );
  both('logs', (cmd) =>
    cmd
      .description('Fetch the logs of a container')
      .argument('<CONTAINER>')
      .option('--details', 'Show extra details provided to logs')
      .option('-f, --follow', 'Follow log output')
      .option('--since <string>', 'Show logs since timestamp or relative (e.g. 42m)')
      .option('-n, --tail <string>', 'Number of lines to show from the end of the logs', 'all')
      .option('-t, --timestamps', 'Show timestamps')
      .option('--until <string>', 'Show logs before a timestamp or relative (e.g. 42m)')
      .action((name: string, o: { details?: boolean; follow?: boolean; since?: string; tail?: string; timestamps?: boolean; until?: string }) => showLogs(cli(), name, o)),
  );
  both('update', (cmd) =>
    cmd
      .description('Update configuration of one or more containers')
      .argument('<CONTAINER...>')
      .option('-m, --memory <bytes>', 'Memory limit')
      .option('--memory-swap <bytes>', 'Swap limit')
      .option('--memory-reservation <bytes>', 'Memory soft limit')
      .option('--cpus <decimal>', 'Number of CPUs')
      .option('-c, --cpu-shares <int>', 'CPU shares (relative weight)')
      .option('--cpuset-cpus <string>', 'CPUs in which to allow execution')
      .option('--pids-limit <int>', 'Tune container pids limit')
      .option('--blkio-weight <uint16>', 'Block IO (relative weight)')
      .option('--restart <string>', 'Restart policy to apply when a container exits')
      .action((names: string[], o: Record<string, string | undefined>) => {
        const body: Record<string, unknown> = {};
        if (o.memory) body.Memory = sizeOf('-m, --memory', o.memory);
        if (o.memorySwap) body.MemorySwap = sizeOf('--memory-swap', o.memorySwap);
        if (o.memoryReservation) body.MemoryReservation = sizeOf('--memory-reservation', o.memoryReservation);
        if (o.cpus) body.NanoCpus = nanoCpusOf(o.cpus);
        if (o.cpuShares) body.CpuShares = Number(o.cpuShares);
        if (o.cpusetCpus) body.CpusetCpus = o.cpusetCpus;
        if (o.pidsLimit) body.PidsLimit = Number(o.pidsLimit);
        if (o.blkioWeight) body.BlkioWeight = Number(o.blkioWeight);
        if (o.restart) {
          const [Name, count] = o.restart.split(':');
          body.RestartPolicy = { Name, MaximumRetryCount: count ? Number(count) : 0 };
        }
        if (!Object.keys(body).length) throw new CliError('you must provide one or more flags when using this command');
        return updateContainers(cli(), names, body);
      }),
  );
  both('stats', (cmd) =>
    cmd
      .description('Display a live stream of container(s) resource usage statistics')
      .argument('[CONTAINER...]')
      .option('-a, --all', 'Show all containers (default shows just running)')
      .option('--format <string>', 'Format output using a custom template')
      .option('--no-stream', 'Disable streaming stats and only pull the first result')
      .option('--no-trunc', "Don't truncate output")
      .action(async (names: string[], o: { all?: boolean; format?: string; stream: boolean; trunc: boolean }) => {
        const { showStats } = await import('../containers/stats.js');
        await showStats(cli(), names, { all: o.all, format: o.format, noStream: !o.stream, noTrunc: !o.trunc });
      }),
  );
  addCommand(program, 'events', (cmd) =>
    cmd
      .description('Get real time events from the server')
      .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [])
      .option('--format <string>', 'Format output using a custom template')
      .option('--since <string>', 'Show all events created since timestamp')
      .option('--until <string>', 'Stream events until this timestamp')
      .action((o: { filter: string[]; format?: string; since?: string; until?: string }) => streamEvents(cli(), o)),
  );
}
