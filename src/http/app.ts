import { readFileSync } from 'node:fs';
import AjvCompiler from '@fastify/ajv-compiler';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { sql } from 'kysely';
import { registerContext } from './context.ts';
import { hasDemoData } from '../demo/index.ts';
import { modules, registerModules, sectionsOf } from '../node/modules.ts';
import type { LayoutInfo } from './layout.ts';
import type { App, AppDeps, ModuleOptions } from './module.ts';
import { frameworkErrorHandler, registerProblems } from './problems.ts';
import { registerInputGuard } from './inputGuard.ts';
import { applySecurityHeaders } from './securityHeaders.ts';
import { documentProblems } from './apiResponses.ts';
import { ProblemSchema } from './schemas.ts';
import { problemRoutes } from './problemRoutes.ts';

/**
 * JSON bodies are validated as sent (no coercion: "5" is not a number there), but query strings,
 * path parameters and headers are text by nature, so `?limit=5` must be read as the integer 5.
 * Fastify has one Ajv option for every part: this builds two compilers and picks one per part.
 */
function bodyStrictValidator(): AjvCompiler.BuildCompilerFromPool {
  const strict = AjvCompiler();
  const coercing = AjvCompiler();
  return (externalSchemas, options) => {
    const forBody = strict(externalSchemas, options);
    const textOptions = { ...options, customOptions: { ...options?.customOptions, coerceTypes: 'array' } };
    const forText = coercing(externalSchemas, textOptions as Parameters<typeof coercing>[1]);
    return (route) => (route.httpPart === 'body' ? forBody : forText)(route);
  };
}

export type { App, AppDeps, ModuleApp, ModuleOptions } from './module.ts';

const stylesheet = readFileSync(new URL('./public/style.css', import.meta.url));
const printScript = readFileSync(new URL('./public/print.js', import.meta.url));

export async function buildApp(deps: AppDeps): Promise<App> {
  const { config, db } = deps;
  const info: LayoutInfo = {
    territoryName: config.territoryName,
    devMail: config.env === 'development',
    demoBanner: config.env === 'production' && (await hasDemoData(db)),
  };
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    // Requests in flight get this long to finish when the node stops.
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true } },
    schemaController: { compilersFactory: { buildValidator: bodyStrictValidator() } },
    frameworkErrors: frameworkErrorHandler(config, info),
  }).withTypeProvider<TypeBoxTypeProvider>();

  // No route reads plain text: without this, a text/plain body reached JSON routes as a string and
  // came back as a confusing 422 instead of 415.
  app.removeContentTypeParser('text/plain');
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: config.bodyLimitBytes });
  await app.register(multipart, {
    attachFieldsToBody: 'keyValues',
    limits: { fileSize: config.uploadLimitBytes, files: 2, fields: 60, parts: 64, fieldSize: 100_000 },
  });
  await app.register(rateLimit, { global: false });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Rezo API',
        version: '1',
        description:
          'JSON API of a Rezo node. Errors are RFC 9457 problem details (application/problem+json). ' +
          'Authenticate with a venue API key (`Authorization: Bearer rezo_…`) or a session cookie plus the `x-csrf-token` header.',
      },
      servers: [{ url: config.baseUrl }],
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'A venue API key, made on the venue admin page.' },
          session: { type: 'apiKey', in: 'cookie', name: 'rezo_session' },
        },
      },
    },
    hideUntagged: true,
    // Shared schemas keep their own name in components.schemas (`Problem`, not `def-0`).
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs', staticCSP: true });

  // The shared problem schema (`Problem` in the OpenAPI document) and the problems every API route
  // can answer, added to each route's schema as it is registered (http/apiResponses.ts).
  app.addSchema(ProblemSchema);
  app.addHook('onRoute', documentProblems);

  registerContext(app, { config, db, secret: deps.secret });
  registerProblems(app, config, info);
  registerInputGuard(app);

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/static/style.css', async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(stylesheet),
  );
  app.get('/static/print.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(printScript),
  );
  app.get('/healthz', { schema: { hide: true } }, async (_request, reply) => {
    try {
      await sql`select 1`.execute(db);
      return { status: 'ok' };
    } catch {
      return reply.status(503).send({ status: 'unavailable' });
    }
  });
  app.addHook('onSend', async (request, reply) => applySecurityHeaders(request, reply, config));
  // Queued mail goes out as soon as the request that queued it is answered.
  app.addHook('onResponse', async (request) => {
    if (request.method !== 'GET') deps.mail.kick();
  });

  // Every module's one plugin, from the module list (src/node/modules.ts), and the payment purposes they answer for.
  registerModules();
  const options: ModuleOptions = { deps, info, sections: sectionsOf(modules) };
  await app.register(problemRoutes, options);
  for (const module of modules) await app.register(module.routes, options);
  await app.ready();
  return app;
}
