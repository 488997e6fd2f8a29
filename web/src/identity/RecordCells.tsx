import { calendarDate } from '../text/time.ts';
import { plural } from '../text/words.ts';
import type { ReviewRecord } from './types.ts';
import { LINK_REASONS, personName, sexText } from './words.ts';

/** The cells every records table of the identity screens starts with: source and key, the person as sent, the link, what it brought. */
export function RecordCells({ record: r }: { record: ReviewRecord }) {
  return (
    <>
      <th scope="row">
        {r.source.name}
        <span className="cell__sub">
          filed as <span className="mono">{r.recordKey.value}</span>
        </span>
      </th>
      <td>
        {personName(r.demographics)}
        <span className="cell__sub">{[r.demographics.birthDate ? `Born ${calendarDate(r.demographics.birthDate)}` : 'No birth date', sexText(r.demographics.sex)].filter(Boolean).join(' · ')}</span>
      </td>
      <td>
        {LINK_REASONS[r.linkReason] ?? r.linkReason}
        {r.retired ? <span className="cell__sub">merged away by its source</span> : null}
      </td>
      <td className="num">
        {plural(r.facts, 'entry', 'entries')}, {plural(r.encounters, 'encounter')}
      </td>
    </>
  );
}
