import type { FieldErrors } from './errors.ts';

function coordinate(errors: FieldErrors, field: string, raw: unknown, limit: number): number | null {
  // Forms send text: only a plain decimal (a French comma allowed) counts; blank means absent, not 0.
  const typed = typeof raw === 'string' ? raw.trim().replace(',', '.') : raw;
  if (typed === undefined || typed === null || typed === '') return null;
  const value =
    typeof typed === 'number'
      ? typed
      : typeof typed === 'string' && /^[+-]?\d+(\.\d+)?$/.test(typed)
        ? Number(typed)
        : NaN;
  if (!Number.isFinite(value) || Math.abs(value) > limit) {
    errors.add(field, 'coordinate', { max: limit });
    return null;
  }
  return value;
}

/** Latitude and longitude from a form or JSON: both or neither, each within its range. */
export function readCoordinates(
  errors: FieldErrors,
  latitudeRaw: unknown,
  longitudeRaw: unknown,
): { latitude: number | null; longitude: number | null } {
  const latitude = coordinate(errors, 'latitude', latitudeRaw, 90);
  const longitude = coordinate(errors, 'longitude', longitudeRaw, 180);
  if (!errors.has('latitude') && !errors.has('longitude') && (latitude === null) !== (longitude === null)) {
    errors.add(latitude === null ? 'latitude' : 'longitude', 'coordinates-pair');
  }
  return { latitude, longitude };
}
