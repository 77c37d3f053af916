// Footage windows: the intersection every clip, listing and export is cut to.
import type { TimeWindow } from '../../domain/types.ts';

/** The overlap of two windows (b null: no limit), or null when they do not overlap. */
export function intersect(a: TimeWindow, b: TimeWindow | null): TimeWindow | null {
  if (!b) return a;
  const from = a.from > b.from ? a.from : b.from;
  const to = a.to < b.to ? a.to : b.to;
  return from < to ? { from, to } : null;
}
