import type { FastifyPluginAsync } from 'fastify';
import { readDocumentContent } from '../../core/clinical/document-content.ts';
import type { AppDeps } from '../app.ts';
import { subjectOf } from '../guard.ts';
import { requestFacts } from '../request-facts.ts';
import { requireStore } from '../require-store.ts';

/**
 * FHIR R4 Binary: the stored content of a document, by the DocumentReference's id (its attachment.url points here).
 * Decided, audited and refused exactly like reading that DocumentReference (core/clinical/document-content.ts).
 * The bytes are sent as an attachment with a sandboxing CSP, so a stored HTML or SVG document can never run as a page
 * of Vigil's origin; a client asking for FHIR JSON gets a Binary resource with the data in base64.
 */
const ID_PARAM = { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 64 } }, required: ['id'] } as const;

function wantsFhirJson(accept: string | undefined): boolean {
  return accept !== undefined && /application\/(fhir\+)?json/i.test(accept);
}

export const fhirBinaryRoutes =
  (deps: AppDeps): FastifyPluginAsync =>
  async (app) => {
    app.get<{ Params: { id: string } }>(
      '/fhir/R4/Binary/:id',
      {
        // Declared as the DocumentReference it belongs to: the same roles and the same client scope
        // (system/DocumentReference.read) open both; the audit event still names the Binary.
        config: { policy: { action: 'chart.read', resource: 'DocumentReference', patient: true } },
        schema: { summary: "A document's content (decided on its patient like the DocumentReference; audited)", tags: ['fhir'], params: ID_PARAM },
      },
      async (request, reply) => {
        const content = await readDocumentContent(requireStore(deps), deps.keyring, subjectOf(request), requestFacts(request), request.params.id);
        if (wantsFhirJson(request.headers.accept)) {
          return reply.type('application/fhir+json').send({ resourceType: 'Binary', id: request.params.id, contentType: content.contentType, data: content.data.toString('base64') });
        }
        return reply
          .type(content.contentType)
          .header('content-disposition', 'attachment')
          .header('content-security-policy', "sandbox; default-src 'none'")
          .header('x-content-type-options', 'nosniff')
          .send(content.data);
      },
    );
  };
