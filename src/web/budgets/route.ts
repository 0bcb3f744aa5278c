// The budgets view in the URL: `?view=budgets&farm=F&budget=B` (budget optional: the first
// one). The explorer's own query strings never have `view`, so each view reads its own. The
// tabs between the two views are plain links: each view opens from its URL.

export interface BudgetsRoute {
  farm?: string;
  budget?: string;
}

export const isBudgetsView = (search: string) => new URLSearchParams(search).get('view') === 'budgets';

export function budgetsRoute(search: string): BudgetsRoute {
  const p = new URLSearchParams(search);
  return { ...(p.get('farm') && { farm: p.get('farm')! }), ...(p.get('budget') && { budget: p.get('budget')! }) };
}

export function budgetsSearch(r: BudgetsRoute): string {
  const p = new URLSearchParams({ view: 'budgets' });
  if (r.farm) p.set('farm', r.farm);
  if (r.budget) p.set('budget', r.budget);
  return `?${p}`;
}

/** The usage view of a farm: its default query (daily, the defaults for the rest), run on opening. A URL naming a farm and no period would ask for one bucket. */
export const usageSearch = (farm: string | undefined) => (farm ? `?${new URLSearchParams({ farm, period: 'DAILY' })}` : '/');
