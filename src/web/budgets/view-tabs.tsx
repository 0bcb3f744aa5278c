// The two views, as tabs in the page's header: Usage (the explorer) and Budgets, each a plain
// link to the other's URL for the same farm.
import { budgetsRoute, budgetsSearch, usageSearch } from './route.js';

/** `farm` is the farm the view shows now; in the budgets view it is read from the URL when the tab is followed (the view moves in it on its own). */
export function ViewTabs({ view, farm }: { view: 'usage' | 'budgets'; farm: string }) {
  const usageHref = () => usageSearch(view === 'budgets' ? budgetsRoute(location.search).farm : farm);
  return (
    <nav class="view-tabs" aria-label="Views">
      <a href={usageHref()} aria-current={view === 'usage' ? 'page' : undefined} onClick={(e) => e.currentTarget.setAttribute('href', usageHref())}>Usage</a>
      <a href={budgetsSearch({ farm: farm || undefined })} aria-current={view === 'budgets' ? 'page' : undefined} onClick={(e) => view === 'budgets' && e.currentTarget.setAttribute('href', location.search || '?view=budgets')}>Budgets</a>
    </nav>
  );
}
