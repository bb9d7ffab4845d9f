/** The till's devices: the admin page (pair, rename, revoke), its JSON API, and the pairing a device calls. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import { Type } from 'typebox';
import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { actorOf } from '../http/context.ts';
import { formBody, submitForm, venueFor } from '../http/formRoute.ts';
import { layout, sendHtml } from '../http/layout.ts';
import { DateTime, Uuid, responses } from '../http/schemas.ts';
import type { Place } from '../places/index.ts';
import { createPairingCode, type PairingCode } from './createPairingCode.ts';
import { devicesOf, pendingPairingsOf, type DeviceKind } from './devices.ts';
import { devicesPage, type DevicesState } from './devicesPage.ts';
import { pairDevice } from './pairDevice.ts';
import { presentDevice } from './present.ts';
import { renameDevice } from './renameDevice.ts';
import { revokeDevice } from './revokeDevice.ts';
import { DeviceSchema, Name, PlaceParams, security, tags } from './schemas.ts';
import { settingsPlace } from './settingsPlace.ts';

/** Pairing attempts per client address (in this process): a code is 40 bits, this makes guessing hopeless. */
export const PAIR_RATE_LIMIT = { max: 20, timeWindow: '10 minutes' } as const;

/**
 * The address a device opens to pair: a till's /till, a scanner's the door page (/door: no login,
 * never a till). The code travels in the fragment, never sent to a server or logged.
 */
export const pairingUrl = (baseUrl: string, code: string, kind: DeviceKind = 'till') =>
  `${baseUrl}/${kind === 'scanner' ? 'door' : 'till'}#pair=${code}`;

export async function devicesRoutes(app: ModuleApp, options: ModuleOptions): Promise<void> {
  devicesPages(app, options);
  pairingApi(app, options);
  devicesApi(app, options);
}

function devicesPages(app: ModuleApp, { deps, info }: ModuleOptions): void {
  const { db, config } = deps;
  const adminPlace = venueFor(db, 'place.settings');

  async function show(
    request: FastifyRequest,
    reply: FastifyReply,
    place: Place,
    state: DevicesState & { created?: PairingCode } = {},
    status = 200,
  ) {
    const [devices, pending] = [await devicesOf(db, place.id), await pendingPairingsOf(db, place.id)];
    let created;
    if (state.created) {
      const url = pairingUrl(config.baseUrl, state.created.code, state.created.kind);
      const qrSvg = await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
      created = { code: state.created, url, qrSvg };
    }
    const body = devicesPage(request, { place, devices, pending, state, created });
    return sendHtml(reply, layout(request, info, { title: request.ctx.t('devices.title'), body }), status);
  }

  app.get('/places/:slug/devices', async (request, reply) =>
    reply.redirect(`/venues/${encodeURIComponent((request.params as { slug: string }).slug)}/admin/devices`, 301),
  );

  app.get('/venues/:slug/admin/devices', async (request, reply) => {
    const place = await adminPlace(request, reply);
    return place ? show(request, reply, place) : reply;
  });

  app.post('/venues/:slug/admin/devices/pairings', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const body = formBody(request);
    return submitForm(reply, {
      run: () => createPairingCode(db, actorOf(request), { placeId: place.id, kind: body.kind, name: body.name }),
      done: (created) => show(request, reply, place, { created }, 201),
      invalid: (errors) => show(request, reply, place, { pair: { values: body, errors } }, 422),
    });
  });

  app.post('/venues/:slug/admin/devices/:deviceId/rename', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const { deviceId } = request.params as { deviceId: string };
    const body = formBody(request);
    return submitForm(reply, {
      run: () => renameDevice(db, actorOf(request), { placeId: place.id, deviceId, name: body.name }),
      done: () => `/venues/${place.slug}/admin/devices`,
      invalid: (errors) => show(request, reply, place, { rename: { deviceId, form: { values: body, errors } } }, 422),
    });
  });

  app.post('/venues/:slug/admin/devices/:deviceId/revoke', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    await revokeDevice(db, actorOf(request), {
      placeId: place.id,
      deviceId: (request.params as { deviceId: string }).deviceId,
    });
    return reply.redirect(`/venues/${place.slug}/admin/devices`, 303);
  });
}

/** The one unauthenticated device call: a device trades a one-time code for its place in the venue's devices. */
function pairingApi(app: ModuleApp, { deps }: ModuleOptions): void {
  const { db } = deps;
  app.post(
    '/api/v1/devices/pair',
    {
      config: { csrf: false, rateLimit: PAIR_RATE_LIMIT },
      schema: {
        tags,
        summary: 'Pair a till or scanner with a one-time code',
        description:
          'Not signed and not authenticated: the code shown on the venue admin page is the secret (10 minutes, used once). ' +
          'The device sends the public half of the Ed25519 key it generated; every later request is signed with the private half. ' +
          `Unknown, used or expired code → 404 device-pairing-code. At most ${PAIR_RATE_LIMIT.max} attempts per client address per ${PAIR_RATE_LIMIT.timeWindow}.`,
        body: Type.Object(
          {
            code: Type.String({
              maxLength: 40,
              description: 'As shown: "ABCD-EFGH" (case, spaces and dashes do not matter).',
            }),
            publicKey: Type.String({ maxLength: 400, description: 'Ed25519 public key, SPKI DER, base64.' }),
          },
          { additionalProperties: false },
        ),
        response: responses(
          {
            201: Type.Object({
              placeId: Uuid,
              deviceId: Uuid,
              kind: Type.Union([Type.Literal('till'), Type.Literal('scanner')]),
              name: Type.String(),
              place: Type.Object({ name: Type.String(), slug: Type.String() }),
            }),
          },
          [400, 404, 422, 429],
        ),
      },
    },
    async (request, reply) => reply.status(201).send(await pairDevice(db, request.body)),
  );
}

function devicesApi(app: ModuleApp, { deps }: ModuleOptions): void {
  const { db, config } = deps;
  app.get(
    '/api/v1/places/:placeId/devices',
    {
      schema: {
        tags,
        summary: "A venue's tills and scanners (revoked ones included)",
        security,
        params: PlaceParams,
        response: responses({ 200: Type.Object({ devices: Type.Array(DeviceSchema) }) }),
      },
    },
    async (request) => {
      await settingsPlace(db, request, request.params.placeId);
      return { devices: (await devicesOf(db, request.params.placeId)).map(presentDevice) };
    },
  );

  app.post(
    '/api/v1/places/:placeId/devices/pairings',
    {
      schema: {
        tags,
        summary: 'Make a one-time pairing code (valid 10 minutes); the code is in this answer only',
        security,
        params: PlaceParams,
        body: Type.Object({ kind: Type.String({ maxLength: 20 }), name: Name }, { additionalProperties: false }),
        response: responses({
          201: Type.Object({
            code: Type.String(),
            kind: Type.String(),
            name: Type.String(),
            expiresAt: DateTime,
            url: Type.String({ description: 'What the QR code holds: the till page with the code in its fragment.' }),
          }),
        }),
      },
    },
    async (request, reply) => {
      await settingsPlace(db, request, request.params.placeId);
      const p = await createPairingCode(db, actorOf(request), { placeId: request.params.placeId, ...request.body });
      return reply
        .status(201)
        .send({ ...p, expiresAt: p.expiresAt.toISOString(), url: pairingUrl(config.baseUrl, p.code, p.kind) });
    },
  );

  app.patch(
    '/api/v1/places/:placeId/devices/:deviceId',
    {
      schema: {
        tags,
        summary: 'Rename a device',
        security,
        params: Type.Object({ placeId: Uuid, deviceId: Uuid }),
        body: Type.Object({ name: Name }, { additionalProperties: false }),
        response: responses({ 200: Type.Object({ id: Uuid, name: Type.String() }) }),
      },
    },
    async (request) => {
      await settingsPlace(db, request, request.params.placeId);
      return renameDevice(db, actorOf(request), { ...request.params, name: request.body.name });
    },
  );

  app.post(
    '/api/v1/places/:placeId/devices/:deviceId/revoke',
    {
      schema: {
        tags,
        summary: 'Revoke a device: its signed requests are refused from now on',
        security,
        params: Type.Object({ placeId: Uuid, deviceId: Uuid }),
        response: responses({ 200: Type.Object({ id: Uuid, revokedAt: DateTime }) }),
      },
    },
    async (request) => {
      await settingsPlace(db, request, request.params.placeId);
      const r = await revokeDevice(db, actorOf(request), request.params);
      return { id: r.id, revokedAt: r.revokedAt.toISOString() };
    },
  );
}
