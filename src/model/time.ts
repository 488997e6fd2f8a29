/**
 * A point in time as a source stated it and as Vigil resolved it. Sources send naive local timestamps
 * (`20240102083000`) whose zone lives in the source profile; the resolution is kept so a reader can see
 * how the instant was reached.
 */
export interface SourceTime {
  /** ISO 8601 instant in UTC, e.g. `2024-01-02T07:30:00.000Z`. */
  instant: string;
  /** How the zone was decided: stated by the source, or taken from the profile's zone. */
  zoneFrom: 'stated' | 'profile';
  /** The IANA zone or the stated offset (`+0100`) that was applied. */
  zone: string;
  /** Digits of precision the source gave: 'year' | 'month' | 'day' | 'minute' | 'second' | 'fraction'. */
  precision: TimePrecision;
}

export type TimePrecision = 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'fraction';
