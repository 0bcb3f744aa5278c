// The pickers' lists: the farms, and the queues and fleets of the farm picked (each farm's
// read once per page load, kept for going back to it).
import type { DeadlineClient } from '@aws-sdk/client-deadline';
import { useRef, useState } from 'preact/hooks';
import { listFleets, listQueues, type Named } from '../api.js';
import { describeError, type Problem } from '../errors.js';
import { MAX_AGGREGATION_RESOURCES, type ResourceKind } from '../query.js';

export interface Lists {
  farm: string;
  queues: Named[];
  fleets: Named[];
}

/** The queues or fleets a query takes when it names none: the first ones the API allows, in the picker's order. */
export const defaultIds = (lists: Lists | undefined, kind: ResourceKind) =>
  (lists ? (kind === 'queues' ? lists.queues : lists.fleets).slice(0, MAX_AGGREGATION_RESOURCES).map((i) => i.id) : []);

export function useLists(showProblem: (problem: Problem) => void) {
  const [farms, setFarms] = useState<Named[] | null>(null);
  const [lists, setLists] = useState<Lists>({ farm: '', queues: [], fleets: [] });
  const cache = useRef(new Map<string, Lists>());

  /** The farm's queues and fleets, now the pickers' lists; undefined (the problem shown) when they could not be read. */
  async function loadLists(c: DeadlineClient, farm: string): Promise<Lists | undefined> {
    if (!farm) return undefined;
    const known = cache.current.get(farm);
    if (known) {
      setLists(known);
      return known;
    }
    try {
      const [queues, fleets] = await Promise.all([listQueues(c, farm), listFleets(c, farm)]);
      const loaded = { farm, queues, fleets };
      cache.current.set(farm, loaded);
      setLists(loaded);
      return loaded;
    } catch (err) {
      const problem = describeError(err);
      if (!problem.auth) problem.fields = { farm: `${problem.fields.farm ?? problem.fields.general ?? ''} Pick a farm from the list.`.trim() };
      showProblem(problem);
      return undefined;
    }
  }

  return { farms, setFarms, lists, loadLists };
}
