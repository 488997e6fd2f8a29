import { useEffect, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { AccessReport as Report } from '../../api/types.ts';
import { ColumnHeads } from '../../components/ColumnHeads.tsx';
import { ErrorNotice, Loading } from '../../components/ErrorNotice.tsx';
import { TextField } from '../../components/Field.tsx';
import { Page } from '../../components/Page.tsx';
import { Pill } from '../../components/Pill.tsx';
import { useApi } from '../../hooks/use-api.ts';
import { dateTime } from '../../text/time.ts';
import { plural, roleName } from '../../text/words.ts';
import { AuditTable } from './AuditSearch.tsx';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SHOWN_EVENTS = 100;

/**
 * "Who has seen this record": every person and system that read, found in a search, changed, exported or disclosed
 * one patient's data, with counts and times. It is also what a data-subject access request returns.
 */
export function AccessReport() {
  const [params, setParams] = useSearchParams();
  const patient = params.get('patient') ?? '';
  const [text, setText] = useState(patient);
  useEffect(() => setText(patient), [patient]);
  const valid = UUID.test(patient);
  const report = useApi<Report>(valid ? `/api/audit/patients/${patient}/access-report` : null);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (UUID.test(text.trim())) setParams({ patient: text.trim() });
  }
  const textInvalid = text.trim() !== '' && !UUID.test(text.trim());
  const data = valid && report.state === 'ok' ? report.data : undefined;

  return (
    <Page title="Access report" lead="Who has seen a patient’s record, how often, and when. Reading the audit trail itself is not counted as an access to the record.">
      <form className="search" onSubmit={submit}>
        <TextField
          label="Patient id"
          value={text}
          onChange={(e) => setText(e.target.value)}
          spellCheck={false}
          hint="From the patient’s page or an audit event."
          error={textInvalid ? 'A patient id looks like 0190…-…-…; an MRN will not work here.' : undefined}
          className="search__field"
        />
        <button type="submit" className="btn btn--primary search__button" disabled={!UUID.test(text.trim())}>
          Show report
        </button>
      </form>

      {valid && report.state === 'loading' ? <Loading what="the report" /> : null}
      {valid && report.state === 'error' ? <ErrorNotice error={report.error} title="The report could not be made" /> : null}

      {data ? (
        <>
          <p className="muted" data-testid="report-meta">
            Made {dateTime(data.generatedAt)} for patient <span className="mono">{data.patientId}</span>: {plural(data.accessors.length, 'person or system', 'people or systems')},{' '}
            {plural(data.events.length, 'event')}. <Link to={`/privacy/audit?patient=${data.patientId}`}>Search these events</Link>
          </p>
          {data.accessors.length === 0 ? (
            <p className="panel panel--quiet">Nobody has accessed this record yet.</p>
          ) : (
            <table className="table" data-testid="accessors">
              <caption className="table__caption">Who has seen this record</caption>
              <ColumnHeads columns={['Who', 'Accesses', 'Refused', 'Emergency', 'First', 'Last', 'What']} />
              <tbody>
                {data.accessors.map((a) => (
                  <tr key={`${a.actorType}|${a.actorId ?? ''}`}>
                    <td>
                      <span className="who">{a.actorName ?? a.actorId ?? a.actorType}</span>
                      {a.actorRoles.length > 0 ? <span className="who__roles">{a.actorRoles.map(roleName).join(', ')}</span> : null}
                    </td>
                    <td className="num">{a.accesses}</td>
                    <td className="num">{a.denied || <span className="muted">0</span>}</td>
                    <td className="num">{a.breakGlass ? <Pill tone="glass">{a.breakGlass}</Pill> : <span className="muted">0</span>}</td>
                    <td className="num">{dateTime(a.firstAt)}</td>
                    <td className="num">{dateTime(a.lastAt)}</td>
                    <td>
                      <ul className="plain-list">
                        {Object.entries(a.actions).map(([action, n]) => (
                          <li key={action}>
                            <code>{action}</code> × {n}
                          </li>
                        ))}
                      </ul>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {data.events.length > 0 ? (
            <section aria-labelledby="report-events">
              <h2 id="report-events" className="section-title">
                Events{data.events.length > SHOWN_EVENTS ? ` (newest ${SHOWN_EVENTS} of ${data.events.length})` : ''}
              </h2>
              <AuditTable events={data.events.slice(0, SHOWN_EVENTS)} showPatient={false} />
            </section>
          ) : null}
        </>
      ) : null}
    </Page>
  );
}
