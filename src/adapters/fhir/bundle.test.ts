import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VigilError } from '../../errors.ts';
import { mapFhirPayload, SUPPORTED_RESOURCES } from './index.ts';
import { bundle, context, facts, mapError, mapOk, observation, patient } from './test-helpers.ts';

const issuesOf = (json: unknown) => mapError(json).issues.map((i) => [i.code, i.expression]);

describe('payload structure', () => {
  it('refuses what is not a JSON object, or names no R4 resource type', () => {
    for (const json of [null, [], 'Patient', 42]) assert.deepEqual(issuesOf(json), [['structure', '$this']]);
    assert.deepEqual(issuesOf({ id: 'x' }), [['required', 'resourceType']]);
    assert.deepEqual(issuesOf({ resourceType: 'Patientt' }), [['invalid', 'resourceType']]);
  });

  it('refuses a Bundle without a type, or of a type that is not a submission of data', () => {
    assert.deepEqual(issuesOf({ resourceType: 'Bundle', entry: [] }), [['required', 'Bundle.type']]);
    for (const type of ['history', 'document', 'message', 'batch-response', 'transaction-response']) {
      assert.deepEqual(issuesOf(bundle(type)), [['not-supported', 'Bundle.type']], type);
    }
  });

  it('maps transaction, batch, collection and searchset bundles, and an empty one', () => {
    for (const type of ['transaction', 'batch', 'collection', 'searchset']) {
      assert.equal(mapOk(bundle(type, patient())).normalized.event, `FHIR:Bundle-${type}`);
    }
    const { normalized, entries } = mapOk({ resourceType: 'Bundle', type: 'batch' });
    assert.deepEqual([normalized.groups, entries], [[], []]);
  });

  it('refuses malformed entries, naming each by its index, all in one answer', () => {
    const e = mapError({
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        'not an entry',
        { fullUrl: 'urn:uuid:0b6f7f6e-4c1e-4d1a-9a53-2f1c3d4e5f60' },
        { resource: 'Patient' },
        { resource: { id: 'x' } },
        { resource: { resourceType: 'Spaceship' } },
        { resource: patient({ id: 'has space' }) },
        { resource: patient() },
      ],
    });
    assert.deepEqual([e.code, e.status], ['fhir-payload-invalid', 400]);
    assert.deepEqual(e.issues.map((i) => [i.code, i.expression]), [
      ['structure', 'Bundle.entry[0]'],
      ['required', 'Bundle.entry[1].resource'],
      ['structure', 'Bundle.entry[2].resource'],
      ['required', 'Bundle.entry[3].resource.resourceType'],
      ['invalid', 'Bundle.entry[4].resource.resourceType'],
      ['value', 'Bundle.entry[5].resource.id'],
    ]);
    assert.deepEqual(issuesOf({ resourceType: 'Bundle', type: 'batch', entry: {} }), [['structure', 'Bundle.entry']]);
  });

  it('refuses a transaction whose fullUrls repeat (bdl-7) or are relative', () => {
    const url = 'urn:uuid:9d1c1f7e-2a3b-4c5d-8e9f-0a1b2c3d4e5f';
    assert.deepEqual(issuesOf(bundle('transaction', { fullUrl: url, resource: patient() }, { fullUrl: url, resource: observation() })), [['invalid', 'Bundle.entry[1].fullUrl']]);
    assert.deepEqual(issuesOf(bundle('transaction', { fullUrl: 'Patient/p1', resource: patient() })), [['invalid', 'Bundle.entry[0].fullUrl']]);
    for (const ok of ['https://ehr.example/fhir/Patient/p1', 'urn:oid:1.2.3.4', url]) assert.equal(mapOk(bundle('transaction', { fullUrl: ok, resource: patient() })).entries.length, 1);
  });

  it('refuses the same resource (type and id) sent twice in one payload', () => {
    assert.deepEqual(issuesOf(bundle('batch', observation(), observation({ status: 'amended' }))), [['invalid', 'Bundle.entry[1].resource.id']]);
    assert.equal(mapOk(bundle('batch', observation(), patient({ id: 'o1' }))).entries.length, 2, 'the same id on two types is two resources');
  });

  it('a single resource with a malformed id is refused at its id', () => {
    assert.deepEqual(issuesOf(patient({ id: '' })), [['value', 'Patient.id']]);
  });
});

describe('entries that carry no data to keep', () => {
  const deletion = { request: { method: 'DELETE', url: 'Observation/o9' } };

  it('a DELETE, GET or PATCH is an entry error, never silently dropped', () => {
    const read = { request: { method: 'GET', url: 'Patient?name=x' } };
    const patch = { resource: { resourceType: 'Binary', id: 'b1' }, request: { method: 'PATCH', url: 'Observation/o1' } };
    const { entries } = mapOk(bundle('batch', patient(), deletion, read, patch));
    assert.deepEqual(entries.map((e) => [e.index, e.resourceType, e.outcome]), [[0, 'Patient', 'mapped'], [1, 'Observation', 'error'], [2, 'Patient', 'error'], [3, 'Binary', 'error']]);
    assert.match(entries[1]!.reason!, /entered-in-error/);
  });

  it('in a transaction a DELETE refuses the whole payload', () => {
    const e = mapError(bundle('transaction', patient(), deletion));
    assert.deepEqual([e.code, e.status, e.issues], ['fhir-entries-refused', 422, [{ severity: 'error', code: 'not-supported', expression: 'Bundle.entry[1].request.method', diagnostics: e.issues[0]!.diagnostics }]]);
  });

  it('a PUT names the id of a resource that carries none', () => {
    const { normalized } = mapOk(bundle('transaction', patient(), { resource: observation({ id: undefined }), request: { method: 'PUT', url: 'Observation/o77' } }));
    assert.deepEqual(facts(normalized).map((f) => f.sourceKey), ['Observation/o77']);
  });
});

describe('all or nothing', () => {
  const broken = observation({ id: 'o2', subject: undefined });

  it('a transaction with one entry that cannot be mapped is refused as a whole, with an issue per failed entry', () => {
    const e = mapError(bundle('transaction', patient(), observation(), broken, observation({ id: 'o3', subject: undefined })));
    assert.ok(e instanceof VigilError);
    assert.deepEqual([e.name, e.code, e.status], ['FhirMappingError', 'fhir-entries-refused', 422]);
    assert.deepEqual(e.issues.map((i) => [i.code, i.expression]), [['required', 'Bundle.entry[2].resource.subject'], ['required', 'Bundle.entry[3].resource.subject']]);
    assert.equal(e.message, `FHIR payload not mapped (2 issues); the first at Bundle.entry[2].resource.subject: ${e.issues[0]!.diagnostics}`);
  });

  it('a batch, collection or searchset maps the rest and reports the failed entry', () => {
    for (const type of ['batch', 'collection', 'searchset']) {
      const { normalized, entries } = mapOk(bundle(type, patient(), observation(), broken));
      assert.deepEqual(entries.map((e) => e.outcome), ['mapped', 'mapped', 'error']);
      assert.deepEqual(facts(normalized).map((f) => f.sourceKey), ['Observation/o1']);
    }
  });

  it('a single resource that cannot be mapped is refused', () => {
    assert.deepEqual(issuesOf(broken), [['required', 'Observation.subject']]);
  });
});

describe('what is not mapped', () => {
  it('lists the resource types it maps', () => {
    assert.deepEqual(SUPPORTED_RESOURCES, [
      'Patient', 'Encounter', 'Observation', 'DiagnosticReport', 'MedicationRequest', 'MedicationStatement',
      'MedicationAdministration', 'MedicationDispense', 'AllergyIntolerance', 'Condition', 'DocumentReference',
    ]);
  });

  it('any other R4 resource is ignored with a reason, in a bundle or alone', () => {
    const { entries } = mapOk(bundle('batch', { resourceType: 'Claim', id: 'c1' }, { resourceType: 'Practitioner', id: 'dr' }, { resourceType: 'Basic' }));
    assert.deepEqual(entries.map((e) => [e.resourceType, e.outcome]), [['Claim', 'ignored'], ['Practitioner', 'ignored'], ['Basic', 'ignored']]);
    assert.ok(entries.every((e) => e.reason));
    const alone = mapFhirPayload({ resourceType: 'Organization', id: 'org1' }, context());
    assert.ok(alone.ok);
    assert.deepEqual([alone.normalized.event, alone.normalized.groups, alone.entries[0]?.outcome], ['FHIR:Organization', [], 'ignored']);
  });
});

describe('source time', () => {
  it('is Bundle.timestamp, else Bundle.meta.lastUpdated, else a single resource meta.lastUpdated', () => {
    const stamped = { ...bundle('batch'), timestamp: '2024-03-01T10:00:00+01:00', meta: { lastUpdated: '2024-03-02T00:00:00Z' } };
    assert.equal(mapOk(stamped).normalized.sourceTime?.instant, '2024-03-01T09:00:00.000Z');
    assert.equal(mapOk({ ...bundle('batch'), meta: { lastUpdated: '2024-03-02T00:00:00Z' } }).normalized.sourceTime?.instant, '2024-03-02T00:00:00.000Z');
    assert.equal(mapOk(patient({ meta: { versionId: '3', lastUpdated: '2024-03-03T00:00:00Z' } })).normalized.sourceTime?.instant, '2024-03-03T00:00:00.000Z');
    assert.equal(mapOk(bundle('batch')).normalized.sourceTime, undefined);
  });

  it('an unreadable timestamp is flagged on the message, not refused', () => {
    const { normalized } = mapOk({ ...bundle('batch'), timestamp: 'yesterday' });
    assert.deepEqual([normalized.sourceTime, normalized.flags], [undefined, [{ code: 'timestamp-unparseable', at: 'Bundle.timestamp' }]]);
  });
});
