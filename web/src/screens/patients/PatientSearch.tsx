import { useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { query } from '../../api/client.ts';
import type { PatientBundle } from '../../api/types.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { TextField } from '../../components/Field.tsx';
import { Page } from '../../components/Page.tsx';
import { useApi } from '../../hooks/use-api.ts';
import { useSession } from '../../session/session.tsx';
import { calendarDate } from '../../text/time.ts';
import { plural } from '../../text/words.ts';
import { BreakGlassDialog } from './BreakGlassDialog.tsx';
import { displayName, genderText, primaryIdentifier } from './fhir.ts';
import { ColumnHeads } from '../../components/ColumnHeads.tsx';

const PAGE_SIZE = 20;

/** Text with a digit in it is an identifier (MRN); anything else is part of a name. */
function searchPath(q: string, offset: number): string {
  const text = q.trim();
  const byIdentifier = /\d/.test(text);
  return `/fhir/R4/Patient${query({ [byIdentifier ? 'identifier' : 'name']: text, _count: PAGE_SIZE, _offset: offset || undefined })}`;
}

/**
 * Patient search over GET /fhir/R4/Patient. The server filters the rows in SQL to the patients this person may see,
 * so the count and the pages never include anyone else. The search terms live in the address, so Back works.
 */
export function PatientSearch() {
  const { may } = useSession();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const offset = Math.max(0, Number(params.get('offset') ?? 0) || 0);
  const [text, setText] = useState(q);
  useEffect(() => setText(q), [q]);
  const [breakGlassFor, setBreakGlassFor] = useState<string>();
  const result = useApi<PatientBundle>(q.trim() ? searchPath(q, offset) : null);

  function submit(event: FormEvent) {
    event.preventDefault();
    const next = text.trim();
    setParams(next ? { q: next } : {});
  }

  const bundle = q.trim() && result.state === 'ok' ? result.data : undefined;
  const patients = bundle?.entry?.map((e) => e.resource) ?? [];
  const looksLikeIdentifier = /\d/.test(q);

  return (
    <Page title="Patients" lead="Find a patient by name or by medical record number (MRN). Only patients you may see are listed." focusHeading={false}>
      <form className="search" role="search" onSubmit={submit}>
        <TextField
          label="Name or MRN"
          name="q"
          type="search"
          value={text}
          onChange={(e) => setText(e.target.value)}
          hint="Any part of a name, or a whole MRN."
          autoComplete="off"
          spellCheck={false}
          autoFocus
          className="search__field"
        />
        <button type="submit" className="btn btn--primary search__button" disabled={text.trim() === ''}>
          Search
        </button>
      </form>

      {result.state === 'error' && q ? <ErrorNotice error={result.error} title="The search did not run" /> : null}

      <div role="status" aria-live="polite" className="search__status" data-testid="search-status">
        {!q.trim() ? null : result.state === 'loading' ? 'Searching…' : bundle ? (bundle.total === 0 ? 'No patients found.' : `${plural(bundle.total, 'patient')} found.`) : null}
      </div>

      {bundle && bundle.total === 0 ? (
        <div className="panel panel--quiet" data-testid="no-results">
          <p>
            No patient you may see matches “{q}”. {looksLikeIdentifier ? 'An MRN must be typed in full.' : 'Try part of the family name.'}
          </p>
          {looksLikeIdentifier && may('break-glass') ? (
            <p className="no-results__glass">
              If the patient is not in your care and this is an emergency, you can break the glass for this MRN.{' '}
              <button type="button" className="btn btn--danger-outline" onClick={() => setBreakGlassFor(q.trim())}>
                Break the glass…
              </button>
            </p>
          ) : null}
        </div>
      ) : null}

      {patients.length > 0 && bundle ? (
        <>
          <table className="table" data-testid="patient-results">
            <caption className="visually-hidden">Patients matching “{q}”</caption>
            <ColumnHeads columns={['Name', 'Date of birth', 'Sex', 'MRN']} />
            <tbody>
              {patients.map((p) => {
                const id = primaryIdentifier(p);
                return (
                  <tr key={p.id}>
                    <td>
                      <Link to={`/patients/${p.id}`} className="table__primary">
                        {displayName(p)}
                      </Link>
                    </td>
                    <td className="num">{p.birthDate ? calendarDate(p.birthDate) : '—'}</td>
                    <td>{genderText(p.gender) ?? '—'}</td>
                    <td className="mono">{id?.value ?? '—'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <Pager total={bundle.total} offset={offset} shown={patients.length} onPage={(at) => setParams(at ? { q, offset: String(at) } : { q })} />
        </>
      ) : null}

      {breakGlassFor ? (
        <BreakGlassDialog target={{ identifier: breakGlassFor }} onClose={() => setBreakGlassFor(undefined)} onGranted={(grant) => navigate(`/patients/${grant.patientId}`)} />
      ) : null}
    </Page>
  );
}

function Pager({ total, offset, shown, onPage }: { total: number; offset: number; shown: number; onPage: (offset: number) => void }) {
  if (total <= PAGE_SIZE && offset === 0) return null;
  return (
    <nav className="pager" aria-label="Result pages">
      <span className="pager__range">
        {offset + 1}–{offset + shown} of {total}
      </span>
      <button type="button" className="btn btn--quiet" disabled={offset === 0} onClick={() => onPage(Math.max(0, offset - PAGE_SIZE))}>
        Previous
      </button>
      <button type="button" className="btn btn--quiet" disabled={offset + shown >= total} onClick={() => onPage(offset + PAGE_SIZE)}>
        Next
      </button>
    </nav>
  );
}
