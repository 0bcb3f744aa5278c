// The query the form holds (not yet run), and the range preset the picker shows for it.
import { useMemo, useState } from 'preact/hooks';
import { presetOf, presetRange, zoneOf, type Preset, type Query } from '../query.js';

export function useDraft(initial: () => Query) {
  const [draft, setDraft] = useState<Query>(initial);
  // The picker shows the preset the range is (a link's dates, dates typed by hand), unless
  // Custom was picked since the range last changed.
  const [customPicked, setCustomPicked] = useState(false);
  const preset = useMemo<Preset>(
    () => (customPicked ? 'custom' : presetOf(draft.start, draft.end, zoneOf(draft.tz))),
    [customPicked, draft.start, draft.end, draft.tz],
  );

  function pickPreset(p: Preset): void {
    setCustomPicked(p === 'custom');
    const zone = zoneOf(draft.tz);
    if (p !== 'custom' && zone) setDraft((d) => ({ ...d, ...presetRange(p, zone) }));
  }

  /** The form edited: a new range shows its own preset again. */
  function edit(q: Query): void {
    if (q.start !== draft.start || q.end !== draft.end) setCustomPicked(false);
    setDraft(q);
  }

  /** A query from elsewhere (a link, the breadcrumb): the picker shows the preset its range is. */
  function replace(q: Query): void {
    setDraft(q);
    setCustomPicked(false);
  }

  return { draft, setDraft, preset, pickPreset, edit, replace };
}
