/**
 * Image commands: the `image` group and docker's top-level shortcuts (images, rmi, tag, save,
 * load, import, history). Each definition only maps flags to an options object.
 */
import type { Command } from 'commander';
import { imageHistory, listImages } from '../images/list.js';
import { inspectObjects, tagImage } from '../images/inspect.js';
import { pruneImages, removeImages } from '../images/remove.js';
import { importImage, loadImages, saveImages } from '../images/transfer.js';
import { addCommand, collect, type CliFactory } from './shared.js';

function defineList(cli: CliFactory) {
  return (cmd: Command) =>
    cmd
      .description('List images')
      .argument('[REPOSITORY[:TAG]]')
      .option('-a, --all', 'Show all images (default hides intermediate images)')
      .option('--digests', 'Show digests')
      .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [])
      .option('--format <string>', "Format output using a custom template: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'")
      .option('--no-trunc', "Don't truncate output")
      .option('-q, --quiet', 'Only show image IDs')
      .action((reference: string | undefined, o: { all?: boolean; digests?: boolean; filter: string[]; format?: string; trunc: boolean; quiet?: boolean }) =>
        listImages(cli(), { ...o, noTrunc: !o.trunc, reference }),
      );
}

function defineInspect(cli: CliFactory) {
  return (cmd: Command) =>
    cmd
      .description('Display detailed information on one or more images')
      .argument('<IMAGE...>')
      .option('-f, --format <string>', 'Format output using a custom template')
      .action((names: string[], o: { format?: string }) => inspectObjects(cli(), names, { format: o.format, type: 'image' }));
}

function defineRemove(cli: CliFactory) {
  return (cmd: Command) =>
    cmd
      .description('Remove one or more images')
      .argument('<IMAGE...>')
      .option('-f, --force', 'Force removal of the image')
      .option('--no-prune', 'Do not delete untagged parents')
      .action((names: string[], o: { force?: boolean; prune: boolean }) => removeImages(cli(), names, { force: o.force, noPrune: !o.prune }));
}

function defineTag(cli: CliFactory) {
  return (cmd: Command) =>
    cmd
      .description('Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE')
      .argument('<SOURCE_IMAGE[:TAG]>')
      .argument('<TARGET_IMAGE[:TAG]>')
      .action((source: string, target: string) => tagImage(cli(), source, target));
}

function defineSave(cli: CliFactory) {
  return (cmd: Command) =>
    cmd
      .description('Save one or more images to a tar archive (streamed to STDOUT by default)')
      .argument('<IMAGE...>')
      .option('-o, --output <file>', 'Write to a file, instead of STDOUT')
      .action((names: string[], o: { output?: string }) => saveImages(cli(), names, o));
}

function defineLoad(cli: CliFactory) {
  return (cmd: Command) =>
    cmd
      .description('Load an image from a tar archive or STDIN')
      .option('-i, --input <file>', 'Read from tar archive file, instead of STDIN')
      .option('-q, --quiet', 'Suppress the load output')
      .action((o: { input?: string; quiet?: boolean }) => loadImages(cli(), o));
}

function defineImport(cli: CliFactory) {
  return (cmd: Command) =>
    cmd
      .description('Import the contents from a tarball to create a filesystem image')
      .argument('<file|URL|->')
      .argument('[REPOSITORY[:TAG]]')
      .option('-c, --change <instruction>', 'Apply Dockerfile instruction to the created image', collect, [])
      .option('-m, --message <string>', 'Set commit message for imported image')
      .option('--platform <string>', 'Set platform if server is multi-platform capable')
      .action((source: string, reference: string | undefined, o: { change: string[]; message?: string; platform?: string }) => importImage(cli(), source, reference, o));
}

function defineHistory(cli: CliFactory) {
  return (cmd: Command) =>
    cmd
      .description('Show the history of an image')
      .argument('<IMAGE>')
      .option('--format <string>', 'Format output using a custom template')
      .option('-H, --human', 'Print sizes and dates in human readable format (default true; -H=false to disable)', true)
      .option('--no-human', 'Print raw sizes and RFC 3339 dates')
      .option('--no-trunc', "Don't truncate output")
      .option('-q, --quiet', 'Only show image IDs')
      .action((image: string, o: { format?: string; human: boolean; trunc: boolean; quiet?: boolean }) =>
        imageHistory(cli(), image, { format: o.format, human: o.human, noTrunc: !o.trunc, quiet: o.quiet }),
      );
}

function definePrune(cli: CliFactory) {
  return (cmd: Command) =>
    cmd
      .description('Remove unused images')
      .option('-a, --all', 'Remove all unused images, not just dangling ones')
      .option('--filter <filter>', "Provide filter values (e.g. 'until=<timestamp>')", collect, [])
      .option('-f, --force', 'Do not prompt for confirmation')
      .action((o: { all?: boolean; filter: string[]; force?: boolean }) => pruneImages(cli(), o));
}

export function registerImageCommands(program: Command, cli: CliFactory): void {
  const image = program.command('image').description('Manage images');
  addCommand(image, 'ls', defineList(cli), ['list']);
  addCommand(image, 'inspect', defineInspect(cli));
  addCommand(image, 'rm', defineRemove(cli), ['remove']);
  addCommand(image, 'tag', defineTag(cli));
  addCommand(image, 'save', defineSave(cli));
  addCommand(image, 'load', defineLoad(cli));
  addCommand(image, 'import', defineImport(cli));
  addCommand(image, 'history', defineHistory(cli));
  addCommand(image, 'prune', definePrune(cli));

  addCommand(program, 'images', defineList(cli));
  addCommand(program, 'rmi', defineRemove(cli));
  addCommand(program, 'tag', defineTag(cli));
  addCommand(program, 'save', defineSave(cli));
  addCommand(program, 'load', defineLoad(cli));
  addCommand(program, 'import', defineImport(cli));
  addCommand(program, 'history', defineHistory(cli));
}
