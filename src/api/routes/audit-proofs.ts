import type { FastifyPluginAsync } from 'fastify';
import { checkpointConsistencyProof, eventInclusionProof, latestCheckpoint, listCheckpoints } from '../../controls/audit/proofs.ts';
import { NotFoundError, ServiceUnavailableError } from '../../errors.ts';
import type { AppDeps } from '../app.ts';

/**
 * Signed checkpoints and Merkle proofs of the audit log, for anyone checking it from outside (with the public keys
 * from `vigil audit public-key`). Who may call them is decided by the policy hook from the declared action; the
 * answers hold hashes, sizes and event ids, never event content.
 */
const policy = { action: 'audit.verify', resource: 'AuditEvent' } as const;

const checkpointSchema = {
  type: 'object',
  properties: {
    tree_size: { type: 'integer' },
    root_hash: { type: 'string', description: 'base64 Merkle tree hash (RFC 6962)' },
    chain_hash: { type: 'string', description: 'base64 hash-chain head' },
    issued_at: { type: 'string' },
    key_id: { type: 'string' },
    signature: { type: 'string', description: 'base64 Ed25519 signature over the vigil-audit-checkpoint/v1 message' },
  },
} as const;

export const auditProofRoutes =
  (deps: Pick<AppDeps, 'store'>): FastifyPluginAsync =>
  async (app) => {
    const db = () => {
      const store = deps.store();
      if (!store) throw new ServiceUnavailableError('The database is not ready yet; try again shortly (see /health/ready).');
      return store.db;
    };

    app.get<{ Querystring: { limit?: number; before?: number } }>(
      '/api/audit/checkpoints',
      {
        config: { policy },
        schema: {
          summary: 'Signed checkpoints of the audit log, newest first',
          tags: ['audit'],
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: { limit: { type: 'integer', minimum: 1, maximum: 1000 }, before: { type: 'integer', minimum: 1 } },
          },
          response: { 200: { type: 'object', properties: { checkpoints: { type: 'array', items: checkpointSchema } } } },
        },
      },
      async (request) => ({ checkpoints: await listCheckpoints(db(), { limit: request.query.limit ?? 100, ...(request.query.before ? { before: request.query.before } : {}) }) }),
    );

    app.get(
      '/api/audit/checkpoints/latest',
      {
        config: { policy },
        schema: { summary: 'The latest signed checkpoint of the audit log', tags: ['audit'], response: { 200: checkpointSchema } },
      },
      async () => {
        const latest = await latestCheckpoint(db());
        if (!latest) throw new NotFoundError('The audit log has no checkpoint yet; one is signed shortly after the first event is sealed.');
        return latest;
      },
    );

    app.get<{ Params: { id: string }; Querystring: { tree_size?: number } }>(
      '/api/audit/events/:id/proof',
      {
        config: { policy },
        schema: {
          summary: 'Inclusion proof of an audit event in a signed checkpoint (default: the latest)',
          tags: ['audit'],
          params: { type: 'object', properties: { id: { type: 'string', format: 'uuid' } }, required: ['id'] },
          querystring: { type: 'object', additionalProperties: false, properties: { tree_size: { type: 'integer', minimum: 1 } } },
        },
      },
      async (request) => eventInclusionProof(db(), request.params.id.toLowerCase(), request.query.tree_size),
    );

    app.get<{ Querystring: { from: number; to: number } }>(
      '/api/audit/consistency',
      {
        config: { policy },
        schema: {
          summary: 'Consistency proof between two signed checkpoints (the later one only appended to the earlier)',
          tags: ['audit'],
          querystring: {
            type: 'object',
            additionalProperties: false,
            required: ['from', 'to'],
            properties: { from: { type: 'integer', minimum: 1 }, to: { type: 'integer', minimum: 1 } },
          },
        },
      },
      async (request) => checkpointConsistencyProof(db(), request.query.from, request.query.to),
    );
  };
