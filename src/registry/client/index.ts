/** The OCI distribution client: endpoints, auth, manifests and blobs of remote registries. */
export { RegistryClient, RepositoryClient, MANIFEST_ACCEPT, type FetchedManifest, type RepositoryAction } from './client.js';
export { parseChallenge, basicHeader, type Challenge, type Credentials } from './auth.js';
export { endpointsFor, isInsecure, isLoopbackHost, registryHost, DOCKER_HUB, type Endpoint, type RegistrySettings } from './endpoints.js';
export { RegistryContentError, RegistryResponseError, RegistryUnreachableError, formatRegistryErrors, type RegistryErrorEntry } from './errors.js';
