/**
 * tar-stream's pack, made safe to abandon.
 *
 * Destroying a pack (its reader went away: `docker save` or `docker cp` cut short) destroys
 * the entry being written, and the pending ones, with the same error, which streamx emits as
 * an 'error' event. An entry written from a buffer has no listener for it, and one fed by a
 * pipeline has none once that pipeline settled; unheard, the event is thrown and ends the
 * process. Every entry gets a listener here. Its failure still reaches the entry's callback
 * or pipeline, and the pack's failure its reader.
 */
import tar from 'tar-stream';

export function tarPack(): tar.Pack {
  const pack = tar.pack();
  const entry = pack.entry.bind(pack);
  pack.entry = ((...args: Parameters<typeof entry>) => entry(...args).on('error', () => undefined)) as typeof pack.entry;
  return pack;
}
