/** Times as the API writes them (metav1.Time): RFC 3339 in UTC, to the second (`2026-01-02T03:04:05Z`). */
export function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
