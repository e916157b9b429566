import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../util/log.js';
import type { Authorizer } from '../auth/authorizer.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { GarbageCollector } from '../storage/gc.js';
import type { RegistryMetadata } from '../storage/metadata.js';
import type { UploadManager } from '../storage/uploads.js';
import type { Metrics } from './metrics.js';
import type { Upstream } from './proxy.js';

/** Everything a handler may use; built once by startRegistry. */
export interface Services {
  blobs: BlobStore;
  uploads: UploadManager;
  meta: RegistryMetadata;
  gc: GarbageCollector;
  auth: Authorizer;
  metrics: Metrics;
  upstream?: Upstream;
  readOnly: boolean;
  log: Logger;
}

/** One request on its way through a handler. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
  services: Services;
  /** Authenticated user, for the access log. */
  user?: string;
  bytesIn: number;
}
