// The view in the address bar: every run writes its query there (a link reproduces the
// view), and back and forward open the query of the entry gone to.
import { useEffect } from 'preact/hooks';
import { queryToSearch, type Query } from '../query.js';

/** A run the user asked for makes a history entry (`push`); one the page started itself, or a change of how rows are shown, rewrites the current one. */
export type HistoryMove = 'push' | 'replace';

export function showInUrl(q: Query, move: HistoryMove): void {
  const search = queryToSearch(q);
  if (search === location.search) return;
  if (move === 'push') history.pushState(null, '', search);
  else history.replaceState(null, '', search);
}

/** Calls `reopen` on back and forward; `deps` are what `reopen` reads. */
export function useHistoryMoves(reopen: () => void, deps: unknown[]): void {
  useEffect(() => {
    addEventListener('popstate', reopen);
    return () => removeEventListener('popstate', reopen);
  }, deps);
}
