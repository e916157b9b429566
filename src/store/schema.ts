/**
 * The whole metadata schema, in one place. Update the drawing when the structure changes,
 * and add a migration (never edit one that has shipped).
 *
 *   images ─────────────┐            snapshots (overlay, keyed by chain ID or container key)
 *   id = config digest  │              key ── parent ──▶ key ...
 *   manifest_digest     │              kind: committed | active | view
 *        ▲              │
 *   tags.image_id       │            containers (added by the containers migration)
 *   repo_digests.image_id            leases ──▶ lease_resources (kind, ref): protects blobs and
 *                                              snapshots from GC while work is in progress
 *
 *   networks ◀── endpoints (network_id, container_id): one interface of a container's sandbox
 *   id, name       ip_allocations (network_id, address, owner): IPAM, incl. gateway/aux
 *   driver, pools  sandboxes (container_id): netns path, DNS settings, published ports
 *                  pending_connections (container_id, network_id): `network connect`s, re-attached at every start
 *
 *   volumes ◀── volume_refs (container_id, destination): which container uses which volume
 *   name, driver   where; `mounted` while the driver holds a mount for that container.
 *   labels, options  Anonymous volumes carry the label com.docker.volume.anonymous.
 *
 *   build_cache (key): Dockerfile step cache key ──▶ images.id of the step's result (an
 *                      intermediate image, as the classic builder keeps them)
 *
 *   distribution_sources (digest, registry, repository): where a blob was pulled from or
 *                      pushed to, so a push can mount it across repositories
 *
 * Blobs themselves live in the content store (files named by digest); the DB only says who
 * references them. GC marks from images (manifest → config + layers), snapshots from image
 * chain IDs and containers, and anything held by an unexpired lease; it sweeps the rest.
 */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'images, tags, snapshots, leases',
    sql: `
      CREATE TABLE images (
        id              TEXT PRIMARY KEY,      -- sha256 of the image config (Docker's image ID)
        manifest_digest TEXT NOT NULL,         -- the OCI manifest we keep for it
        created         TEXT NOT NULL,         -- the config's created timestamp (RFC 3339)
        size            INTEGER NOT NULL,      -- sum of uncompressed layer sizes
        labels          TEXT NOT NULL DEFAULT '{}', -- JSON, copied from config for filtering
        parent          TEXT,                  -- local parent image (commit/build), for history
        added_at        INTEGER NOT NULL       -- ms since epoch, for before/since ordering
      );
      CREATE TABLE tags (
        name      TEXT PRIMARY KEY,            -- normalized reference: docker.io/library/busybox:latest
        image_id  TEXT NOT NULL REFERENCES images(id)
      );
      CREATE INDEX tags_image ON tags(image_id);
      CREATE TABLE repo_digests (
        name      TEXT NOT NULL,               -- repository: docker.io/library/busybox
        digest    TEXT NOT NULL,               -- manifest digest as the registry knows it
        image_id  TEXT NOT NULL REFERENCES images(id),
        PRIMARY KEY (name, digest)
      );
      CREATE TABLE snapshots (
        key        TEXT PRIMARY KEY,           -- committed: chain ID; active/view: caller's key
        parent     TEXT REFERENCES snapshots(key),
        kind       TEXT NOT NULL CHECK (kind IN ('committed', 'active', 'view')),
        dir_id     TEXT NOT NULL UNIQUE,       -- directory name under snapshots/
        size       INTEGER NOT NULL DEFAULT 0,
        labels     TEXT NOT NULL DEFAULT '{}',
        created_at INTEGER NOT NULL
      );
      CREATE TABLE leases (
        id         TEXT PRIMARY KEY,
        expires_at INTEGER NOT NULL
      );
      CREATE TABLE lease_resources (
        lease_id TEXT NOT NULL REFERENCES leases(id) ON DELETE CASCADE,
        kind     TEXT NOT NULL CHECK (kind IN ('blob', 'snapshot')),
        ref      TEXT NOT NULL,
        PRIMARY KEY (lease_id, kind, ref)
      );
    `,
  },
  {
    version: 2,
    description: 'containers',
    sql: `
      CREATE TABLE containers (
        id           TEXT PRIMARY KEY,         -- 64 hex characters
        name         TEXT NOT NULL UNIQUE,     -- without the leading slash
        image_id     TEXT NOT NULL REFERENCES images(id),
        image_ref    TEXT NOT NULL,            -- what the user asked for (Config.Image)
        snapshot_key TEXT,                     -- active snapshot holding the rootfs
        created_at   INTEGER NOT NULL,         -- ms since epoch
        config       TEXT NOT NULL,            -- JSON: Docker's Config
        host_config  TEXT NOT NULL,            -- JSON: Docker's HostConfig
        state        TEXT NOT NULL,            -- JSON: Docker's State plus runtime bookkeeping
        networking   TEXT NOT NULL DEFAULT '{}' -- JSON: NetworkSettings / endpoints
      );
      CREATE INDEX containers_image ON containers(image_id);
    `,
  },
  {
    version: 3,
    description: 'networks, endpoints, IPAM allocations, sandboxes',
    sql: `
      CREATE TABLE networks (
        id          TEXT PRIMARY KEY,          -- 64 hex characters
        name        TEXT NOT NULL UNIQUE,
        driver      TEXT NOT NULL,             -- bridge | macvlan | host | null
        internal    INTEGER NOT NULL DEFAULT 0,
        attachable  INTEGER NOT NULL DEFAULT 0,
        enable_ipv6 INTEGER NOT NULL DEFAULT 0,
        ipam        TEXT NOT NULL DEFAULT '{}', -- JSON: {driver, options, pools: [{Subnet, Gateway, IPRange, AuxiliaryAddresses}]}
        options     TEXT NOT NULL DEFAULT '{}', -- JSON: driver options (com.docker.network.*)
        labels      TEXT NOT NULL DEFAULT '{}',
        device      TEXT NOT NULL DEFAULT '',  -- bridge device or macvlan parent
        builtin     INTEGER NOT NULL DEFAULT 0, -- bridge/host/none: cannot be removed
        created     TEXT NOT NULL              -- RFC 3339
      );
      CREATE TABLE sandboxes (
        container_id   TEXT PRIMARY KEY,
        container_name TEXT NOT NULL,
        mode           TEXT NOT NULL,          -- bridge | host | none
        netns_path     TEXT NOT NULL DEFAULT '',
        dns            TEXT NOT NULL DEFAULT '{}', -- JSON: hostname, dns, dnsSearch, dnsOptions, extraHosts
        ports          TEXT NOT NULL DEFAULT '[]'  -- JSON: published ports [{proto, containerPort, hostIp, hostPort}]
      );
      CREATE TABLE endpoints (
        id             TEXT PRIMARY KEY,
        network_id     TEXT NOT NULL REFERENCES networks(id),
        container_id   TEXT NOT NULL REFERENCES sandboxes(container_id),
        container_name TEXT NOT NULL,
        ifname         TEXT NOT NULL,          -- inside the sandbox: eth0, eth1 ...
        host_ifname    TEXT NOT NULL DEFAULT '', -- host side of the veth
        mac            TEXT NOT NULL,
        ipv4           TEXT NOT NULL,
        prefix_len     INTEGER NOT NULL,
        gateway        TEXT NOT NULL DEFAULT '',
        aliases        TEXT NOT NULL DEFAULT '[]',
        dns_names      TEXT NOT NULL DEFAULT '[]',
        links          TEXT NOT NULL DEFAULT '[]',
        static_ip      TEXT,
        created_at     INTEGER NOT NULL,
        UNIQUE (network_id, container_id)
      );
      CREATE INDEX endpoints_container ON endpoints(container_id);
      CREATE TABLE ip_allocations (
        network_id TEXT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
        address    TEXT NOT NULL,
        owner      TEXT NOT NULL,              -- gateway | aux:<name> | endpoint:<id>
        PRIMARY KEY (network_id, address)
      );
      CREATE TABLE pending_connections (
        container_id TEXT NOT NULL,
        network_id   TEXT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
        config       TEXT NOT NULL DEFAULT '{}', -- JSON: EndpointConfig
        PRIMARY KEY (container_id, network_id)
      );
    `,
  },
  {
    version: 4,
    description: 'build cache',
    sql: `
      CREATE TABLE build_cache (
        key        TEXT PRIMARY KEY,           -- sha256 over parent image, instruction and inputs (engine/build/cache)
        image_id   TEXT NOT NULL,              -- the image the step produced; a miss when it is gone
        created_at INTEGER NOT NULL,           -- ms since epoch
        last_used  INTEGER NOT NULL
      );
      CREATE INDEX build_cache_image ON build_cache(image_id);
    `,
  },
  {
    version: 5,
    description: 'volumes and which container uses which',
    sql: `
      CREATE TABLE volumes (
        name       TEXT PRIMARY KEY,           -- unique across drivers, as in Docker
        driver     TEXT NOT NULL,              -- local | a plugin name
        labels     TEXT NOT NULL DEFAULT '{}', -- JSON
        options    TEXT NOT NULL DEFAULT '{}', -- JSON: driver options given at create
        created_at INTEGER NOT NULL            -- ms since epoch
      );
      CREATE TABLE volume_refs (
        container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
        destination  TEXT NOT NULL,            -- mount path inside the container
        volume_name  TEXT NOT NULL REFERENCES volumes(name),
        mounted      INTEGER NOT NULL DEFAULT 0, -- the driver holds a mount for this container
        PRIMARY KEY (container_id, destination)
      );
      CREATE INDEX volume_refs_volume ON volume_refs(volume_name);
    `,
  },
  {
    version: 6,
    description: 'distribution sources: which registry repository holds which blob (for cross-repo mounts)',
    sql: `
      CREATE TABLE distribution_sources (
        digest     TEXT NOT NULL,              -- blob digest (layer or config)
        registry   TEXT NOT NULL,              -- registry host as in references: 127.0.0.1:5000, docker.io
        repository TEXT NOT NULL,              -- path within the registry: team/bb
        updated_at INTEGER NOT NULL,           -- ms since epoch; the newest sources are tried first
        PRIMARY KEY (digest, registry, repository)
      );
    `,
  },
  {
    version: 7,
    description: "snapshots: an index on the directory number, so that picking the next one reads the index's last entry, not every row",
    sql: `
      CREATE INDEX snapshots_dir_number ON snapshots(CAST(dir_id AS INTEGER));
    `,
  },
];
