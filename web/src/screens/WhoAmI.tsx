import { Page } from '../components/Page.tsx';
import { useMe } from '../session/session.tsx';
import { dateTime } from '../text/time.ts';
import { actionText, AREA_ORDER, type Area } from '../text/words.ts';
import { RoleTags } from '../components/RoleTags.tsx';

/** "Who am I, and what may I do": the answer of GET /auth/me in words. */
export function WhoAmI() {
  const me = useMe();
  const byArea = new Map<Area | 'Other', string[]>();
  for (const action of me.permissions) {
    const { area, text } = actionText(action);
    byArea.set(area, [...(byArea.get(area) ?? []), text]);
  }
  const areas = [...AREA_ORDER, 'Other' as const].filter((a) => byArea.has(a));
  const idleMinutes = Math.round(me.session.idleTimeoutSeconds / 60);

  return (
    <Page title="Who am I" lead="Who you are signed in as, and what your roles let you do in Vigil.">
      <section className="panel" aria-labelledby="me-identity">
        <h2 id="me-identity" className="panel__title">
          {me.displayName}
        </h2>
        <dl className="facts facts--columns">
          <div>
            <dt>Username</dt>
            <dd data-testid="me-username">{me.username}</dd>
          </div>
          <div>
            <dt>Roles</dt>
            <dd data-testid="me-roles">
              {me.roles.length === 0 ? 'None' : (
<RoleTags roles={me.roles} />
              )}
            </dd>
          </div>
          <div>
            <dt>Facilities</dt>
            <dd data-testid="me-facilities">
              {me.facilities.length === 0 ? 'None' : me.facilities.map((f) => `${f.name} (${f.code})`).join(', ')}
            </dd>
          </div>
          <div>
            <dt>This session</dt>
            <dd>
              {me.session.mfaAt ? `Second factor given ${dateTime(me.session.mfaAt)}` : 'Signed in with a password only'}
              <br />
              Ends after {idleMinutes} minutes without activity
            </dd>
          </div>
        </dl>
      </section>

      <section className="permissions" aria-labelledby="me-permissions">
        <h2 id="me-permissions" className="section-title">
          What you may do
        </h2>
        <p className="muted">
          Vigil checks every request on the server. For anything about a patient it also checks, each time, your relation to that patient: their care
          team or assignment, a coverage window you hold, your facility, and sensitivity labels on the record.
        </p>
        {areas.length === 0 ? <p>Your roles grant no actions yet.</p> : null}
        <div className="permission-groups" data-testid="permissions">
          {areas.map((area) => (
            <section key={area} className="panel permission-group" aria-labelledby={`area-${slug(area)}`}>
              <h3 id={`area-${slug(area)}`} className="permission-group__title">
                {area}
              </h3>
              <ul className="permission-group__list">
                {byArea.get(area)!.map((text) => (
                  <li key={text}>{text}</li>
                ))}
              </ul>
            </section>
          ))}
        </div>
      </section>
    </Page>
  );
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}
