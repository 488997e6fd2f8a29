import { useEffect, useRef, useState, type ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { api } from '../../api/client.ts';
import type { BreakGlassGrant, FhirPatient } from '../../api/types.ts';
import { ErrorNotice, Loading } from '../../components/ErrorNotice.tsx';
import { Page } from '../../components/Page.tsx';
import { useAccessCheck } from '../../hooks/use-access-check.ts';
import { useApi, useMutation } from '../../hooks/use-api.ts';
import { useMe, useSession } from '../../session/session.tsx';
import { calendarDate, clock, untilText } from '../../text/time.ts';
import { BREAK_GLASS_HELPS, reasonText, securityLabelName } from '../../text/words.ts';
import { ChartAlerts } from '../../chart/ChartAlerts.tsx';
import { PatientChart } from '../../chart/PatientChart.tsx';
import { useChart } from '../../chart/use-chart.ts';
import { BreakGlassDialog } from './BreakGlassDialog.tsx';
import { displayName, facilityIdOf, genderText, identifierLabel, payerOf, primaryIdentifier, securityLabels } from './fhir.ts';

/**
 * One patient, showing exactly the fields the server returned for this person's roles (a billing specialist gets the
 * payer, a nurse does not). When the server refuses, the page says why in plain words and, where emergency access can
 * help and the person may use it, offers to break the glass. While a break-glass grant is open a banner says so.
 */
export function PatientPage() {
  const { id = '' } = useParams();
  const { may } = useSession();
  const canBreakGlass = may('break-glass');
  const patient = useApi<FhirPatient>(`/fhir/R4/Patient/${encodeURIComponent(id)}`);
  const active = useApi<{ grants: BreakGlassGrant[] }>(canBreakGlass ? '/api/break-glass/active' : null);
  const [dialogOpen, setDialogOpen] = useState(false);
  const [generation, setGeneration] = useState(0);
  const [justGranted, setJustGranted] = useState(false);

  const grant = active.data?.grants.find((g) => g.patientId === id && g.active);
  const refused = patient.state === 'error' && patient.error.status === 403 ? patient.error : undefined;
  const offerGlass = useAccessCheck('break-glass', id, Boolean(refused) && canBreakGlass, generation);
  const chart = useAccessCheck('chart.read', id, patient.state === 'ok', generation);

  const reloadAll = () => {
    patient.reload();
    active.reload();
    setGeneration((g) => g + 1);
  };

  // When the grant runs out, the record closes on screen too.
  const expiresAt = grant?.expiresAt;
  useEffect(() => {
    if (!expiresAt) return;
    const ms = new Date(expiresAt).getTime() - Date.now();
    const timer = window.setTimeout(reloadAll, Math.max(0, ms) + 1000);
    return () => window.clearTimeout(timer);
    // reloadAll is rebuilt each render; the timer only depends on the expiry.
  }, [expiresAt]);

  const loaded = patient.state === 'ok' ? patient.data : undefined;
  const title = loaded ? displayName(loaded) : refused ? 'Record not opened' : 'Patient';

  return (
    <Page
      title={title}
      lead={loaded ? <PatientSummary patient={loaded} /> : undefined}
      actions={
        <>
          {loaded && may('audit.read') ? <Link to={`/privacy/access-report?patient=${loaded.id}`}>Who has seen this record</Link> : null}
          <Link to="/patients">Back to search</Link>
        </>
      }
    >
      {grant && loaded ? <EmergencyBanner grant={grant} onEnded={reloadAll} takeFocus={justGranted} /> : null}

      {patient.state === 'loading' && !patient.data ? <Loading what="the record" /> : null}

      {refused ? (
        <section className="refusal" aria-labelledby="refusal-title" data-testid="refusal" data-reason={refused.reason ?? ''}>
          <h2 id="refusal-title" className="refusal__title">
            You may not open this record
          </h2>
          <p className="refusal__why" data-testid="refusal-reason">
            {reasonText(refused.reason)}
          </p>
          <p className="muted">The attempt has been recorded in the audit trail, as every access is.</p>
          {offerGlass?.permit && refused.reason && BREAK_GLASS_HELPS.has(refused.reason) ? (
            <div className="refusal__glass">
              <p>If this is an emergency and the patient needs your care now, you can open the record with break-glass. It is time-limited, recorded and reviewed.</p>
              <button type="button" className="btn btn--danger" onClick={() => setDialogOpen(true)}>
                Break the glass
              </button>
            </div>
          ) : null}
          {refused.requestId ? (
            <p className="notice__meta">
              Request id <code>{refused.requestId}</code>
            </p>
          ) : null}
        </section>
      ) : null}

      {patient.state === 'error' && !refused ? (
        <ErrorNotice error={patient.error} title={patient.error.status === 404 ? 'No such patient' : 'The record could not be loaded'} />
      ) : null}

      {loaded ? <PatientRecord patient={loaded} showChart={chart?.permit === true} /> : null}

      {dialogOpen ? (
        <BreakGlassDialog
          target={{ patientId: id }}
          onClose={() => setDialogOpen(false)}
          onGranted={() => {
            setDialogOpen(false);
            setJustGranted(true);
            reloadAll();
          }}
        />
      ) : null}
    </Page>
  );
}

function PatientSummary({ patient }: { patient: FhirPatient }) {
  const id = primaryIdentifier(patient);
  const parts = [patient.birthDate ? `Born ${calendarDate(patient.birthDate)}` : undefined, genderText(patient.gender), id ? `${id.label} ${id.value}` : undefined].filter(Boolean);
  return <span data-testid="patient-summary">{parts.join(' · ')}</span>;
}

function EmergencyBanner({ grant, onEnded, takeFocus }: { grant: BreakGlassGrant; onEnded: () => void; takeFocus: boolean }) {
  // Right after breaking the glass, focus lands here: the first thing to know about the record now open.
  const banner = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (takeFocus) banner.current?.focus();
  }, [takeFocus]);
  const end = useMutation(() => api<void>(`/api/break-glass/${grant.id}/end`, { method: 'POST' }));
  // The time left is counted down on screen; the server ends the access at expiry whatever the page shows.
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(new Date()), 15_000);
    return () => window.clearInterval(timer);
  }, []);
  return (
    <div className="emergency" role="status" data-testid="emergency-banner" tabIndex={-1} ref={banner}>
      <div className="emergency__text">
        <p className="emergency__title">
          Emergency access until {clock(grant.expiresAt)} — recorded for review
        </p>
        <p>
          You opened this record with break-glass; access closes {untilText(grant.expiresAt, now)}. Every view is flagged for the privacy officer. End it as soon
          as you no longer need it.
        </p>
        {end.error ? <ErrorNotice error={end.error} title="Emergency access was not ended" /> : null}
      </div>
      <button
        type="button"
        className="btn btn--danger"
        disabled={end.pending}
        onClick={() => {
          void end.mutate().then(() => onEnded());
        }}
      >
        {end.pending ? 'Ending…' : 'End now'}
      </button>
    </div>
  );
}

function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section className="panel record__section" aria-labelledby={`${id}-title`} data-testid={`section-${id}`}>
      <h2 id={`${id}-title`} className="panel__title">
        {title}
      </h2>
      {children}
    </section>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function PatientRecord({ patient, showChart }: { patient: FhirPatient; showChart: boolean }) {
  const me = useMe();
  const labels = securityLabels(patient);
  const payer = payerOf(patient);
  const facilityId = facilityIdOf(patient);
  const facility = facilityId ? me.facilities.find((f) => f.id === facilityId) : undefined;
  const phones = patient.telecom?.filter((t) => t.value) ?? [];
  const addresses = patient.address ?? [];
  const hasIdentity = Boolean(patient.name || patient.birthDate || patient.gender || patient.identifier);
  const chart = useChart(showChart ? patient.id : null);

  return (
    <div className="record">
      {showChart && chart.data?.patient.id === patient.id ? <ChartAlerts chart={chart.data} /> : null}
      {labels.length > 0 ? (
        <div className="notice notice--warn" data-testid="section-sensitivity">
          <p className="notice__title">Sensitive record</p>
          <p>
            This record carries {labels.length === 1 ? 'a sensitivity label' : 'sensitivity labels'}: {labels.map(securityLabelName).join(', ')}. Parts of it
            need an extra permission.
          </p>
        </div>
      ) : null}

      <div className="record__grid">
        {hasIdentity ? (
          <Section id="identity" title="Identity">
            <dl className="facts">
              {patient.name?.map((n, i) => (
                <Fact key={i} label={n.use === 'official' || !n.use ? 'Name' : `Name (${n.use})`}>
                  {[...(n.given ?? []), n.family].filter(Boolean).join(' ')}
                </Fact>
              ))}
              {patient.birthDate ? <Fact label="Date of birth">{calendarDate(patient.birthDate)}</Fact> : null}
              {patient.gender ? <Fact label="Sex">{genderText(patient.gender)}</Fact> : null}
              {patient.identifier?.map((i) => (
                <Fact key={`${i.system}|${i.value}`} label={identifierLabel(i.system)}>
                  <span className="mono">{i.value}</span>
                  {i.system ? <span className="fact__sub">{i.system}</span> : null}
                </Fact>
              ))}
            </dl>
          </Section>
        ) : null}

        {phones.length > 0 || addresses.length > 0 ? (
          <Section id="contact" title="Contact">
            <dl className="facts">
              {phones.map((t) => (
                <Fact key={`${t.system}|${t.value}`} label={t.system === 'phone' ? 'Phone' : (t.system ?? 'Contact')}>
                  {t.value}
                </Fact>
              ))}
              {addresses.map((a, i) => (
                <Fact key={i} label="Address">
                  {[...(a.line ?? []), [a.postalCode, a.city].filter(Boolean).join(' ')].filter(Boolean).join(', ')}
                </Fact>
              ))}
            </dl>
          </Section>
        ) : null}

        {payer ? (
          <Section id="payer" title="Payer">
            <dl className="facts">
              {payer.name ? <Fact label="Insurer">{payer.name}</Fact> : null}
              {payer.memberId ? (
                <Fact label="Member id">
                  <span className="mono">{payer.memberId}</span>
                </Fact>
              ) : null}
            </dl>
          </Section>
        ) : null}

        {facilityId ? (
          <Section id="facility" title="Care setting">
            <dl className="facts">
              <Fact label="Managing facility">{facility ? `${facility.name} (${facility.code})` : 'A facility where you do not work'}</Fact>
            </dl>
          </Section>
        ) : null}
      </div>

      {showChart ? <PatientChart chart={chart} patientId={patient.id} /> : null}

      <p className="record__note muted">
        You see the parts of this record your roles need. The server leaves out everything else; this page hides nothing itself.
      </p>
    </div>
  );
}

