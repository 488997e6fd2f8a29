import { Link } from 'react-router';
import { StatePill } from './StatePill.tsx';
import { stamp } from './time.ts';
import type { MessageSummary } from './types.ts';
import { reasonWords } from './words.ts';

interface Selection {
  selected: ReadonlySet<string>;
  toggle(id: string, on: boolean): void;
  toggleAll(on: boolean): void;
}

/** Messages, newest first; with `selection`, a checkbox per row and one for the page. */
export function MessageTable({ items, selection, loaded }: { items: MessageSummary[]; selection?: Selection; loaded: { state: string; query: string } }) {
  const all = selection !== undefined && items.length > 0 && items.every((m) => selection.selected.has(m.id));
  return (
    <div className="table-scroll">
      <table className="table table--dense messages" data-testid="messages" data-state={loaded.state} data-query={loaded.query}>
        <thead>
          <tr>
            {selection ? (
              <th scope="col" className="messages__pick">
                <input type="checkbox" aria-label="Select every message on this page" checked={all} onChange={(e) => selection.toggleAll(e.target.checked)} />
              </th>
            ) : null}
            <th scope="col">Received</th>
            <th scope="col">Source</th>
            <th scope="col">Type</th>
            <th scope="col">Control id</th>
            <th scope="col">State</th>
            <th scope="col" className="messages__attempts">
              Attempts
            </th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          {items.map((m) => (
            <MessageRow key={m.id} message={m} selection={selection} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function MessageRow({ message: m, selection }: { message: MessageSummary; selection: Selection | undefined }) {
  const picked = selection?.selected.has(m.id) ?? false;
  return (
    <tr data-control={m.controlId ?? ''} data-state={m.state} data-id={m.id} className={picked ? 'messages__row--picked' : undefined}>
      {selection ? (
        <td className="messages__pick">
          <input type="checkbox" aria-label={`Select message ${m.controlId ?? m.id} received ${stamp(m.receivedAt)}`} checked={picked} onChange={(e) => selection.toggle(m.id, e.target.checked)} />
        </td>
      ) : null}
      <td className="num">
        <Link to={`/integration/messages/${m.id}`} aria-label={`Open message ${m.controlId ?? ''} received ${stamp(m.receivedAt)}`}>
          <time dateTime={m.receivedAt}>{stamp(m.receivedAt)}</time>
        </Link>
      </td>
      <td>{m.source ? m.source.name : <span className="muted">Unregistered sender</span>}</td>
      <td className="mono">{m.type ?? <span className="muted">—</span>}</td>
      <td className="mono messages__control">{m.controlId ?? <span className="muted">—</span>}</td>
      <td>
        <StatePill state={m.state} />
        {m.corrects ? <span className="cell__sub">Corrected copy</span> : null}
        {m.correctedBy ? <span className="cell__sub">Replaced by a copy</span> : null}
      </td>
      <td className="num messages__attempts">{m.attempts}</td>
      <td>{reasonWords(m.reasonCode)?.short ?? <span className="muted">—</span>}</td>
    </tr>
  );
}
