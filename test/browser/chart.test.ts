import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { Locator, Page } from 'playwright-core';
import { RawMllpClient } from '../support/raw-mllp-client.ts';
import { LAB, PERSON_1, rde } from '../support/hl7-builder.ts';
import { MRN_SYSTEM } from '../support/access-fixture.ts';
import { assertChromiumInstalled, openBrowser, type BrowserSession } from '../support/browser.ts';
import { startTestVigil, type TestVigil } from '../support/in-process.ts';
import { sendForAck } from '../support/mllp-send.ts';
import { waitFor } from '../support/wait.ts';
import { writeFact } from '../../src/core/clinical/fact-writer.ts';
import { seedClinical, type Seeded } from '../fhir-clinical/seed.ts';
import { assertNoText, assertPageHealthy, assertText, signInThroughForm, WAIT_MS } from './screens-support.ts';

/**
 * The chart a clinician opens, fed the way a hospital feeds it (ADT, lab, pharmacy over MLLP; EHR facts through the
 * gateway's writer): a physician sees the stale lab feed named above the record, the allergy strip, results with
 * status words, ranges and flags in words, medications, an inferred problem marked as such, and each entry's
 * provenance on hover, on keyboard focus and on a tap; opens a corrected result's history. A nurse (no preliminary
 * results) sees nothing of the preliminary report, not even that it exists. The patients are canaries: the test never
 * prints page text.
 */
let t: TestVigil;
let s: Seeded;
const ownId = () => s.fixture.patients['own-team'].id;
const LETTER_TEXT = 'Seen in clinic; blood pressure well controlled. Review in six months.';
/** With the discharge summary, more documents than the chart's first page shows (25). */
const ARCHIVED_LETTERS = 30;
const MED_LISTS = { app: 'NORTHMEDS', facility: 'NORTH' };

/** Potassium critically high and sodium low, with their ranges, from the lab: what the flag column is for. */
function abnormalResults(control: string, time: string): string {
  const msh = `MSH|^~\\&|${LAB.app}|${LAB.facility}|VIGIL|CENTRAL|${time}||ORU^R01^ORU_R01|${control}|P|2.5.1`;
  const pid = `PID|1||${PERSON_1.mrn}^^^NORTH^MR||${PERSON_1.family}^${PERSON_1.given}||${PERSON_1.birthDate}|${PERSON_1.sex}`;
  const obr = `OBR|1|ORD-400|ORD-400F|80051^Electrolytes panel^LN|||${time}|||||||||||||||${time}|||F`;
  const k = `OBX|1|NM|2823-3^Potassium^LN||6.8|mmol/L^^UCUM|3.5-5.1|HH|||F|||${time}`;
  const na = `OBX|2|NM|2951-2^Sodium^LN||128|mmol/L^^UCUM|136-145|L|||F|||${time}`;
  return [msh, pid, obr, k, na].join('\r') + '\r';
}

async function openChart(page: Page): Promise<Locator> {
  await page.goto(`${t.url}/#/patients/${ownId()}`);
  const chart = page.getByTestId('section-chart');
  await chart.getByTestId('chart-results').waitFor({ timeout: WAIT_MS });
  return chart;
}

const row = (chart: Locator, factId: string) => chart.locator(`[data-fact-id="${factId}"]`).first();
const popoverOf = (scope: Locator) => scope.getByTestId('provenance').first().locator('.prov__pop');

describe('the patient chart', () => {
  let browser: BrowserSession;
  let nurseBrowser: BrowserSession;

  before(async () => {
    assertChromiumInstalled();
    // The freshness watch would re-judge the lab feed (it has no cadence) and clear the stale mark this test sets.
    t = await startTestVigil({ overrides: { VIGIL_GATEWAY_FRESHNESS_CHECK_MS: '3600000' } });
    s = await seedClinical(t);
    // A medication-history feed that sends only the active list: lisinopril is on the first list and not the second.
    await t.vigil.store.tx((trx) =>
      t.vigil.gateway.registry.add(trx, { name: 'north-med-history', kind: 'hl7v2', msh3: MED_LISTS.app, msh4: MED_LISTS.facility, profile: { timeZone: 'America/New_York', identifiers: { systems: { NORTH: MRN_SYSTEM } }, medications: 'active-only' } }, { actorName: 'test' }),
    );
    const amlodipine = { order: 'MH-1', drug: { code: '197361', name: 'Amlodipine 5 MG Oral Tablet' } };
    const lisinopril = { order: 'MH-2', drug: { code: '314076', name: 'Lisinopril 10 MG Oral Tablet' } };
    const client = await RawMllpClient.connect(t.vigil.mllpPort()!);
    try {
      await sendForAck(client, abnormalResults('C-ORU-LYTES', '20240301130000'));
      await sendForAck(client, rde(MED_LISTS, PERSON_1, 'C-MH-1', '20240301140000', [amlodipine, lisinopril]));
      await sendForAck(client, rde(MED_LISTS, PERSON_1, 'C-MH-2', '20240302140000', [amlodipine]));
    } finally {
      client.destroy();
    }
    await waitFor('the electrolytes and the medication lists to be processed', async () => {
      const m = await t.vigil.store.db.selectFrom('gateway_messages').select('state').where('control_id', 'in', ['C-ORU-LYTES', 'C-MH-1', 'C-MH-2']).execute();
      return m.length === 3 && m.every((r) => r.state === 'processed');
    });
    // An older archive of scanned letters: more documents than the chart's first page holds.
    await t.vigil.store.tx(async (trx) => {
      const record = await trx.selectFrom('patient_records').select('id').where('patient_id', '=', ownId()).where('source_id', '=', s.sources.adt).executeTakeFirstOrThrow();
      for (let i = 0; i < ARCHIVED_LETTERS; i++) {
        const day = String(1 + (i % 28)).padStart(2, '0');
        const month = String(1 + Math.floor(i / 28)).padStart(2, '0');
        const provenance = { derivation: 'asserted' as const, sourceId: s.sources.ehr, sourceName: 'north-ehr', receivedAt: new Date().toISOString(), transform: 'test-seed@1', confidence: 1, flags: [] };
        await writeFact(trx, { sourceId: s.sources.ehr, recordId: record.id, patientId: ownId(), encounterId: null, encounterKey: null, provenance, documentKeys: t.vigil.keyring }, {
          kind: 'document', sourceKey: `LETTER-${i}`, status: 'current', code: { codings: [{ system: 'http://loinc.org', code: '34133-9', display: 'Summary of episode note' }] },
          effective: { instant: `2022-${month}-${day}T10:00:00.000Z`, zoneFrom: 'profile', zone: 'America/New_York', precision: 'minute' },
          // The newest letter came with its text (stored encrypted); the others as metadata only.
          ...(i === ARCHIVED_LETTERS - 1
            ? { body: { title: `Clinic letter ${i + 1}`, contentType: 'text/plain', size: LETTER_TEXT.length, digest: createHash('sha256').update(LETTER_TEXT).digest('hex') }, content: { contentType: 'text/plain', data: Buffer.from(LETTER_TEXT) } }
            : { body: { title: `Clinic letter ${i + 1}`, contentType: 'application/pdf', size: 40_000 } }),
          position: 'TXA', flags: [],
          // The oldest letter its source marked restricted (TXA-18 R): physicians open it, nurses do not.
          ...(i === 0 ? { securityLabels: ['R'] } : {}),
        }, new Date('2024-03-02T12:00:00Z'));
      }
    });
    // The lab has been silent for three hours and was judged stale an hour after its last message.
    await sql`update gateway_feeds set last_message_at = now() - interval '3 hours', stale_since = now() - interval '2 hours' where source_id = ${s.sources.lab}`.execute(t.vigil.store.db);
    browser = await openBrowser();
    nurseBrowser = await openBrowser();
  });

  after(async () => {
    await browser?.close();
    await nurseBrowser?.close();
    await t?.close();
  });

  test('a physician reads the chart: stale feed, allergies, flagged results, provenance on hover, focus and tap, and a result’s history', { timeout: 180_000 }, async () => {
    const { page } = browser;
    await signInThroughForm(browser, t.url, s.fixture.people.get('physician')!, { totp: false });
    const chart = await openChart(page);

    // Above the record: the silent lab feed, named, with when it last sent; then the allergies.
    const stale = page.getByTestId('chart-stale');
    await assertText(stale, /Data from north-lab may be out of date: no messages since .+\(3\s+h ago\)/, 'the banner names the feed and since when it has been silent');
    assert.equal(await stale.getAttribute('role'), 'alert');
    const strip = page.getByTestId('allergy-strip');
    await assertText(strip, /Allergies[\s\S]*Allergy to penicillin[\s\S]*High criticality[\s\S]*Reaction: Hives/i, 'the allergy strip names the allergy, its criticality and reaction');
    const [alertsBox, recordBox] = await Promise.all([stale.boundingBox(), page.getByTestId('section-identity').boundingBox()]);
    assert.ok(alertsBox && recordBox && alertsBox.y < recordBox.y, 'the stale banner comes before the demographics');

    // Results: every report with its observations; flags and status in words, ranges beside them.
    const results = chart.getByTestId('chart-results');
    assert.equal(await results.locator('tbody[data-kind="report"]').count(), 4, 'final, preliminary and corrected lipid panels, and the electrolytes');
    const potassium = results.locator('tr[data-flag="HH"]');
    await assertText(potassium, /Potassium\s+6\.8 mmol\/L\s+▲▲ Critically high\s+3\.5-5\.1\s+Final/, 'a critical result reads value, flag in words, range and status');
    await assertText(results.locator('tr[data-flag="L"]'), /Sodium\s+128 mmol\/L\s+▼ Low\s+136-145/, 'a low result says Low');
    await assertText(row(results, s.facts['prelimReport']!), /Preliminary/, 'a physician sees the preliminary report, marked so');
    await assertText(row(results, s.facts['cholesterol']!), /190 mg\/dL[\s\S]*Corrected[\s\S]*updated · history/, 'the corrected cholesterol shows its current value and that it was updated');

    // Medications, problems (one inferred), documents, encounters and identifiers with their sources.
    await assertText(chart.getByTestId('chart-medications'), /Orders[\s\S]*Ibuprofen 400 MG Oral Tablet[\s\S]*400 mg · Oral · BID[\s\S]*Given[\s\S]*Dispensed[\s\S]*Reported as taken[\s\S]*Metformin/, 'orders, administrations, dispenses and statements, with dose, route and frequency');
    const leftOut = chart.getByTestId('chart-medications').locator('tr', { hasText: 'Lisinopril' });
    await assertText(leftOut, /Lisinopril 10 MG Oral Tablet\s+≈ Inferred[\s\S]*Stopped[\s\S]*not on the source’s active list since/, 'an order the active-only feed left out reads stopped, as Vigil\'s inference');
    assert.match((await leftOut.getAttribute('class')) ?? '', /chart-row--inferred/);
    await assertText(chart.getByTestId('chart-medications').locator('tr', { hasText: 'Amlodipine' }), /Amlodipine 5 MG Oral Tablet[\s\S]*Active/, 'the order still listed stays active');
    const inferred = row(chart.getByTestId('chart-problems'), s.facts['inferredProblem']!);
    await assertText(inferred, /Essential hypertension\s+≈ Inferred[\s\S]*Unconfirmed/, 'the inferred problem says so in words');
    assert.match((await inferred.getAttribute('class')) ?? '', /chart-row--inferred/);
    // A long section shows its newest entries, says how many there are, and loads the older ones on request.
    const documents = chart.getByTestId('chart-documents');
    await assertText(documents, /Discharge summary[\s\S]*2 KB/, 'the newest document is listed with its size');
    await assertText(documents.getByRole('heading'), /31 documents/, 'the heading counts the whole section');
    // A document that came with its text opens it (an audited read); the others say nothing they cannot do.
    const opens = documents.getByTestId('open-document');
    assert.equal(await opens.count(), 1, 'only the letter that came with its text can be opened');
    const href = await opens.getAttribute('href');
    const opened = await page.evaluate(async (url) => {
      const res = await fetch(url!);
      return { status: res.status, text: await res.text() };
    }, href);
    assert.deepEqual(opened, { status: 200, text: LETTER_TEXT }, 'the link serves the stored text to the signed-in physician');
    assert.equal(await documents.locator('tbody tr').count(), 25, 'the first page holds the newest 25');
    await assertText(documents.getByTestId('chart-documents-more'), /Showing the newest 25 of 31 documents/, 'says how much is shown');
    await browser.screenshot('chart-physician-first-page');
    await documents.getByRole('button', { name: 'Show 6 older' }).click();
    await documents.locator('tbody tr').nth(30).waitFor({ timeout: WAIT_MS });
    assert.equal(await documents.locator('tbody tr').count(), 31);
    assert.equal(await documents.getByTestId('chart-documents-more').count(), 0, 'nothing more to show');
    await assertText(documents.locator('tbody tr').nth(30), /Clinic letter 1\b\s*Restricted/, 'the oldest letter comes last, marked restricted as its source marked it');
    const pages = await t.vigil.store.db.selectFrom('audit.events').select('details').where('actor_id', '=', s.fixture.people.get('physician')!.id).where('action_code', '=', 'R').execute();
    assert.ok(pages.some((e) => (e.details as { view?: string; section?: string } | null)?.section === 'documents'), 'the older page is an audited read');
    await assertText(chart.getByTestId('chart-encounters'), /Inpatient\s+In progress[\s\S]*WARD1/, 'the admission from the ADT feed');
    await assertText(chart.getByTestId('chart-identifiers'), /MRN[\s\S]*north-adt[\s\S]*north-lab[\s\S]*north-rx/, 'the MRN with every source that holds it');
    await browser.screenshot('chart-physician');

    // Hover: the glucose result's source opens its provenance; leaving closes it.
    const glucose = row(results, s.facts['glucose']!);
    const glucosePop = popoverOf(glucose);
    assert.equal(await glucosePop.isVisible(), false);
    await glucose.getByTestId('provenance').getByRole('button').first().hover();
    await glucosePop.waitFor({ state: 'visible', timeout: WAIT_MS });
    await assertText(glucosePop, /Source\s+north-lab[\s\S]*How\s+The source system stated this[\s\S]*Confidence\s+100\s%[\s\S]*Source time\s+\w+ \d[\s\S]*Received[\s\S]*Transform\s+hl7v2-map@1 profile \d[\s\S]*Quality\s+Nothing noticed[\s\S]*Last confirmed/, 'source, derivation, confidence, times with zone, transform, quality, last confirmed');
    await browser.screenshot('chart-provenance-hover');
    await page.mouse.move(0, 0);
    await glucosePop.waitFor({ state: 'hidden', timeout: WAIT_MS });

    // Keyboard: focus opens the inferred problem's provenance; Escape closes it and keeps focus on the button.
    const inferredButton = inferred.getByTestId('provenance').getByRole('button').first();
    await inferredButton.focus();
    const inferredPop = popoverOf(inferred);
    await inferredPop.waitFor({ state: 'visible', timeout: WAIT_MS });
    await assertText(inferredPop, /Vigil inferred this[\s\S]*60\s%[\s\S]*mapped by the source profile[\s\S]*\(at PRB\[2\]-3\)/, 'inferred, the lowered confidence and the quality flag in words');
    assert.equal(await inferredButton.getAttribute('aria-expanded'), 'true');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent ?? ''), 'Version history…', 'Tab moves into the panel, to its history button');
    await browser.screenshot('chart-provenance-keyboard');
    await page.keyboard.press('Escape');
    await inferredPop.waitFor({ state: 'hidden', timeout: WAIT_MS });
    assert.equal(await inferredButton.evaluate((el) => el === document.activeElement), true, 'focus returns to the source button');

    // A tap (click) keeps the panel open when the pointer goes; a tap elsewhere closes it.
    const allergy = row(chart.getByTestId('chart-allergies'), s.facts['allergy']!);
    await allergy.getByTestId('provenance').getByRole('button').first().click();
    await page.mouse.move(0, 0);
    await assertText(popoverOf(allergy), /north-ehr/, 'a tapped panel stays open');
    await page.getByRole('heading', { level: 1 }).click();
    await popoverOf(allergy).waitFor({ state: 'hidden', timeout: WAIT_MS });

    // The corrected result's history: three versions, newest first, what changed marked.
    await row(results, s.facts['cholesterol']!).getByRole('button', { name: /was updated: open its version history/ }).click();
    const history = page.getByTestId('fact-history');
    await history.getByTestId('versions').waitFor({ timeout: WAIT_MS });
    const versions = history.locator('tbody tr');
    assert.equal(await versions.count(), 3);
    const listed = await versions.evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-version'), r.getAttribute('data-current')]));
    assert.deepEqual(listed.map(([, current]) => current), ['true', 'false', 'false'], 'the current version first');
    assert.deepEqual(listed.map(([n]) => n).sort(), ['1', '2', '3'], 'each under the number it arrived with');
    await assertText(versions.nth(0), /Corrected[\s\S]*Current[\s\S]*190 mg\/dL\s+●\s+changed/i, 'the current version is the correction, its value marked changed');
    await assertText(versions.nth(2), /Preliminary[\s\S]*180 mg\/dL/, 'the first version was preliminary');
    await browser.screenshot('chart-history');
    await page.keyboard.press('Escape');
    await history.waitFor({ state: 'hidden', timeout: WAIT_MS });
    const reads = await t.vigil.store.db.selectFrom('audit.events').select(['resource_ids', 'details']).where('actor_id', '=', s.fixture.people.get('physician')!.id).where('action_code', '=', 'R').execute();
    assert.ok(reads.some((e) => e.resource_ids.includes(s.facts['cholesterol']!) && (e.details as { view?: string } | null)?.view === 'history'), 'opening the history is an audited read');
    assertPageHealthy(browser);
  });

  test('a nurse, who may not see preliminary results, sees nothing of them: no row, no status, no count', { timeout: 120_000 }, async () => {
    const { page } = nurseBrowser;
    await signInThroughForm(nurseBrowser, t.url, s.fixture.people.get('nurse')!, { totp: false });
    const chart = await openChart(page);
    const results = chart.getByTestId('chart-results');
    await assertText(results, /Potassium/, 'final results are shown');
    assert.equal(await row(results, s.facts['prelimReport']!).count(), 0, 'the preliminary report is not on the page');
    assert.equal(await row(results, s.facts['hemoglobin']!).count(), 0, 'nor its result');
    assert.equal(await chart.locator('[data-status="preliminary"]').count(), 0);
    await assertNoText(chart, /preliminary|withheld|not allowed|hidden/i, 'the chart says nothing about what was left out');
    await assertText(results.getByRole('heading'), /3 reports/, 'the count is of what the nurse may see');
    await assertText(chart.getByRole('navigation', { name: 'Chart sections' }), /Results\s*3\b/, 'and so is the section total in the contents');
    await assertText(chart.getByTestId('chart-documents').getByRole('heading'), /30 documents/, 'the restricted letter is neither listed nor counted');
    await nurseBrowser.screenshot('chart-nurse');

    await row(results, s.facts['cholesterol']!).getByRole('button', { name: /was updated: open its version history/ }).click();
    const history = page.getByTestId('fact-history');
    await history.getByTestId('versions').waitFor({ timeout: WAIT_MS });
    assert.equal(await history.locator('tbody tr').count(), 2, 'the preliminary version is left out of the history');
    await assertNoText(history, /preliminary/i, 'and not named');
    await nurseBrowser.screenshot('chart-nurse-history');
    assertPageHealthy(nurseBrowser);
  });
});
