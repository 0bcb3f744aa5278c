// Where a drilled view came from, above its results: "All queues › Lighting › by job". The
// first step is a link back to the view drilled from (the query in the URL's `from`), so the
// way back is on the page and not only the browser's Back; the later steps say where the
// reader is. A plain link underneath: opened in a new tab it is that view's own URL.
import { FIELD_TITLE, type Names } from './results.js';
import { queryFromUrl, queryToSearch, type Query } from './query.js';

/** The queue or fleet a view shows alone, by name; undefined when it shows several (or is grouped by them). */
export function viewedResource(q: Query, names: Names): { what: 'queue' | 'fleet'; name: string } | undefined {
  const field = q.kind === 'queues' ? 'QUEUE_ID' : 'FLEET_ID';
  if (q.ids.length !== 1 || q.groupBy.includes(field)) return undefined;
  const id = q.ids[0]!;
  return q.kind === 'queues' ? { what: 'queue', name: names.queues.get(id) ?? id } : { what: 'fleet', name: names.fleets.get(id) ?? id };
}

/** "by job", "by user, then instance type": the grouping as the heading and breadcrumb say it. */
export const groupingText = (groupBy: readonly string[]) => `by ${groupBy.map((g) => FIELD_TITLE[g]?.toLowerCase() ?? g).join(', then ')}`;

export function Breadcrumb({ query, names, onGo }: { query: Query; names: Names; onGo(q: Query): void }) {
  if (!query.from) return null;
  const back = queryFromUrl(`?${query.from}`, query);
  const resource = viewedResource(query, names);
  const href = queryToSearch(back);
  return (
    <nav class="breadcrumb" aria-label="Drill-down path">
      <ol>
        <li>
          <a
            href={href}
            onClick={(e) => {
              // A modified click (new tab, new window) goes to the link itself.
              if (e.ctrlKey || e.metaKey || e.shiftKey || e.altKey || e.button !== 0) return;
              e.preventDefault();
              onGo(back);
            }}
          >
            All {query.kind}
          </a>
        </li>
        {resource && <li><Separator />{resource.name}</li>}
        <li aria-current="page"><Separator />{groupingText(query.groupBy)}</li>
      </ol>
    </nav>
  );
}

/** Seen, not read out: a screen reader announces the list's items in order. */
const Separator = () => <span class="separator" aria-hidden="true">{' › '}</span>;
