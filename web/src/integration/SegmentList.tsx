/**
 * An HL7 v2 message as an operator reads it: one segment per line, numbered, in monospace. A long segment wraps inside
 * its own line (hanging under its text, not under the number) instead of widening the page.
 */
export function SegmentList({ segments, label, testId }: { segments: string[]; label: string; testId: string }) {
  return (
    <ol className="segments" aria-label={label} data-testid={testId} tabIndex={0}>
      {segments.map((segment, i) => (
        <li key={i} className="segments__line">
          <span className="segments__no" aria-hidden="true">
            {i + 1}
          </span>
          <code className="segments__text">{segment === '' ? '\u00a0' : segment}</code>
        </li>
      ))}
    </ol>
  );
}

/** A raw message split into its segments (HL7 allows CR, LF or CRLF between them). */
export function segmentsOf(raw: string): string[] {
  return raw.split(/\r\n|\r|\n/).filter((s, i, all) => s !== '' || i < all.length - 1);
}
