/**
 * `berth compose`: Docker Compose on top of the Engine API. Flags are parsed here into options
 * for the project engine (src/compose/engine); the engine talks to berthd through BerthClient.
 * Global flags (-f, -p, --project-directory, --env-file, --profile, --ansi, --progress) belong
 * to `compose` itself and come before the subcommand, as with `docker compose`.
 */
import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { loadProject, serializeProject, type Project } from '../../compose/loader/index.js';
import {
  buildService,
  ComposeApi,
  configHash,
  ComposeEngineError,
  containerOf,
  createOneoff,
  down,
  followProject,
  imageName,
  imageRows,
  isRunning,
  killProject,
  LABEL,
  listProjects,
  nameOf,
  pauseProject,
  PrefixPrinter,
  projectContainers,
  projectFilter,
  psRow,
  pullImage,
  removeProjectContainers,
  restartProject,
  selectServices,
  splitImageRef,
  startProject,
  stopProject,
  streamLogs,
  unpauseProject,
  up,
  type ComposeContext,
} from '../../compose/engine/index.js';
import { createProgressWriter, type ProgressMode, type ProgressWriter } from '../../compose/progress/index.js';
import { createCli, type Cli, type GlobalOptions } from '../cli.js';
import { execInContainer } from '../containers/session.js';
import { streamSession } from '../containers/streams.js';
import { CliError, ExitStatus } from '../errors.js';
import { goTimeString } from '../format/ids.js';
import { renderList, type Row } from '../format/output.js';
import { tabwrite } from '../format/tabwriter.js';
import { humanSizeWithPrecision, timeAgo } from '../format/units.js';
import { confirm } from '../prompt.js';
import { collect } from './shared.js';

interface ComposeFlags {
  file: string[];
  projectName?: string;
  projectDirectory?: string;
  envFile: string[];
  profile: string[];
  ansi: 'never' | 'always' | 'auto';
  progress: ProgressMode;
}

interface Session {
  cli: Cli;
  ctx: ComposeContext;
  flags: ComposeFlags;
}

type CliFactory = () => Cli;

/** Loads the project for a subcommand; services named on the command line are enabled even when their profile is not. */
async function loadFor(cli: Cli, f: ComposeFlags, includeServices: string[] = []): Promise<Project> {
  const project = await loadProject({
    workingDir: process.cwd(),
    files: f.file.length ? f.file : undefined,
    projectDirectory: f.projectDirectory,
    projectName: f.projectName,
    envFiles: f.envFile.length ? f.envFile : undefined,
    environment: process.env,
    profiles: f.profile.length ? f.profile : undefined,
    includeServices,
  });
  for (const w of project.warnings) cli.err(`WARN[0000] ${w}\n`);
  return project;
}

/** A project that may not have files: commands like `ps -p x` or `down -p x` work from labels alone. */
async function loadOrEmpty(cli: Cli, f: ComposeFlags, includeServices: string[] = []): Promise<Project> {
  try {
    return await loadFor(cli, f, includeServices);
  } catch (err) {
    if (!f.projectName || f.file.length || !/no configuration file provided/.test((err as Error).message)) throw err;
    return { name: f.projectName, workingDir: process.cwd(), composeFiles: [], services: {}, disabledServices: {}, networks: {}, volumes: {}, secrets: {}, configs: {}, profiles: [], environment: {}, extensions: {}, warnings: [] };
  }
}

function useColor(cli: Cli, f: ComposeFlags, stream: { isTTY?: boolean }): boolean {
  if (f.ansi === 'never') return false;
  if (f.ansi === 'always') return true;
  return !process.env.NO_COLOR && Boolean(stream.isTTY);
}

function progressWriter(cli: Cli, f: ComposeFlags, title: string): ProgressWriter {
  const stderr = cli.stderr as NodeJS.WriteStream;
  const mode = f.ansi === 'never' && f.progress === 'auto' ? 'plain' : f.progress;
  return createProgressWriter({ mode, out: stderr, title, color: useColor(cli, f, stderr) });
}

/** Engine failures become CLI errors with compose's wording. */
function asCliError(err: unknown): unknown {
  if (err instanceof ComposeEngineError) return new CliError(err.message, err.exitCode);
  return err;
}

export function registerComposeCommand(program: Command, getCli?: CliFactory): void {
  let ownCli: Cli | undefined;
  const cliOf: CliFactory = getCli ?? (() => (ownCli ??= createCli(program.opts<GlobalOptions>())));
  const compose = program
    .command('compose')
    .description('Define and run multi-container applications')
    .enablePositionalOptions()
    .passThroughOptions()
    .option('-f, --file <file>', 'Compose configuration files', collect, [])
    .option('-p, --project-name <name>', 'Project name')
    .option('--project-directory <dir>', 'Specify an alternate working directory (default: the path of the first Compose file)')
    .option('--env-file <file>', 'Specify an alternate environment file', collect, [])
    .option('--profile <profile>', 'Specify a profile to enable', collect, [])
    .addOption(new Option('--ansi <when>', 'Control when to print ANSI control characters').choices(['never', 'always', 'auto']).default('auto'))
    .addOption(new Option('--progress <type>', 'Set type of progress output').choices(['auto', 'tty', 'plain', 'json', 'quiet']).default('auto'));

  const flags = () => compose.opts<ComposeFlags>();

  /** Runs a subcommand with a loaded project and a progress writer titled `title`. */
  const withProject =
    <A extends unknown[]>(title: string, fn: (s: Session, ...args: A) => Promise<void>, o: { services?: (first: never) => string[]; needsFiles?: boolean } = {}) =>
    async (...args: A): Promise<void> => {
      const cli = cliOf();
      const f = flags();
      const includes = o.services?.(args[0] as never) ?? [];
      const project = o.needsFiles === false ? await loadOrEmpty(cli, f, includes) : await loadFor(cli, f, includes);
      const progress = progressWriter(cli, f, title);
      const ctx: ComposeContext = { api: new ComposeApi(cli.client), project, progress };
      try {
        await fn({ cli, ctx, flags: f }, ...args);
      } catch (err) {
        throw asCliError(err);
      } finally {
        progress.stop();
        ownCli?.close();
      }
    };

  const sub = (name: string, description: string) => compose.command(name).description(description);

  sub('up', 'Create and start containers')
    .argument('[SERVICE...]')
    .option('-d, --detach', 'Detached mode: Run containers in the background')
    .option('--build', 'Build images before starting containers')
    .option('--no-build', "Don't build an image, even if it's missing")
    .option('--force-recreate', "Recreate containers even if their configuration and image haven't changed")
    .option('--no-recreate', "If containers already exist, don't recreate them")
    .option('--no-start', "Don't start the services after creating them")
    .option('--no-deps', "Don't start linked services")
    .option('--remove-orphans', 'Remove containers for services not defined in the Compose file')
    .option('--scale <SERVICE=NUM>', 'Scale SERVICE to NUM instances', collect, [])
    .option('--wait', 'Wait for services to be running|healthy. Implies detached mode.')
    .option('--abort-on-container-exit', 'Stops all containers if any container was stopped')
    .option('--exit-code-from <service>', 'Return the exit code of the selected service container')
    .option('--no-color', 'Produce monochrome output')
    .option('--no-log-prefix', "Don't print prefix in logs")
    .option('-t, --timeout <seconds>', 'Use this timeout in seconds for container shutdown')
    .action(
      withProject(
        'Running',
        async (s, services: string[], o: UpFlags) => {
          const detach = Boolean(o.detach || o.wait);
          if (detach && (o.abortOnContainerExit || o.exitCodeFrom)) throw new CliError('--abort-on-container-exit and --exit-code-from cannot be combined with --detach or --wait');
          if (o.forceRecreate && o.recreate === false) throw new CliError('--force-recreate and --no-recreate are incompatible');
          const started = Math.floor(Date.now() / 1000);
          const selected = await up(s.ctx, {
            services,
            noDeps: o.deps === false,
            build: o.build === true ? 'always' : o.build === false ? 'never' : 'missing',
            recreate: o.forceRecreate ? 'force' : o.recreate === false ? 'never' : 'diverged',
            removeOrphans: o.removeOrphans,
            scale: parseScale(o.scale),
            noStart: o.start === false,
            wait: o.wait,
            timeout: o.timeout !== undefined ? Number(o.timeout) : undefined,
          });
          s.ctx.progress.stop();
          if (detach || o.start === false) return;
          await attachUp(s, selected.map((x) => x.name), started, o);
        },
        { services: (services: string[]) => services },
      ),
    );

  sub('create', 'Creates containers for a service')
    .argument('[SERVICE...]')
    .option('--build', 'Build images before starting containers')
    .option('--no-build', "Don't build an image, even if it's missing")
    .option('--force-recreate', "Recreate containers even if their configuration and image haven't changed")
    .option('--no-recreate', "If containers already exist, don't recreate them")
    .option('--remove-orphans', 'Remove containers for services not defined in the Compose file')
    .option('--scale <SERVICE=NUM>', 'Scale SERVICE to NUM instances', collect, [])
    .action(
      withProject('Running', async (s, services: string[], o: UpFlags) => {
        await up(s.ctx, { services, build: o.build === true ? 'always' : o.build === false ? 'never' : 'missing', recreate: o.forceRecreate ? 'force' : o.recreate === false ? 'never' : 'diverged', removeOrphans: o.removeOrphans, scale: parseScale(o.scale), noStart: true });
      }, { services: (services: string[]) => services }),
    );

  sub('down', 'Stop and remove containers, networks')
    .option('-v, --volumes', 'Remove named volumes declared in the "volumes" section of the Compose file and anonymous volumes attached to containers')
    .addOption(new Option('--rmi <type>', 'Remove images used by services. "local" remove only images that don\'t have a custom tag ("local"|"all")').choices(['local', 'all']))
    .option('--remove-orphans', 'Remove containers for services not defined in the Compose file')
    .option('-t, --timeout <seconds>', 'Specify a shutdown timeout in seconds')
    .action(
      withProject(
        'Running',
        async (s, o: { volumes?: boolean; rmi?: 'local' | 'all'; removeOrphans?: boolean; timeout?: string }) => {
          await down(s.ctx, { volumes: o.volumes, rmi: o.rmi, removeOrphans: o.removeOrphans, timeout: o.timeout !== undefined ? Number(o.timeout) : undefined });
        },
        { needsFiles: false },
      ),
    );

  sub('ps', 'List containers')
    .argument('[SERVICE...]')
    .option('-a, --all', 'Show all stopped containers (including those created by the run command)')
    .option('-q, --quiet', 'Only display IDs')
    .option('--services', 'Display services')
    .option('--format <string>', 'Format output using a custom template: table, json, or a Go template')
    .option('--status <status>', 'Filter services by status', collect, [])
    .action(
      withProject(
        'Running',
        async (s, services: string[], o: { all?: boolean; quiet?: boolean; services?: boolean; format?: string; status: string[] }) => {
          let list = await projectContainers(s.ctx, { services, oneoff: o.all ? 'include' : 'exclude', all: Boolean(o.all) || o.status.length > 0 });
          if (o.status.length) list = list.filter((c) => o.status.includes(c.State));
          if (o.services) {
            const names = o.all ? new Set(list.map((c) => c.Labels?.[LABEL.service] ?? '')) : new Set(list.filter(isRunning).map((c) => c.Labels?.[LABEL.service] ?? ''));
            const all = Object.keys(s.ctx.project.services);
            s.cli.out([...(all.length ? all.filter((n) => names.has(n) || o.all) : names)].map((n) => `${n}\n`).join(''));
            return;
          }
          const rows = list.map((c) => psRow(c, s.ctx.project.name, timeAgo(c.Created), goTimeString(c.Created)) as unknown as Row);
          s.cli.out(
            renderList(rows, {
              format: o.format,
              quiet: o.quiet,
              defaultTable: 'table {{.Name}}\t{{.Image}}\t{{.Command}}\t{{.Service}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}',
              quietFormat: '{{.ID}}',
              headers: { Name: 'NAME', Names: 'NAMES', Image: 'IMAGE', Command: 'COMMAND', Service: 'SERVICE', RunningFor: 'CREATED', CreatedAt: 'CREATED', Status: 'STATUS', State: 'STATE', Ports: 'PORTS', ID: 'CONTAINER ID', Project: 'PROJECT', Health: 'HEALTH', ExitCode: 'EXIT CODE' },
            }),
          );
        },
        { services: (services: string[]) => services, needsFiles: false },
      ),
    );

  sub('logs', 'View output from containers')
    .argument('[SERVICE...]')
    .option('-f, --follow', 'Follow log output')
    .option('-n, --tail <lines>', 'Number of lines to show from the end of the logs for each container', 'all')
    .option('-t, --timestamps', 'Show timestamps')
    .option('--since <string>', 'Show logs since timestamp or relative time')
    .option('--no-color', 'Produce monochrome output')
    .option('--no-log-prefix', "Don't print prefix in logs")
    .action(
      withProject(
        'Running',
        async (s, services: string[], o: { follow?: boolean; tail: string; timestamps?: boolean; since?: string; color: boolean; logPrefix: boolean }) => {
          const list = await projectContainers(s.ctx, { services });
          const printer = new PrefixPrinter({ out: s.cli.stdout, color: o.color && useColor(s.cli, s.flags, s.cli.stdout), prefix: o.logPrefix, names: list.map(nameOf) });
          await streamLogs(s.ctx, list, { follow: o.follow, tail: o.tail, timestamps: o.timestamps, since: o.since }, printer);
        },
        { services: (services: string[]) => services, needsFiles: false },
      ),
    );

  sub('build', 'Build or rebuild services')
    .argument('[SERVICE...]')
    .option('--no-cache', 'Do not use cache when building the image')
    .option('--pull', 'Always attempt to pull a newer version of the image')
    .option('-q, --quiet', "Don't print anything to STDOUT")
    .action(
      withProject('Building', async (s, services: string[], o: { cache: boolean; pull?: boolean; quiet?: boolean }) => {
        const targets = selectServices(s.ctx, services, true).filter((x) => x.build);
        for (const service of targets) await buildService(s.ctx, service, { noCache: !o.cache, pull: o.pull, quiet: o.quiet });
      }, { services: (services: string[]) => services }),
    );

  sub('pull', 'Pull service images')
    .argument('[SERVICE...]')
    .option('--ignore-pull-failures', 'Pull what it can and ignores images with pull failures')
    .option('-q, --quiet', 'Pull without printing progress information')
    .action(
      withProject('Pulling', async (s, services: string[], o: { ignorePullFailures?: boolean }) => {
        const targets = selectServices(s.ctx, services, true).filter((x) => x.image);
        await Promise.all(
          targets.map((service) =>
            pullImage(s.ctx, service, service.image!).catch((err: unknown) => {
              if (!o.ignorePullFailures && !service.build) throw err;
            }),
          ),
        );
      }, { services: (services: string[]) => services }),
    );

  sub('push', 'Push service images')
    .argument('[SERVICE...]')
    .option('--ignore-push-failures', 'Push what it can and ignores images with push failures')
    .action(
      withProject('Pushing', async (s, services: string[], o: { ignorePushFailures?: boolean }) => {
        const targets = selectServices(s.ctx, services, true).filter((x) => x.image);
        for (const service of targets) {
          const { repo, tag } = splitImageRef(service.image!);
          const id = `Image ${service.image}`;
          s.ctx.progress.event({ id, text: 'Pushing', state: 'working' });
          try {
            await s.ctx.api.push(repo, tag);
            s.ctx.progress.event({ id, text: 'Pushed', state: 'done' });
          } catch (err) {
            s.ctx.progress.event({ id, text: 'Error', state: 'error', details: (err as Error).message });
            if (!o.ignorePushFailures) throw err;
          }
        }
      }, { services: (services: string[]) => services }),
    );

  sub('config', 'Parse, resolve and render compose file in canonical format')
    .argument('[SERVICE...]')
    .addOption(new Option('--format <format>', 'Format the output').choices(['yaml', 'json']).default('yaml'))
    .option('-q, --quiet', 'Only validate the configuration, don\'t print anything')
    .option('--services', 'Print the service names, one per line')
    .option('--volumes', 'Print the volume names, one per line')
    .option('--networks', 'Print the network names, one per line')
    .option('--profiles', 'Print the profile names, one per line')
    .option('--images', 'Print the image names, one per line')
    .option('--hash <service>', 'Print the service config hash, one per line ("*" for all)')
    .option('-o, --output <file>', 'Save to file (default to stdout)')
    .action(async (services: string[], o: { format: 'yaml' | 'json'; quiet?: boolean; services?: boolean; volumes?: boolean; networks?: boolean; profiles?: boolean; images?: boolean; hash?: string; output?: string }) => {
      const cli = cliOf();
      try {
        const project = await loadFor(cli, flags(), services);
        if (services.length) for (const name of Object.keys(project.services)) if (!services.includes(name)) delete project.services[name];
        if (o.quiet) return;
        let text: string;
        if (o.services) text = lines(Object.keys(project.services));
        else if (o.volumes) text = lines(Object.keys(project.volumes));
        else if (o.networks) text = lines(Object.keys(project.networks));
        else if (o.profiles) text = lines([...new Set([...Object.values(project.services), ...Object.values(project.disabledServices)].flatMap((x) => x.profiles ?? []))].sort());
        else if (o.images) text = lines(Object.values(project.services).map((x) => imageName(project, x)));
        else if (o.hash) text = lines(Object.values(project.services).filter((x) => o.hash === '*' || o.hash!.split(',').includes(x.name)).map((x) => `${x.name} ${configHash(project, x)}`));
        else text = serializeProject(project, o.format);
        if (o.output) {
          await writeFile(o.output, text);
        } else cli.out(text);
      } finally {
        ownCli?.close();
      }
    });

  sub('exec', 'Execute a command in a running container')
    .argument('<SERVICE>')
    .argument('<COMMAND...>')
    .passThroughOptions()
    .option('-d, --detach', 'Detached mode: Run command in the background')
    .option('-e, --env <KEY=VAL>', 'Set environment variables', collect, [])
    .option('--index <n>', 'Index of the container if service has multiple replicas', '1')
    .option('-T, --no-TTY', 'Disable pseudo-TTY allocation. By default `docker compose exec` allocates a TTY.')
    .option('--privileged', 'Give extended privileges to the process')
    .option('-u, --user <user>', 'Run the command as this user')
    .option('-w, --workdir <dir>', 'Path to workdir directory for this command')
    .action(
      withProject(
        'Running',
        async (s, service: string, command: string[], o: { detach?: boolean; env: string[]; index: string; TTY: boolean; privileged?: boolean; user?: string; workdir?: string }) => {
          const c = await containerOf(s.ctx, service, Number(o.index));
          if (!c) throw new CliError(`service "${service}" is not running`);
          const tty = o.TTY && Boolean(s.cli.stdin.isTTY) && Boolean(s.cli.stdout.isTTY);
          await execInContainer(s.cli, c.Id, command, { interactive: !o.detach, tty, detach: o.detach, env: o.env, user: o.user, workdir: o.workdir, privileged: o.privileged });
        },
        { services: (service: string) => [service] },
      ),
    );

  sub('run', 'Run a one-off command on a service')
    .argument('<SERVICE>')
    .argument('[COMMAND...]')
    .passThroughOptions()
    .option('-d, --detach', 'Run container in background and print container ID')
    .option('--rm', 'Automatically remove the container when it exits')
    .option('--name <name>', 'Assign a name to the container')
    .option('--entrypoint <cmd>', 'Override the entrypoint of the image')
    .option('-e, --env <KEY=VAL>', 'Set environment variables', collect, [])
    .option('-l, --label <KEY=VAL>', 'Add or override a label', collect, [])
    .option('-p, --publish <port>', "Publish a container's port(s) to the host", collect, [])
    .option('--service-ports', "Run command with all service's ports enabled and mapped to the host")
    .option('-T, --no-TTY', 'Disable pseudo-TTY allocation (default: auto-detected)')
    .option('-i, --interactive', 'Keep STDIN open even if not attached', true)
    .option('--no-deps', "Don't start linked services")
    .option('--build', 'Build image before starting container')
    .option('-u, --user <user>', 'Run as specified username or uid')
    .option('-w, --workdir <dir>', 'Working directory inside the container')
    .action(
      withProject(
        'Running',
        async (s, service: string, command: string[], o: RunFlags) => {
          const interactive = o.interactive && !o.detach;
          const tty = o.TTY && Boolean(s.cli.stdin.isTTY) && !o.detach;
          const { id, name } = await createOneoff(s.ctx, { service, command, entrypoint: o.entrypoint, env: o.env, labels: o.label, name: o.name, user: o.user, workdir: o.workdir, tty, interactive, noDeps: o.deps === false, servicePorts: o.servicePorts, publish: o.publish, build: o.build, rm: o.rm });
          s.ctx.progress.stop();
          if (o.detach) {
            await s.ctx.api.startContainer(id);
            s.cli.out(`${name}\n`);
            return;
          }
          await runAttached(s, id, { tty, interactive, rm: Boolean(o.rm) });
        },
        { services: (service: string) => [service] },
      ),
    );

  const simple = (name: string, description: string, title: string, action: (s: Session, services: string[], o: Record<string, string | boolean | undefined>) => Promise<void>, define: (c: Command) => Command = (c) => c) =>
    define(sub(name, description).argument('[SERVICE...]')).action(withProject(title, action, { services: (services: string[]) => services, needsFiles: false }));

  simple('start', 'Start services', 'Running', (s, services) => startProject(s.ctx, { services }));
  simple('stop', 'Stop services', 'Stopping', (s, services, o) => stopProject(s.ctx, { services, timeout: o.timeout !== undefined ? Number(o.timeout) : undefined }), (c) => c.option('-t, --timeout <seconds>', 'Specify a shutdown timeout in seconds'));
  simple('restart', 'Restart service containers', 'Restarting', (s, services, o) => restartProject(s.ctx, { services, timeout: o.timeout !== undefined ? Number(o.timeout) : undefined }), (c) => c.option('-t, --timeout <seconds>', 'Specify a shutdown timeout in seconds'));
  simple('kill', 'Force stop service containers', 'Killing', (s, services, o) => killProject(s.ctx, { services, signal: o.signal as string }), (c) => c.option('-s, --signal <signal>', 'SIGNAL to send to the container', 'SIGKILL').option('--remove-orphans', 'Remove containers for services not defined in the Compose file'));
  simple('pause', 'Pause services', 'Pausing', (s, services) => pauseProject(s.ctx, { services }));
  simple('unpause', 'Unpause services', 'Unpausing', (s, services) => unpauseProject(s.ctx, { services }));
  simple(
    'rm',
    'Removes stopped service containers',
    'Removing',
    async (s, services, o) => {
      const list = await projectContainers(s.ctx, { services });
      const candidates = list.filter((c) => o.stop || !isRunning(c));
      if (!candidates.length) {
        s.cli.err('No stopped containers\n');
        return;
      }
      if (!o.force && s.cli.stdin.isTTY) {
        s.ctx.progress.stop();
        if (!(await confirm(s.cli, `Going to remove ${candidates.map(nameOf).join(', ')}`))) return;
      }
      await removeProjectContainers(s.ctx, { services, stop: Boolean(o.stop), volumes: Boolean(o.volumes) });
    },
    (c) => c.option('-f, --force', "Don't ask to confirm removal").option('-s, --stop', 'Stop the containers, if required, before removing').option('-v, --volumes', 'Remove any anonymous volumes attached to containers'),
  );

  sub('top', 'Display the running processes')
    .argument('[SERVICE...]')
    .action(
      withProject('Running', async (s, services: string[]) => {
        const list = (await projectContainers(s.ctx, { services, all: false })).filter(isRunning);
        for (const c of list) {
          const top = await s.ctx.api.top(c.Id);
          s.cli.out(`${nameOf(c)}\n${tabwrite([top.Titles.join('\t'), ...top.Processes.map((p) => p.join('\t'))].join('\n') + '\n')}\n`);
        }
      }, { services: (services: string[]) => services, needsFiles: false }),
    );

  sub('images', 'List images used by the created containers')
    .argument('[SERVICE...]')
    .option('-q, --quiet', 'Only display IDs')
    .option('--format <string>', 'Format the output: table or json')
    .action(
      withProject('Running', async (s, services: string[], o: { quiet?: boolean; format?: string }) => {
        const rows = await imageRows(s.ctx, await projectContainers(s.ctx, { services }));
        if (o.quiet) return s.cli.out(lines([...new Set(rows.map((r) => r.ID))]));
        if (o.format === 'json') return s.cli.out(`${JSON.stringify(rows.map((r) => ({ ...r, ID: r.ID })))}\n`);
        s.cli.out(
          renderList(
            rows.map((r) => ({ ...r, ID: r.ID.replace(/^sha256:/, '').slice(0, 12), Size: humanSizeWithPrecision(r.Size, 3) })),
            { defaultTable: 'table {{.Container}}\t{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Size}}', quietFormat: '{{.ID}}', headers: { Container: 'CONTAINER', Repository: 'REPOSITORY', Tag: 'TAG', ID: 'IMAGE ID', Size: 'SIZE' } },
          ),
        );
      }, { services: (services: string[]) => services, needsFiles: false }),
    );

  sub('port', 'Print the public port for a port binding')
    .argument('<SERVICE>')
    .argument('<PRIVATE_PORT>')
    .option('--protocol <proto>', 'tcp or udp', 'tcp')
    .option('--index <n>', 'Index of the container if service has multiple replicas', '1')
    .action(
      withProject('Running', async (s, service: string, port: string, o: { protocol: string; index: string }) => {
        const c = await containerOf(s.ctx, service, Number(o.index));
        if (!c) throw new CliError(`service "${service}" is not running`);
        const info = await s.ctx.api.inspectContainer(c.Id);
        const binding = info.NetworkSettings?.Ports?.[`${port}/${o.protocol}`]?.[0];
        if (!binding) throw new CliError(`no port ${port}/${o.protocol} for container ${nameOf(c)}`);
        s.cli.out(`${binding.HostIp || '0.0.0.0'}:${binding.HostPort}\n`);
      }, { services: (service: string) => [service], needsFiles: false }),
    );

  sub('events', 'Receive real time events from containers')
    .argument('[SERVICE...]')
    .option('--json', 'Output events as a stream of json objects')
    .action(
      withProject('Running', async (s, services: string[], o: { json?: boolean }) => {
        const res = await s.ctx.api.events({ filters: JSON.stringify({ label: projectFilter(s.ctx.project.name), type: ['container'] }) });
        let buf = '';
        for await (const chunk of res as AsyncIterable<Buffer>) {
          buf += chunk.toString();
          for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (line) printEvent(s.cli, line, services, Boolean(o.json));
          }
        }
      }, { services: (services: string[]) => services, needsFiles: false }),
    );

  sub('ls', 'List running compose projects')
    .option('-a, --all', 'Show all stopped Compose projects')
    .option('-q, --quiet', 'Only display project names')
    .option('--format <string>', 'Format the output: table or json', 'table')
    .action(async (o: { all?: boolean; quiet?: boolean; format: string }) => {
      const cli = cliOf();
      try {
        const rows = await listProjects(new ComposeApi(cli.client), Boolean(o.all));
        if (o.quiet) cli.out(lines(rows.map((r) => r.Name)));
        else if (o.format === 'json') cli.out(`${JSON.stringify(rows)}\n`);
        else cli.out(renderList(rows as unknown as Row[], { format: o.format, defaultTable: 'table {{.Name}}\t{{.Status}}\t{{.ConfigFiles}}', quietFormat: '{{.Name}}', headers: { Name: 'NAME', Status: 'STATUS', ConfigFiles: 'CONFIG FILES' } }));
      } finally {
        ownCli?.close();
      }
    });

  sub('scale', 'Scale services')
    .argument('<SERVICE=REPLICAS...>')
    .option('--no-deps', "Don't start linked services")
    .action(
      withProject('Running', async (s, specs: string[], o: { deps: boolean }) => {
        const scale = parseScale(specs);
        await up(s.ctx, { services: Object.keys(scale), noDeps: o.deps === false, build: 'missing', recreate: 'never', scale });
      }, { services: (specs: string[]) => Object.keys(parseScale(specs)) }),
    );

  sub('wait', 'Block until the first service container stops')
    .argument('<SERVICE...>')
    .option('--down-project', 'Drops project when the first container stops')
    .action(
      withProject('Running', async (s, services: string[], o: { downProject?: boolean }) => {
        const list = await projectContainers(s.ctx, { services });
        if (!list.length) throw new CliError(`no containers for services ${services.join(', ')}`);
        const code = await Promise.race(list.map((c) => s.ctx.api.waitContainer(c.Id, 'not-running')));
        s.cli.out(`${code}\n`);
        if (o.downProject) await down(s.ctx, {});
        if (code !== 0) throw new ExitStatus(code);
      }, { services: (services: string[]) => services, needsFiles: false }),
    );

  sub('version', 'Show the Docker Compose version information')
    .option('--short', 'Shows only Compose\'s version number')
    .action(async (o: { short?: boolean }) => {
      const { COMPOSE_VERSION } = await import('../../compose/engine/labels.js');
      cliOf().out(o.short ? `${COMPOSE_VERSION}\n` : `berth compose version ${COMPOSE_VERSION}\n`);
    });
}

interface UpFlags {
  detach?: boolean;
  build?: boolean;
  recreate?: boolean;
  forceRecreate?: boolean;
  start?: boolean;
  deps?: boolean;
  removeOrphans?: boolean;
  scale: string[];
  wait?: boolean;
  abortOnContainerExit?: boolean;
  exitCodeFrom?: string;
  color?: boolean;
  logPrefix?: boolean;
  timeout?: string;
}

interface RunFlags {
  detach?: boolean;
  rm?: boolean;
  name?: string;
  entrypoint?: string;
  env: string[];
  label: string[];
  publish: string[];
  servicePorts?: boolean;
  TTY: boolean;
  interactive: boolean;
  deps: boolean;
  build?: boolean;
  user?: string;
  workdir?: string;
}

function lines(items: string[]): string {
  return items.map((i) => `${i}\n`).join('');
}

/** `web=3 worker=2` → { web: 3, worker: 2 }. */
function parseScale(specs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const spec of specs) {
    const m = /^([^=]+)=(\d+)$/.exec(spec);
    if (!m) throw new CliError(`invalid scale specifier: ${spec} (expected SERVICE=NUM)`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** Attached `up`: prefixed logs until everything exits; ctrl-c stops the project gracefully (twice: kill). */
async function attachUp(s: Session, services: string[], since: number, o: UpFlags): Promise<void> {
  const list = await projectContainers(s.ctx, { services });
  const printer = new PrefixPrinter({ out: s.cli.stdout, color: o.color !== false && useColor(s.cli, s.flags, s.cli.stdout), prefix: o.logPrefix !== false, names: list.map(nameOf) });
  s.cli.out(`Attaching to ${list.map(nameOf).join(', ')}\n`);
  const abort = new AbortController();
  let interrupts = 0;
  const timeout = o.timeout !== undefined ? Number(o.timeout) : undefined;
  const quiet = { ...s.ctx, progress: progressWriter(s.cli, s.flags, 'Stopping') };
  const onSignal = () => {
    interrupts++;
    if (interrupts === 1) {
      s.cli.err('Gracefully stopping... (press Ctrl+C again to force)\n');
      abort.abort();
    } else void killProject(quiet, { services, signal: 'SIGKILL' });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const code = await followProject(s.ctx, { services, printer, abortOnExit: Boolean(o.abortOnContainerExit || o.exitCodeFrom), exitCodeFrom: o.exitCodeFrom, since, timeout, signal: abort.signal });
    if (abort.signal.aborted) {
      await stopProject(quiet, { services, timeout });
      quiet.progress.stop();
      throw new ExitStatus(130);
    }
    if (code !== 0) throw new ExitStatus(code);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** `run` without -d: attach, start, wait, remove with --rm, exit with the container's code. */
async function runAttached(s: Session, id: string, o: { tty: boolean; interactive: boolean; rm: boolean }): Promise<void> {
  const { client } = s.cli;
  const waitRes = await client.call('POST', `/containers/${id}/wait`, { query: { condition: 'next-exit' } });
  const waited = (async () => {
    const chunks: Buffer[] = [];
    for await (const c of waitRes as AsyncIterable<Buffer>) chunks.push(c);
    return (JSON.parse(Buffer.concat(chunks).toString() || '{}') as { StatusCode?: number }).StatusCode ?? 0;
  })();
  const session = await client.hijack('POST', `/containers/${id}/attach`, { query: { stream: true, stdin: o.interactive, stdout: true, stderr: true } });
  const streaming = streamSession(s.cli, { ...session, tty: o.tty, stdin: o.interactive, resizePath: `/containers/${id}/resize` });
  try {
    await s.ctx.api.startContainer(id);
  } catch (err) {
    session.socket.destroy();
    if (o.rm) await s.ctx.api.removeContainer(id, { force: true }).catch(() => {});
    throw err;
  }
  const end = await streaming;
  if (end === 'detached') return;
  const code = await waited;
  if (o.rm) await s.ctx.api.removeContainer(id, { force: true }).catch(() => {});
  if (code !== 0) throw new ExitStatus(code);
}

function printEvent(cli: Cli, line: string, services: string[], json: boolean): void {
  const ev = JSON.parse(line) as { Type: string; Action: string; Actor: { ID: string; Attributes?: Record<string, string> }; time: number; timeNano?: number };
  const attrs = ev.Actor.Attributes ?? {};
  const service = attrs[LABEL.service] ?? '';
  if (services.length && !services.includes(service)) return;
  const time = new Date(Math.floor((ev.timeNano ?? ev.time * 1e9) / 1e6)).toISOString();
  const shown = Object.fromEntries(Object.entries(attrs).filter(([k]) => !k.startsWith('com.docker.compose.')));
  if (json) {
    cli.out(`${JSON.stringify({ time, type: ev.Type, action: ev.Action, id: ev.Actor.ID, service, attributes: shown })}\n`);
    return;
  }
  const text = Object.entries(shown).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(', ');
  cli.out(`${time.replace('T', ' ').replace('Z', '')} ${ev.Type} ${ev.Action} ${ev.Actor.ID}${text ? ` (${text})` : ''}\n`);
}
