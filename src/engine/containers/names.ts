import { randomBytes, randomInt } from 'node:crypto';
import { InvalidParameterError } from '../../util/errors.js';

/** Docker's container name rule (a leading slash is accepted and dropped). */
const NAME_RE = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function normalizeName(name: string): string {
  if (!NAME_RE.test(name)) throw new InvalidParameterError(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  return name.replace(/^\//, '');
}

const ADJECTIVES = [
  'agile', 'bold', 'brave', 'bright', 'calm', 'clever', 'cool', 'crisp', 'daring', 'eager', 'elegant', 'fair', 'fast', 'fervent',
  'gentle', 'happy', 'keen', 'kind', 'lucid', 'merry', 'modest', 'nimble', 'noble', 'patient', 'proud', 'quick', 'quiet', 'sharp',
  'steady', 'sunny', 'swift', 'tender', 'tidy', 'upbeat', 'vivid', 'warm', 'wise', 'witty', 'zealous', 'zen',
];
const NOUNS = [
  'anchor', 'barge', 'beacon', 'berth', 'bollard', 'buoy', 'cargo', 'channel', 'compass', 'crane', 'current', 'dock', 'ferry',
  'harbor', 'helm', 'hull', 'jetty', 'keel', 'lantern', 'ledger', 'lock', 'mast', 'mooring', 'oar', 'pier', 'port', 'quay',
  'rudder', 'sail', 'schooner', 'skiff', 'sloop', 'tide', 'tugboat', 'vessel', 'wharf', 'windlass',
];

/** A friendly random name, `adjective_noun`, retried with a number suffix on collision. */
export function generateName(taken: (name: string) => boolean): string {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${NOUNS[randomInt(NOUNS.length)]}`;
    const name = attempt < 5 ? base : `${base}${randomInt(100)}`;
    if (!taken(name)) return name;
  }
  return `berth_${randomBytes(6).toString('hex')}`;
}

/** 64 hex characters, never all digits (Docker avoids IDs that parse as numbers). */
export function generateId(): string {
  for (;;) {
    const id = randomBytes(32).toString('hex');
    if (!/^\d+$/.test(id.slice(0, 12))) return id;
  }
}
