// The form's filters: each one a chip (field and value, × removes it), and a field, a value
// and Add for another. Queues, fleets and usage types are picked from their lists; users,
// jobs, instance types and products are typed (the API lists no users). When the server
// could not take one more group-by field, the form says so instead of offering Add.
import { useState } from 'preact/hooks';
import type { Named } from './api.js';
import { requestGroupBy, type Filter } from './filters.js';
import { filterRoomText, GROUP_BY_FIELDS, STRICT_MAX_GROUP_BY, type Query } from './query.js';
import { FIELD_TITLE } from './results.js';

interface Props {
  query: Query;
  queues: Named[];
  fleets: Named[];
  strict: boolean;
  onChange(filters: Filter[]): void;
}

const USAGE_TYPES: Named[] = [{ id: 'COMPUTE', name: 'Compute' }, { id: 'LICENSE', name: 'License' }];

/** A filter as its chip says it: "User: ana", a queue or fleet by its name. */
export function filterText(f: Filter, queues: readonly Named[], fleets: readonly Named[]): string {
  const list = f.field === 'QUEUE_ID' ? queues : f.field === 'FLEET_ID' ? fleets : [];
  return `${FIELD_TITLE[f.field] ?? f.field}: ${list.find((n) => n.id === f.value)?.name ?? f.value}`;
}

export function FilterControls({ query: q, queues, fleets, strict, onChange }: Props) {
  const [field, setField] = useState('USER_ID');
  const [value, setValue] = useState('');
  const choices = field === 'QUEUE_ID' ? queues : field === 'FLEET_ID' ? fleets : field === 'USAGE_TYPE' ? USAGE_TYPES : undefined;
  const maxGroupBy = strict ? STRICT_MAX_GROUP_BY : GROUP_BY_FIELDS.length;
  const next = { groupBy: q.groupBy, filters: [...q.filters, { field, value }] };
  const noRoom = requestGroupBy(next.groupBy, next.filters).length > maxGroupBy;
  const picked = value || choices?.[0]?.id || '';

  function add(): void {
    const text = picked.trim();
    if (!text || noRoom || q.filters.some((f) => f.field === field && f.value === text)) return;
    onChange([...q.filters, { field, value: text }]);
    setValue('');
  }

  return (
    <fieldset class="field">
      <legend>Only</legend>
      {q.filters.length > 0 && (
        <ul class="chips" aria-label="Filters">
          {q.filters.map((f) => {
            const text = filterText(f, queues, fleets);
            return (
              <li class="chip" key={`${f.field}:${f.value}`} data-filter={`${f.field}:${f.value}`}>
                {text}
                <button type="button" class="icon" aria-label={`Remove the filter ${text}`} onClick={() => onChange(q.filters.filter((g) => g !== f))}>×</button>
              </li>
            );
          })}
        </ul>
      )}
      <div class="filter-add">
        <label for="filter-field" class="visually-hidden">Filter by</label>
        <select id="filter-field" value={field} onChange={(e) => { setField(e.currentTarget.value); setValue(''); }}>
          {GROUP_BY_FIELDS.map((f) => <option value={f} key={f}>{FIELD_TITLE[f]}</option>)}
        </select>
        <label for="filter-value" class="visually-hidden">Value</label>
        {choices ? (
          <select id="filter-value" value={picked} onChange={(e) => setValue(e.currentTarget.value)}>
            {choices.map((c) => <option value={c.id} key={c.id}>{c.name}</option>)}
          </select>
        ) : (
          <input
            id="filter-value" type="text" value={value} placeholder={field === 'JOB_ID' ? 'job ID' : 'value'} autocomplete="off" spellcheck={false}
            onInput={(e) => setValue(e.currentTarget.value)} onKeyDown={(e) => { if (e.key === 'Enter') { e.preventDefault(); add(); } }}
          />
        )}
        <button type="button" id="add-filter" disabled={noRoom || !picked.trim()} onClick={add}>Add</button>
      </div>
      {noRoom && <p class="muted" id="filter-room">{filterRoomText(next, maxGroupBy)}</p>}
    </fieldset>
  );
}
