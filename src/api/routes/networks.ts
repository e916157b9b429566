/** /networks: list, inspect, create, remove, connect, disconnect, prune. */
import { z } from 'zod';
import type { NetworkService } from '../../engine/networks/service.js';
import { queryFilters, readJSON, sendEmpty, sendJSON } from '../http.js';
import type { ApiRouter } from '../router.js';

const StringMap = z.record(z.string(), z.string());

const CreateBody = z.object({
  Name: z.string(),
  Driver: z.string().optional(),
  Scope: z.string().optional(),
  Internal: z.boolean().optional(),
  Attachable: z.boolean().optional(),
  Ingress: z.boolean().optional(),
  EnableIPv6: z.boolean().nullish(),
  EnableIPv4: z.boolean().nullish(),
  CheckDuplicate: z.boolean().optional(),
  IPAM: z
    .object({
      Driver: z.string().optional(),
      Config: z
        .array(
          z.object({
            Subnet: z.string().optional(),
            IPRange: z.string().optional(),
            Gateway: z.string().optional(),
            AuxiliaryAddresses: StringMap.nullish(),
          }),
        )
        .nullish(),
      Options: StringMap.nullish(),
    })
    .nullish(),
  Options: StringMap.nullish(),
  Labels: StringMap.nullish(),
});

const EndpointConfigBody = z
  .object({
    Aliases: z.array(z.string()).nullish(),
    Links: z.array(z.string()).nullish(),
    MacAddress: z.string().optional(),
    IPAMConfig: z.object({ IPv4Address: z.string().optional() }).nullish(),
  })
  .nullish();

const ConnectBody = z.object({ Container: z.string(), EndpointConfig: EndpointConfigBody });
const DisconnectBody = z.object({ Container: z.string(), Force: z.boolean().optional() });

export function registerNetworkRoutes(router: ApiRouter, networks: NetworkService): void {
  router.get('/networks', ({ res, query }) => sendJSON(res, 200, networks.list(queryFilters(query))));

  router.post('/networks/create', async ({ req, res }) => {
    const b = await readJSON(req, CreateBody);
    const created = await networks.create({
      Name: b.Name,
      Driver: b.Driver,
      Internal: b.Internal,
      Attachable: b.Attachable,
      EnableIPv6: b.EnableIPv6 ?? undefined,
      IPAM: b.IPAM
        ? {
            Driver: b.IPAM.Driver,
            Options: b.IPAM.Options ?? undefined,
            Config: (b.IPAM.Config ?? []).map((c) => ({ ...c, AuxiliaryAddresses: c.AuxiliaryAddresses ?? undefined })),
          }
        : undefined,
      Options: b.Options ?? undefined,
      Labels: b.Labels ?? undefined,
      CheckDuplicate: b.CheckDuplicate,
    });
    sendJSON(res, 201, created);
  });

  router.post('/networks/prune', async ({ res, query }) => sendJSON(res, 200, await networks.prune(queryFilters(query))));

  router.get('/networks/:id', ({ res, params }) => sendJSON(res, 200, networks.inspect(decodeURIComponent(params.id ?? ''))));

  router.delete('/networks/:id', async ({ res, params }) => {
    await networks.remove(decodeURIComponent(params.id ?? ''));
    sendEmpty(res, 204);
  });

  router.post('/networks/:id/connect', async ({ req, res, params }) => {
    const b = await readJSON(req, ConnectBody);
    const e = b.EndpointConfig ?? {};
    await networks.connect(decodeURIComponent(params.id ?? ''), b.Container, {
      Aliases: e.Aliases ?? undefined,
      Links: e.Links ?? undefined,
      MacAddress: e.MacAddress,
      IPAMConfig: e.IPAMConfig ?? undefined,
    });
    sendEmpty(res, 200);
  });

  router.post('/networks/:id/disconnect', async ({ req, res, params }) => {
    const b = await readJSON(req, DisconnectBody);
    await networks.disconnect(decodeURIComponent(params.id ?? ''), b.Container, b.Force ?? false);
    sendEmpty(res, 200);
  });
}
