import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { MRN_SYSTEM } from '../support/access-fixture.ts';
import { systemClientToken } from '../support/client-token.ts';
import { CANARY_PATIENT } from '../support/canaries.ts';
import { PERSON_1 } from '../support/hl7-builder.ts';
import type { TestVigil } from '../support/in-process.ts';
import { sendForAck } from '../support/mllp-send.ts';
import type { RawMllpClient } from '../support/raw-mllp-client.ts';
import { waitFor } from '../support/wait.ts';
import { assertNoCanaries, auditOf, call, errorBodies, reasonOf } from '../fhir-clinical/http.ts';
import { EHR, msh, pid, startClinicalMllp, type ClinicalMllp, type Seeded } from '../fhir-clinical/seed.ts';

/**
 * A document its source marked restricted (HL7 TXA-18, FHIR securityLabel) is shown only to readers whose roles open
 * that label: a physician opens R (restricted), a nurse does not, and no role opens V (very restricted), which only a
 * system client with the scope reads (labels do not close clients, as for a label on the patient). Closed readers do not find it in searches, the chart or $everything, and a
 * read by id is refused and audited as for a label on the patient. A profile may map a source's codes to other labels.
 */
const T = { timeout: 120_000 };
let t: TestVigil;
let s: Seeded;
let client: RawMllpClient;
let tokens: Map<string, string>;

/**
 * An MDM^T02 whose TXA-18 (document confidentiality status) is `confidentiality`, sent at `at` (MSH-7, the source
 * time); its text names the patient (a canary).
 */
const mdm = (control: string, doc: string, confidentiality: string, at = '20240302100000') =>
  [
    msh(EHR, at, 'MDM^T02^MDM_T02', control),
    `EVN|T02|${at}`,
    pid(PERSON_1),
    'PV1|1|I|WARD1^101^A||||||||||||||||V100',
    `TXA|1|DS^Discharge summary^HL70270|TX|20240302095000||20240302095000||||||${doc}^EHR|||||AU|${confidentiality}|AV`,
    `OBX|1|TX|||Note about ${CANARY_PATIENT.family}||||||F`,
  ].join('\r') + '\r';

const as = (role: string, path: string) => call(t, tokens.get(role)!, path);
const own = () => s.fixture.patients['own-team'].id;

async function deliver(control: string, doc: string, confidentiality: string, at?: string): Promise<string> {
  assert.equal((await sendForAck(client, mdm(control, doc, confidentiality, at))).get('MSA-1'), 'AA');
  let id: string | undefined;
  await waitFor(`${control} to be processed`, async () => {
    const row = await sql<{ id: string }>`
      SELECT f.id FROM clinical_facts f JOIN gateway_messages m ON m.state = 'processed' AND m.control_id = ${control}
      WHERE f.kind = 'document' AND f.source_key LIKE ${`%${doc}%`}`.execute(t.vigil.store.db);
    id = row.rows[0]?.id;
    return id !== undefined;
  });
  ours.add(id!);
  return id!;
}

/** Which of this file's documents a search by `role` finds (the seeded chart has documents of its own). */
const ours = new Set<string>();
const documentIds = async (role: string) => {
  const bundle = await as(role, `/fhir/R4/DocumentReference?patient=${own()}`);
  assert.equal(bundle.status, 200);
  return ((bundle.json as { entry?: { resource: { id: string } }[] }).entry ?? []).map((e) => e.resource.id).filter((id) => ours.has(id)).sort();
};

let started: ClinicalMllp | undefined;
before(async () => {
  started = await startClinicalMllp(['physician', 'nurse']);
  ({ t, s, tokens, client } = started);
}, T);

after(() => started?.close());

describe('documents their source marked restricted', () => {
  let usual: string;
  let restricted: string;
  let veryRestricted: string;

  before(async () => {
    usual = await deliver('C-CONF-U', 'DOC-U1', 'U');
    restricted = await deliver('C-CONF-R', 'DOC-R1', 'R');
    veryRestricted = await deliver('C-CONF-V', 'DOC-V1', 'V');
  }, T);

  it('carry the label as the source set it, in FHIR meta.security', T, async () => {
    const labels = await sql<{ id: string; security_labels: string[] }>`SELECT id, security_labels FROM clinical_facts WHERE id = ANY(${[usual, restricted, veryRestricted]}::uuid[])`.execute(t.vigil.store.db);
    assert.deepEqual(new Map(labels.rows.map((r) => [r.id, r.security_labels])), new Map([[usual, []], [restricted, ['R']], [veryRestricted, ['V']]]));
    const read = await as('physician', `/fhir/R4/DocumentReference/${restricted}`);
    assert.equal(read.status, 200);
    assert.deepEqual((read.json as { meta: { security?: unknown } }).meta.security, [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }]);
  });

  it('are found only by readers whose roles open their label, in searches, the chart and $everything', T, async () => {
    assert.deepEqual(await documentIds('physician'), [usual, restricted].sort(), 'a physician opens restricted, not very restricted');
    assert.deepEqual(await documentIds('nurse'), [usual], 'a nurse opens neither');
    const records = await systemClientToken(t.vigil.store, t.url, 'records-release', ['system/DocumentReference.read']);
    tokens.set('records-release', records);
    assert.deepEqual(await documentIds('records-release'), [usual, restricted, veryRestricted].sort(), 'a system client with the scope is not closed by labels');

    const chart = await as('nurse', `/api/patients/${own()}/chart`);
    assert.equal(chart.status, 200);
    const shown = (chart.json as { documents: { items: { id: string }[]; total: number } }).documents;
    const physicianChart = (await as('physician', `/api/patients/${own()}/chart`)).json as { documents: { items: { id: string }[]; total: number } };
    assert.deepEqual(shown.items.map((d) => d.id).filter((id) => ours.has(id)), [usual], 'the nurse\'s chart does not list them');
    assert.equal(physicianChart.documents.total - shown.total, 1, 'nor count them: the physician\'s chart counts one more, the restricted one');
    const everything = await as('nurse', `/fhir/R4/Patient/${own()}/$everything`);
    const ids = ((everything.json as { entry?: { resource: { id: string } }[] }).entry ?? []).map((e) => e.resource.id);
    assert.ok(ids.includes(usual) && !ids.includes(restricted) && !ids.includes(veryRestricted));
  });

  it('refuse a read by id, its history and its content to a closed reader, audited as a label refusal', T, async () => {
    for (const path of [`/fhir/R4/DocumentReference/${restricted}`, `/api/facts/${restricted}/history`, `/fhir/R4/Binary/${restricted}`]) {
      const answer = await as('nurse', path);
      assert.ok([403, 404].includes(answer.status), `${path}: ${answer.status}`);
      const events = await auditOf(t, answer.requestId);
      assert.ok(events.some((e) => e.outcome === 'denied' && e.reason_code === 'deny-sensitive-label'), `${path} is audited as refused for its label`);
    }
    const refused = await as('physician', `/fhir/R4/DocumentReference/${veryRestricted}`);
    assert.equal(refused.status, 403);
    assert.equal(reasonOf(refused), 'deny-sensitive-label');
    assert.equal((await as('physician', `/fhir/R4/Binary/${restricted}`)).status, 200, 'the physician reads the restricted content');
    assertNoCanaries(errorBodies);
  });

  it('keep a version that arrived restricted out of the history of a reader it is closed to, once a later one lifts the label', T, async () => {
    const id = await deliver('C-CONF-LIFT-1', 'DOC-LIFT', 'R', '20240302100000');
    assert.equal(await deliver('C-CONF-LIFT-2', 'DOC-LIFT', 'U', '20240302120000'), id, 'the same document, sent again without the restriction');
    assert.ok((await documentIds('nurse')).includes(id), 'the document is open to a nurse now');
    const versions = async (role: string) => {
      const answer = await as(role, `/api/facts/${id}/history`);
      assert.equal(answer.status, 200);
      return (answer.json as { versions: { id: string; version: number; current: boolean }[] }).versions;
    };
    const nurse = await versions('nurse');
    const physician = await versions('physician');
    assert.deepEqual(nurse.map((v) => [v.version, v.current]), [[2, true]], 'the nurse sees the unrestricted version only');
    assert.deepEqual(physician.map((v) => v.version).sort(), [1, 2], 'the physician, who opens R, sees both');
    const restrictedVersion = physician.find((v) => v.version === 1)!.id;
    const provenance = await as('nurse', `/fhir/R4/Provenance/${restrictedVersion}`);
    assert.ok([403, 404].includes(provenance.status), `the restricted version's provenance is not served to the nurse (${provenance.status})`);
    assert.equal((await as('physician', `/fhir/R4/Provenance/${restrictedVersion}`)).status, 200);
    assertNoCanaries(errorBodies);
  });

  it('take the label a profile maps their code to, and a code no one knows closes the document to every clinician', T, async () => {
    const profile = { timeZone: 'America/New_York', identifiers: { systems: { NORTH: MRN_SYSTEM } }, facilityId: s.fixture.north, documentConfidentiality: { V: 'PSY', U: '' } };
    await t.vigil.store.tx((trx) => t.vigil.gateway.registry.updateProfile(trx, s.sources.ehr, profile, { actorName: 'test' }));
    const mapped = await deliver('C-CONF-MAP', 'DOC-V2', 'V');
    const unknown = await deliver('C-CONF-X', 'DOC-X1', 'Q');
    const rows = await sql<{ id: string; security_labels: string[]; flags: string[] }>`
      SELECT f.id, f.security_labels, ARRAY(SELECT jsonb_array_elements(cv.provenance->'flags')->>'code') AS flags
      FROM clinical_facts f JOIN clinical_fact_versions cv ON cv.id = f.current_version_id WHERE f.id = ANY(${[mapped, unknown]}::uuid[])`.execute(t.vigil.store.db);
    const byId = new Map(rows.rows.map((r) => [r.id, r]));
    assert.deepEqual(byId.get(mapped)!.security_labels, ['PSY'], 'this source writes V on psychotherapy notes');
    assert.deepEqual(byId.get(unknown)!.security_labels, ['Q']);
    assert.ok(byId.get(unknown)!.flags.includes('table-value-unknown'), 'the unknown code is flagged for the operator');
    const physician = await documentIds('physician');
    assert.ok(!physician.includes(mapped) && !physician.includes(unknown), 'psychotherapy notes and an unknown label stay closed to a physician');
  });
});

describe('a FHIR DocumentReference with a confidentiality security label', () => {
  it('is restricted as an HL7 document would be', T, async () => {
    const token = await systemClientToken(t.vigil.store, t.url, 'north-ehr-fhir-conf', ['system/Bundle.write']);
    await t.vigil.store.tx((trx) => t.vigil.gateway.registry.add(trx, { name: 'north-ehr-fhir-conf', kind: 'fhir', clientId: 'north-ehr-fhir-conf', profile: { timeZone: 'America/New_York' } }, { actorName: 'test' }));
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:33333333-3333-4333-8333-333333333333', resource: { resourceType: 'Patient', id: 'p1', identifier: [{ system: MRN_SYSTEM, value: PERSON_1.mrn }], name: [{ family: PERSON_1.family, given: [PERSON_1.given] }] }, request: { method: 'PUT', url: 'Patient/p1' } },
        {
          resource: {
            resourceType: 'DocumentReference',
            id: 'conf-doc-1',
            status: 'current',
            subject: { reference: 'urn:uuid:33333333-3333-4333-8333-333333333333' },
            securityLabel: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }] }],
            content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('Restricted note').toString('base64') } }],
          },
          request: { method: 'PUT', url: 'DocumentReference/conf-doc-1' },
        },
      ],
    };
    const response = await fetch(`${t.url}/fhir/R4`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' }, body: JSON.stringify(bundle) });
    assert.equal(response.status, 202);
    let labels: string[] | undefined;
    await waitFor('the FHIR document', async () => {
      labels = (await sql<{ security_labels: string[] }>`SELECT security_labels FROM clinical_facts WHERE source_key = 'DocumentReference/conf-doc-1'`.execute(t.vigil.store.db)).rows[0]?.security_labels;
      return labels !== undefined;
    });
    assert.deepEqual(labels, ['R']);
  });
});
