import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { ArchiveKeys } from '../../controls/keys/archive-keys.ts';
import { VigilError } from '../../errors.ts';
import { FhirIntake, FhirPayloadRefusedError } from '../../gateway/fhir-intake.ts';
import { GroupCommit } from '../../gateway/group-commit.ts';
import { SourceRegistry } from '../../gateway/sources.ts';
import type { AppDeps } from '../app.ts';
import { subjectOf } from '../guard.ts';
import { parseJsonBody } from '../json-body.ts';
import { requireStore } from '../require-store.ts';

/**
 * Where sending systems post FHIR R4: a transaction or batch Bundle (or one resource) to `POST /fhir/R4` or
 * `POST /fhir/R4/{type}`, or NDJSON (`application/fhir+ndjson`, one resource per line) to `POST /fhir/R4`. The body is
 * archived byte for byte before the answer, which is 202 Accepted: normalization happens in the gateway's workers.
 */
const FHIR_JSON = 'application/fhir+json';
const MAX_BODY_BYTES = 64 * 1024 * 1024;
const policy = { action: 'message.submit', resource: 'Bundle' } as const;

function outcome(severity: 'information' | 'error', code: string, diagnostics: string, extra: object[] = []) {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code, diagnostics }, ...extra] };
}

export const fhirInboundRoutes =
  (deps: AppDeps): FastifyPluginAsync =>
  async (app) => {
    const registry = new SourceRegistry();
    const archive = new ArchiveKeys(deps.keyring);
    // Posts from all clients that arrive while a commit is in flight are stored together by the next one.
    const inbox = new GroupCommit(archive);
    // This scope keeps the exact bytes: the archive must hold what the sender sent, not a re-serialization.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser(['application/fhir+json', 'application/json', 'application/fhir+ndjson', 'application/x-ndjson'], { parseAs: 'buffer', bodyLimit: MAX_BODY_BYTES }, (_req, body, done) => done(null, body));

    async function accept(raw: Buffer, contentType: string | undefined, clientId: string, reply: FastifyReply) {
      const intake = new FhirIntake(requireStore(deps), registry, archive, deps.metrics, inbox);
      const source = await intake.sourceForClient(clientId);
      const actor = `client:${clientId}`;
      if (contentType?.includes('ndjson')) {
        const lines = raw.toString('utf8').split('\n');
        const refused: { line: number; code: string }[] = [];
        let accepted = 0;
        let duplicates = 0;
        // Every line is handed over at once, so the lines of one body share commits.
        const outcomes = await Promise.allSettled(
          lines.map(async (text, i) => {
            if (text.trim() === '') return undefined;
            try {
              return await intake.receive(source, Buffer.from(text, 'utf8'), parseJsonBody(text), 'fhir', actor);
            } catch (err) {
              if (!(err instanceof VigilError)) throw err;
              refused.push({ line: i + 1, code: err.code });
              return undefined;
            }
          }),
        );
        for (const o of outcomes) {
          if (o.status === 'rejected') throw o.reason;
          if (o.value?.duplicate) duplicates++;
          else if (o.value) accepted++;
        }
        refused.sort((a, b) => a.line - b.line);
        return reply
          .code(refused.length > 0 && accepted + duplicates === 0 ? 422 : 202)
          .type(FHIR_JSON)
          .send(outcome(refused.length ? 'error' : 'information', refused.length ? 'processing' : 'informational', `${accepted} accepted, ${duplicates} already received, ${refused.length} refused.`, refused.map((r) => ({ severity: 'error', code: 'invalid', expression: [`line ${r.line}`], details: { coding: [{ system: 'urn:vigil:problem', code: r.code }] } }))));
      }
      try {
        const receipt = await intake.receive(source, raw, parseJsonBody(raw.toString('utf8')), 'fhir', actor);
        const said = receipt.duplicate ? `Already received as inbox message ${receipt.messageId}; nothing new was stored.` : `Accepted for processing as inbox message ${receipt.messageId}: ${receipt.entries.mapped} entries to normalize, ${receipt.entries.ignored} not kept, ${receipt.entries.error} refused.`;
        return reply.code(receipt.duplicate ? 200 : 202).type(FHIR_JSON).header('x-vigil-message-id', receipt.messageId).send(outcome('information', 'informational', said));
      } catch (err) {
        if (!(err instanceof FhirPayloadRefusedError)) throw err;
        return reply
          .code(err.status)
          .type(FHIR_JSON)
          .header('x-vigil-message-id', err.messageId)
          .send({ resourceType: 'OperationOutcome', issue: err.issues.map((i) => ({ severity: i.severity, code: i.code, expression: [i.expression], diagnostics: i.diagnostics })) });
      }
    }

    const schema = { tags: ['fhir'], summary: 'Deliver FHIR R4 to the gateway (a Bundle, one resource, or NDJSON); archived before the 202 answer' };
    app.post('/fhir/R4', { config: { policy }, schema }, async (request, reply) => {
      const subject = subjectOf(request);
      if (subject.kind !== 'client') throw new VigilError('deny-role', 403, 'Only a sending system (a system client) delivers messages.');
      return accept(request.body as Buffer, request.headers['content-type'], subject.id, reply);
    });
    app.post<{ Params: { type: string } }>(
      '/fhir/R4/:type',
      { config: { policy }, schema: { ...schema, params: { type: 'object', properties: { type: { type: 'string', pattern: '^[A-Z][A-Za-z]{1,63}$' } }, required: ['type'] } } },
      async (request, reply) => {
        const subject = subjectOf(request);
        if (subject.kind !== 'client') throw new VigilError('deny-role', 403, 'Only a sending system (a system client) delivers messages.');
        return accept(request.body as Buffer, request.headers['content-type'], subject.id, reply);
      },
    );
  };
