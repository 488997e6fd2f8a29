import { DateTime } from 'luxon';
import type { FeedCadence } from '../adapters/source-profile.ts';

/**
 * Whether a feed has gone quiet for longer than its profile allows. Outside its active hours a feed is not expected to
 * send; when the hours begin, the clock starts from the start of the window, so an overnight gap is not an alert at
 * 06:01.
 */
export interface FeedStatus {
  watched: boolean;
  stale: boolean;
  /** When the feed will be stale if nothing arrives (undefined when not watched now). */
  dueBy?: Date;
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

export function feedStatus(cadence: FeedCadence | undefined, timeZone: string, lastMessageAt: Date | null, now: Date): FeedStatus {
  if (!cadence) return { watched: false, stale: false };
  const local = DateTime.fromJSDate(now, { zone: timeZone });
  let windowStart: DateTime | undefined;
  if (cadence.activeFrom && cadence.activeTo) {
    const from = minutesOf(cadence.activeFrom);
    const to = minutesOf(cadence.activeTo);
    const minute = local.hour * 60 + local.minute;
    const inside = from <= to ? minute >= from && minute < to : minute >= from || minute < to;
    if (!inside) return { watched: false, stale: false };
    const startToday = local.startOf('day').plus({ minutes: from });
    windowStart = startToday > local ? startToday.minus({ days: 1 }) : startToday;
  }
  const reference = Math.max(lastMessageAt?.getTime() ?? Number.NEGATIVE_INFINITY, windowStart?.toMillis() ?? Number.NEGATIVE_INFINITY);
  if (!Number.isFinite(reference)) return { watched: true, stale: true };
  const dueBy = new Date(reference + cadence.everyMinutes * 60_000);
  return { watched: true, stale: now.getTime() > dueBy.getTime(), dueBy };
}
