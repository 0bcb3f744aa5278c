// Views the user named and saved: a name and the view's query string (what the URL holds),
// kept in this browser's localStorage for the page's origin (docs/DECISIONS.md, Saved
// views). Each is a link like any other: opened, it runs its query.
import { useEffect, useState } from 'preact/hooks';

export interface SavedView {
  name: string;
  /** The view's query string, `?` included (queryToSearch). */
  search: string;
}

const STORAGE_KEY = 'farmtally.savedViews';
/** Long enough for any name a person types, short enough to stay one line in the list. */
export const MAX_VIEW_NAME = 100;

function readViews(): SavedView[] {
  try {
    const stored: unknown = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '[]');
    if (!Array.isArray(stored)) return [];
    return stored.filter((v): v is SavedView => typeof v?.name === 'string' && typeof v?.search === 'string' && v.search.startsWith('?'));
  } catch {
    return []; // unreadable (edited by hand, storage off): no saved views rather than no page
  }
}

/** Writes the list; false when the browser refused it (storage off or full). */
function writeViews(views: SavedView[]): boolean {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(views));
    return true;
  } catch {
    return false;
  }
}

export function useSavedViews() {
  const [views, setViews] = useState<SavedView[]>(readViews);
  // Another tab of the page saved or removed one: this one's list follows.
  useEffect(() => {
    const onStorage = (e: StorageEvent) => e.key === STORAGE_KEY && setViews(readViews());
    addEventListener('storage', onStorage);
    return () => removeEventListener('storage', onStorage);
  }, []);

  /** Saves the view under the name; a view of the same name is replaced in its place. False when the browser could not keep it. */
  function saveView(name: string, search: string): boolean {
    const current = readViews();
    const at = current.findIndex((v) => v.name === name);
    const next = at >= 0 ? current.map((v, i) => (i === at ? { name, search } : v)) : [...current, { name, search }];
    if (!writeViews(next)) return false;
    setViews(next);
    return true;
  }

  function removeView(name: string): void {
    const next = readViews().filter((v) => v.name !== name);
    writeViews(next);
    setViews(next);
  }

  return { views, saveView, removeView };
}
