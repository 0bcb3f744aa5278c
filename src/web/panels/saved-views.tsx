// Saved views: a name for the view on screen and a button to keep it, then the views kept,
// each a link to its URL (shareable like any of the page's links) and a button to remove it.
// A plain click opens the view in place; a middle click or Ctrl-click opens it in a new tab.
import { useState } from 'preact/hooks';
import { MAX_VIEW_NAME, type SavedView } from '../hooks/use-saved-views.js';

interface Props {
  views: SavedView[];
  /** The view on screen, as its query string; none before the first run. */
  current: string | undefined;
  /** False when the browser could not keep it. */
  onSave(name: string, search: string): boolean;
  onRemove(name: string): void;
  onOpen(search: string): void;
}

export function SavedViews({ views, current, onSave, onRemove, onOpen }: Props) {
  const [name, setName] = useState('');
  const [problem, setProblem] = useState<string | undefined>();

  function save(e: Event): void {
    e.preventDefault();
    const trimmed = name.trim();
    if (!current) return;
    if (!trimmed) return setProblem('Give the view a name.');
    if (!onSave(trimmed, current)) return setProblem('This browser did not let the page keep it (storage is off or full).');
    setProblem(undefined);
    setName('');
  }

  function open(e: MouseEvent, search: string): void {
    if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return; // the browser's own: a new tab or window
    e.preventDefault();
    onOpen(search);
  }

  return (
    <section class="saved-views" aria-labelledby="saved-views-title">
      <strong id="saved-views-title">Saved views</strong>
      <form class="save-view" onSubmit={save} noValidate>
        <label class="visually-hidden" for="view-name">Name of the view on screen</label>
        <input
          id="view-name" type="text" value={name} maxLength={MAX_VIEW_NAME} placeholder="Name this view" disabled={!current}
          aria-invalid={problem ? true : undefined} aria-describedby={problem ? 'view-name-error' : undefined}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <button type="submit" id="save-view" disabled={!current}>Save view</button>
      </form>
      {problem && <p class="field-error" id="view-name-error" role="alert">{problem}</p>}
      {views.length === 0 ? (
        <p class="muted">None yet: a saved view is a link to the query on screen, kept in this browser.</p>
      ) : (
        <ul class="saved-list">
          {views.map((v) => (
            <li key={v.name}>
              <a class="saved-view" href={v.search} title={`${location.origin}/${v.search}`} aria-current={v.search === current ? 'page' : undefined} onClick={(e) => open(e, v.search)}>{v.name}</a>
              <button type="button" class="icon" aria-label={`Remove saved view ${v.name}`} onClick={() => onRemove(v.name)}>×</button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
