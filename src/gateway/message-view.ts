/**
 * What an operator sees of a raw message before revealing it: the structure (segment ids, field positions, lengths)
 * with every value masked, except MSH, which routes the message and carries no patient data by itself.
 */
export function maskedStructure(raw: string): string[] {
  const segments = raw.split(/\r\n|\r|\n/).filter((s) => s.length > 0);
  return segments.map((segment) => {
    const id = segment.slice(0, 3);
    if (!/^[A-Z][A-Z0-9]{2}$/.test(id)) return '[unreadable segment]';
    if (id === 'MSH' || id === 'BHS' || id === 'FHS' || id === 'BTS' || id === 'FTS') return maskHeader(segment);
    const fs = segment[3] ?? '|';
    const fields = segment.split(fs);
    return [id, ...fields.slice(1).map((f) => (f === '' ? '' : `▒${f.length}`))].join(fs);
  });
}

// MSH-7 (time) is kept; MSH fields past 12 rarely matter to an operator and may carry free text, so they are masked.
function maskHeader(segment: string): string {
  const fs = segment[3] ?? '|';
  const fields = segment.split(fs);
  return fields.map((f, i) => (i <= 12 || f === '' ? f : `▒${f.length}`)).join(fs);
}
