import { join } from 'node:path';
import { instanceName } from '../../daemon/instance.js';
import { openDatabase } from '../../store/db.js';
import { createLogger } from '../../util/log.js';
import { NetworkService } from './service.js';

/**
 * Takes down everything an instance made on the host for its networks (bridges, iptables
 * chains, sandboxes, DNS listeners), after its berthd has stopped. berthd itself keeps them
 * across restarts for its running containers; tests and benchmarks whose instance is gone for
 * good call this.
 */
export async function teardownInstanceNetworking(roots: { dataRoot: string; execRoot: string }): Promise<void> {
  const db = openDatabase(join(roots.dataRoot, 'berth.db'));
  try {
    const name = instanceName({ dataRoot: roots.dataRoot, instanceName: undefined });
    const networks = new NetworkService({ db, ...roots, instanceName: name || undefined, log: createLogger({ component: 'teardown' }) });
    await networks.teardown();
  } finally {
    db.close();
  }
}
