import type { FastifyRequest } from 'fastify';
import type { ModuleApp } from './module.ts';
import { readDeviceHeaders } from '../ledger/deviceSignature.ts';
import type { DeviceSignature } from '../ledger/tables.ts';

const rawBodies = new WeakMap<FastifyRequest, Buffer>();

/**
 * Device signatures cover the body's exact bytes: inside the plugin that calls this (Fastify scopes
 * content-type parsers to it), JSON bodies are parsed from a kept copy of their bytes.
 */
export function keepRawJsonBodies(app: ModuleApp): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body: Buffer, done) => {
    rawBodies.set(request, body);
    if (body.length === 0) return done(Object.assign(new Error('empty body'), { statusCode: 400 }), undefined);
    try {
      done(null, JSON.parse(body.toString('utf8')));
    } catch (error) {
      done(Object.assign(error as Error, { statusCode: 400 }), undefined);
    }
  });
}

/**
 * The signed envelope of a device request (still to be verified in the use case's transaction), or null
 * when unsigned. The target is the request's as received (`request.url`: path and query string, as the
 * client percent-encoded them), so a query string added or changed on the way breaks the signature.
 */
export function deviceSignatureOf(request: FastifyRequest): DeviceSignature | null {
  return readDeviceHeaders(request.headers, {
    method: request.method,
    path: request.url,
    body: rawBodies.get(request) ?? '',
  });
}
