/**
 * Shows a JSON message stream (import, load, pull) the way docker's jsonmessage does without
 * a terminal: one line per status, `id: status progress` when the message has an id, and
 * `stream` text as is. In-band errors surface as ApiError from BerthClient.messages.
 */
import type { IncomingMessage } from 'node:http';
import type { Cli } from './cli.js';

export interface ShowMessagesOptions {
  /** Only `stream` text (e.g. "Loaded image: x"), no status lines. */
  quiet?: boolean;
  /** Called with every status so the caller can keep the last one (an image ID). */
  onStatus?: (status: string) => void;
}

export async function showMessages(cli: Cli, res: IncomingMessage, opts: ShowMessagesOptions = {}): Promise<void> {
  for await (const msg of cli.client.messages(res)) {
    if (msg.stream !== undefined) {
      cli.out(msg.stream);
      continue;
    }
    if (msg.status === undefined) continue;
    opts.onStatus?.(msg.status);
    if (opts.quiet) continue;
    const progress = msg.progress ? ` ${msg.progress}` : '';
    cli.out(msg.id ? `${msg.id}: ${msg.status}${progress}\n` : `${msg.status}${progress}\n`);
  }
}
