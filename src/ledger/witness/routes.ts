import type { FastifyReply } from 'fastify';
import type { ModuleApp, ModuleOptions } from '../../http/module.ts';
import { DomainError, notFound } from '../../shared/errors.ts';
import { MAX_ADD_CHECKPOINT_BYTES } from '../tlog/addCheckpointWire.ts';
import { consistencyProof } from '../tlog/merkle.ts';
import { addCheckpoint } from './addCheckpoint.ts';
import { cosignedView } from './compareViews.ts';
import { listEvidence, MAX_EVIDENCE_BYTES, parseEquivocation, recordEvidence } from './evidence.ts';
import { witnessCosigner } from './identity.ts';
import { investigateLog } from './investigateLog.ts';
import { currencyIdOf, listLogs, noteWithCosignatures, witnessIdentity } from './logs.ts';
import { logBlockHashes, logLeaves } from './logTree.ts';
import { LEAVES_PAGE, tellPeers } from './peerHttp.ts';
import { CodeParams, ConsistencyQuery, EvidenceBody, LeavesQuery } from './schemas.ts';

const TEXT = 'text/plain; charset=utf-8';
const hidden = { hide: true };

/**
 * The node's ledger logs and the node as a witness (docs/FEDERATION.md, "Ledger witnessing";
 * docs/API.md). Not under /api/v1: peers speak C2SP tlog-witness (text bodies), not the JSON API.
 */
export async function witnessRoutes(app: ModuleApp, options: ModuleOptions) {
  const { db, config, logger } = options.deps;
  const peers = { allowPrivate: config.env !== 'production' };
  app.addContentTypeParser('text/plain', { parseAs: 'string', bodyLimit: MAX_ADD_CHECKPOINT_BYTES }, (_r, body, done) =>
    done(null, body),
  );

  app.get('/ledger/logs', { schema: hidden }, async () => {
    const logs = await listLogs(db, config.baseUrl);
    return {
      witness: await witnessIdentity(db, config.baseUrl),
      logs: logs.map((l) => ({
        currency: l.currencyCode,
        origin: l.origin,
        verifierKey: l.verifierKey,
        size: l.size,
        rootHash: Buffer.from(l.rootHex, 'hex').toString('base64'),
        signedAt: l.signedAt.toISOString(),
        cosignatures: l.cosignatures.map((c) => ({ witness: c.witness, cosignedAt: c.cosignedAt.toISOString() })),
      })),
    };
  });

  app.get('/ledger/:code/checkpoint', { schema: { ...hidden, params: CodeParams } }, async (request, reply) => {
    const [log] = await listLogs(db, config.baseUrl, request.params.code);
    if (!log) throw notFound('checkpoint');
    return reply.type(TEXT).header('cache-control', 'no-store').send(noteWithCosignatures(log));
  });

  app.get(
    '/ledger/:code/leaves',
    { schema: { ...hidden, params: CodeParams, querystring: LeavesQuery } },
    async (request) => {
      const [from, to] = [Number(request.query.from), Number(request.query.to)];
      if (to <= from || to - from > LEAVES_PAGE)
        throw new DomainError('validation', 422, {}, [{ field: 'to', message: 'ledger.leaves-range' }]);
      const currencyId = await currencyIdOf(db, request.params.code);
      if (!currencyId) throw notFound('currency');
      return { from, to, blockHashes: await logBlockHashes(db, currencyId, from, to) };
    },
  );

  app.get(
    '/ledger/:code/consistency',
    { schema: { ...hidden, params: CodeParams, querystring: ConsistencyQuery } },
    async (request) => {
      const [old, size] = [Number(request.query.old), Number(request.query.size)];
      const currencyId = await currencyIdOf(db, request.params.code);
      if (!currencyId) throw notFound('currency');
      const leaves = await logLeaves(db, currencyId, size);
      if (old > size || size > leaves.length)
        throw new DomainError('validation', 422, {}, [{ field: 'size', message: 'ledger.leaves-range' }]);
      return { old, size, proof: consistencyProof(leaves, old, size).map((h) => Buffer.from(h).toString('base64')) };
    },
  );

  app.post(
    '/ledger-witness/add-checkpoint',
    {
      config: { csrf: false, rateLimit: { max: 120, timeWindow: '1 minute' } },
      bodyLimit: MAX_ADD_CHECKPOINT_BYTES,
      schema: hidden,
    },
    async (request, reply) => {
      if (typeof request.body !== 'string') return sendText(reply, 415, 'send the request as text/plain');
      const cosigner = await witnessCosigner(db, config.baseUrl);
      const answer = await addCheckpoint(db, request.body, cosigner, new Date());
      // After the commit: a failed proof is investigated with the log's own leaves; a fork is told to the peers.
      if (answer.investigate) {
        const { log, checkpoint } = answer.investigate;
        await investigateLog(db, log, checkpoint, peers).catch((err: unknown) =>
          logger.warn({ err }, 'witness: investigation failed'),
        );
      }
      if (answer.fork) await tellPeers(db, answer.fork, null, peers);
      return reply.code(answer.status).type(answer.contentType).send(answer.body);
    },
  );

  app.get('/ledger-witness/logs/*', { schema: hidden }, async (request, reply) => {
    const origin = decodeURIComponent((request.params as { '*': string })['*']);
    const view = await cosignedView(db, origin);
    if (!view) throw notFound('log');
    return reply.type(TEXT).header('cache-control', 'no-store').send(view);
  });

  app.get('/ledger-witness/evidence', { schema: hidden }, async () => ({
    evidence: (await listEvidence(db)).map((e) => ({ ...e, createdAt: e.createdAt.toISOString() })),
  }));

  app.post(
    '/ledger-witness/evidence',
    {
      config: { csrf: false, rateLimit: { max: 30, timeWindow: '1 minute' } },
      bodyLimit: MAX_EVIDENCE_BYTES,
      schema: { ...hidden, body: EvidenceBody },
    },
    async (request, reply) => {
      const evidence = parseEquivocation(request.body.evidence);
      if (!evidence) throw new DomainError('validation', 422, {}, [{ field: 'evidence', message: 'ledger.evidence' }]);
      const outcome = await recordEvidence(db, evidence, request.ip);
      if (outcome === 'refused')
        throw new DomainError('validation', 422, {}, [{ field: 'evidence', message: 'ledger.evidence' }]);
      // Told once by each peer that finds it new: the unique digest ends the gossip.
      if (outcome === 'stored') await tellPeers(db, evidence, null, peers);
      return reply.code(outcome === 'stored' ? 201 : 200).send({ stored: outcome === 'stored' });
    },
  );
}

function sendText(reply: FastifyReply, status: number, body: string) {
  return reply.code(status).type(TEXT).send(`${body}\n`);
}
