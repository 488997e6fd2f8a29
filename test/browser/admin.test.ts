import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { assertChromiumInstalled } from '../support/browser.ts';
import { assertPageHealthy, assertText, signInThroughForm, startScreensStack, WAIT_MS } from './screens-support.ts';

describe('directory admin screens', () => {
  before(assertChromiumInstalled);

  test('a security admin creates a person with roles and facilities, changes their roles, adds them to a care team and creates a coverage window', { timeout: 120_000 }, async (t) => {
    const stack = await startScreensStack(t, ['security-admin']);
    const browser = await stack.browser();
    const { page } = browser;
    const db = stack.vigil.store.db;
    await signInThroughForm(browser, stack.url, stack.person('security-admin'), { totp: true });

    // People.
    await page.getByRole('heading', { level: 1, name: 'People' }).waitFor({ timeout: WAIT_MS });
    await page.getByTestId('people').locator('tr[data-username="colleague.x"]').waitFor({ timeout: WAIT_MS });
    await browser.screenshot('screens-admin-people');

    // A new person: name, username, roles, facility.
    await page.getByRole('link', { name: 'Add a person' }).click();
    await page.getByRole('heading', { level: 1, name: 'Add a person' }).waitFor({ timeout: WAIT_MS });
    await page.getByRole('button', { name: 'Create person' }).click();
    await assertText(page.locator('form'), /Choose at least one role/, 'a person without a role is refused before it is sent');
    await page.getByLabel('Full name').fill('Robin Okafor');
    await page.getByLabel('Username').fill('robin.okafor');
    await page.getByRole('checkbox', { name: /^Covering clinician/ }).check();
    await page.getByRole('checkbox', { name: /^North/ }).check();
    await browser.screenshot('screens-admin-person-new');
    await page.getByRole('button', { name: 'Create person' }).click();
    await page.getByTestId('created-notice').waitFor({ timeout: WAIT_MS });
    await page.getByRole('heading', { level: 1, name: 'Robin Okafor' }).waitFor({ timeout: WAIT_MS });
    const robin = await db.selectFrom('people').select(['id', 'status', 'organization_id']).where('username', '=', 'robin.okafor').executeTakeFirstOrThrow();
    assert.equal(robin.status, 'active');
    assert.equal(robin.organization_id, stack.fixture.organizationId, 'created in the admin’s organization');
    const roles = async () => (await db.selectFrom('person_roles').select('role').where('person_id', '=', robin.id).orderBy('role').execute()).map((r) => r.role);
    assert.deepEqual(await roles(), ['covering-clinician']);
    const facilities = await db.selectFrom('person_facilities').select('facility_id').where('person_id', '=', robin.id).execute();
    assert.deepEqual(facilities.map((f) => f.facility_id), [stack.fixture.north]);

    // Edit roles: add nurse.
    await page.getByRole('checkbox', { name: /^Nurse/ }).check();
    await page.getByRole('button', { name: 'Save roles' }).click();
    for (let i = 0; i < 50 && (await roles()).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await roles(), ['covering-clinician', 'nurse'], 'the roles were saved');
    await page.getByRole('button', { name: 'Save roles' }).and(page.locator(':disabled')).waitFor({ timeout: WAIT_MS });
    await browser.screenshot('screens-admin-person');

    // Care team: add Robin to Team A (North).
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Care teams' }).click();
    const teamA = page.getByTestId('care-team').filter({ has: page.getByRole('heading', { name: 'Team A', exact: true }) });
    await teamA.waitFor({ timeout: WAIT_MS });
    await teamA.getByLabel('Add a member', { exact: true }).selectOption({ label: 'Robin Okafor — Covering clinician, Nurse' });
    await teamA.getByRole('button', { name: 'Add', exact: true }).click();
    await teamA.getByRole('link', { name: 'Robin Okafor' }).waitFor({ timeout: WAIT_MS });
    const member = await db.selectFrom('care_team_members').select('person_id').where('team_id', '=', stack.fixture.teamA).where('person_id', '=', robin.id).executeTakeFirst();
    assert.ok(member, 'Robin is a member of Team A');
    await browser.screenshot('screens-admin-care-teams');

    // Coverage: Robin covers colleague X from now for 12 hours.
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Coverage' }).click();
    await page.getByRole('heading', { level: 1, name: 'Coverage' }).waitFor({ timeout: WAIT_MS });
    await page.getByLabel('Covering clinician').selectOption({ label: 'Robin Okafor — Covering clinician, Nurse' });
    await page.getByLabel('Covers for').selectOption({ label: 'Fixture colleague.x — Physician' });
    const start = new Date(Date.now() - 60_000);
    const end = new Date(start.getTime() + 12 * 3_600_000);
    const local = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}T${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
    await page.getByLabel('From').fill(local(start));
    await page.getByLabel('Until').fill(local(end));
    await page.getByRole('button', { name: 'Create window' }).click();
    const row = page.getByTestId('coverage').locator(`tr[data-covering="${robin.id}"]`);
    await row.waitFor({ timeout: WAIT_MS });
    await assertText(row, /Active/, 'the new window is active now');
    const windows = await db.selectFrom('coverage').select(['covered_person_id', 'starts_at', 'ends_at']).where('covering_person_id', '=', robin.id).execute();
    assert.equal(windows.length, 1);
    const hours = (new Date(windows[0]!.ends_at).getTime() - new Date(windows[0]!.starts_at).getTime()) / 3_600_000;
    assert.equal(Math.round(hours), 12, 'the window lasts the 12 hours entered');
    await browser.screenshot('screens-admin-coverage');

    // Ended windows are listed apart from active ones.
    // The list keeps showing the active windows until the ended ones have loaded, so wait for the switch before looking.
    await page.getByRole('button', { name: 'Ended' }).click();
    await page.getByTestId('coverage').and(page.locator('[data-state="ended"]:not([aria-busy="true"])')).waitFor({ timeout: WAIT_MS });
    assert.equal(await page.getByTestId('coverage').locator(`tr[data-covering="${robin.id}"]`).count(), 0, 'the new window is not among the ended ones');
    const states = await page.getByTestId('coverage').locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.querySelector('td:nth-child(5)')?.textContent?.trim()));
    assert.ok(states.length > 0 && states.every((s) => s === 'Ended'), 'the Ended tab lists ended windows only');

    // The change was audited.
    const audited = await db.selectFrom('audit.events').select('action').where('actor_id', '=', stack.person('security-admin').id).where('action', 'like', 'directory.%').execute();
    assert.ok(audited.length >= 4, 'each directory change is an audit event');

    // The one 401 is the server asking for the second factor at sign-in.
    assertPageHealthy(browser, [401]);
  });
});
