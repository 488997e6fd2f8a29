import assert from 'node:assert/strict';
import { CANARIES } from '../support/canaries.ts';
import type { TestVigil } from '../support/in-process.ts';

/** HTTP as the tests use it: every answer keeps its request id (to find its audit events) and its text. */
export interface Answer {
  status: number;
  text: string;
  json: Record<string, unknown> & { resourceType?: string; total?: number; entry?: { resource: Record<string, unknown> & { resourceType: string; id: string } }[]; link?: { relation: string; url: string }[] };
  requestId: string;
  contentType: string;
}

/** Every refusal or error body seen, so a test can assert none carries a canary identity. */
export const errorBodies: string[] = [];

export async function call(t: TestVigil, token: string | null, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(path.startsWith('http') ? path : `${t.url}${path}`, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
  const text = await res.text();
  if (res.status >= 400) errorBodies.push(text);
  let json = {} as Answer['json'];
  try {
    json = JSON.parse(text) as Answer['json'];
  } catch {
    // Not JSON: the text is kept for the assertion that fails next.
  }
  return { status: res.status, text, json, requestId: res.headers.get('x-request-id') ?? '', contentType: res.headers.get('content-type') ?? '' };
}

export function reasonOf(answer: Answer): string | undefined {
  const issue = (answer.json as { issue?: { details?: { coding?: { system: string; code: string }[] } }[] }).issue?.[0];
  return issue?.details?.coding?.find((c) => c.system === 'urn:vigil:access-reason')?.code;
}

export function problemCodeOf(answer: Answer): string | undefined {
  const issue = (answer.json as { issue?: { details?: { coding?: { system: string; code: string }[] } }[] }).issue?.[0];
  return issue?.details?.coding?.find((c) => c.system === 'urn:vigil:problem')?.code;
}

export function assertOperationOutcome(answer: Answer, status: number): void {
  assert.equal(answer.status, status, answer.text.slice(0, 300));
  assert.match(answer.contentType, /application\/fhir\+json/);
  assert.equal(answer.json.resourceType, 'OperationOutcome');
}

export function assertNoCanaries(texts: readonly string[]): void {
  for (const text of texts) for (const canary of CANARIES) assert.ok(!text.includes(canary.value), `an error body carries ${canary.label}`);
}

export interface AuditRow {
  action: string;
  action_code: string;
  resource_type: string;
  resource_ids: string[];
  patient_id: string | null;
  outcome: string;
  reason_code: string | null;
  break_glass: boolean;
  purpose_of_use: string;
  details: unknown;
  query: unknown;
}

export async function auditOf(t: TestVigil, requestId: string): Promise<AuditRow[]> {
  return (await t.vigil.store.db
    .selectFrom('audit.events')
    .select(['action', 'action_code', 'resource_type', 'resource_ids', 'patient_id', 'outcome', 'reason_code', 'break_glass', 'purpose_of_use', 'details', 'query'])
    .where('request_id', '=', requestId)
    .orderBy('id')
    .execute()) as AuditRow[];
}
