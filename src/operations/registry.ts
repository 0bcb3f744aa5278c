// Every API operation farmtally serves. The wire layer makes one route of each (of those not
// marked `extension` only, under --strict); sigv4 grants name each as deadline:<name>.
import { createBackup } from './backup/create-backup.js';
import { createBudget } from './budgets/create-budget.js';
import { deleteBudget } from './budgets/delete-budget.js';
import { getBudget } from './budgets/get-budget.js';
import { listBudgets } from './budgets/list-budgets.js';
import { updateBudget } from './budgets/update-budget.js';
import { createFarm } from './farms/create-farm.js';
import { deleteFarm } from './farms/delete-farm.js';
import { getFarm } from './farms/get-farm.js';
import { listFarms } from './farms/list-farms.js';
import { updateFarm } from './farms/update-farm.js';
import { createFleet } from './fleets/create-fleet.js';
import { deleteFleet } from './fleets/delete-fleet.js';
import { getFleet } from './fleets/get-fleet.js';
import { listFleets } from './fleets/list-fleets.js';
import { getJob } from './jobs/get-job.js';
import { listJobs } from './jobs/list-jobs.js';
import type { AnyOperation } from './operation.js';
import { createQueue } from './queues/create-queue.js';
import { deleteQueue } from './queues/delete-queue.js';
import { getQueue } from './queues/get-queue.js';
import { listQueues } from './queues/list-queues.js';
import { updateQueue } from './queues/update-queue.js';
import { deleteSessions } from './sessions/delete-sessions.js';
import { getSession } from './sessions/get-session.js';
import { ingestSessions } from './sessions/ingest-sessions.js';
import { listRunningSessions } from './sessions/list-running-sessions.js';
import { listSessions } from './sessions/list-sessions.js';
import { getSessionsStatisticsAggregation } from './statistics/get-sessions-statistics-aggregation.js';
import { startSessionsStatisticsAggregation } from './statistics/start-sessions-statistics-aggregation.js';
import { forgetUser } from './users/forget-user.js';

export const OPERATIONS: readonly AnyOperation[] = [
  createFarm,
  getFarm,
  listFarms,
  updateFarm,
  deleteFarm,
  createQueue,
  getQueue,
  listQueues,
  updateQueue,
  deleteQueue,
  createFleet,
  getFleet,
  listFleets,
  deleteFleet,
  createBudget,
  getBudget,
  listBudgets,
  updateBudget,
  deleteBudget,
  getJob,
  listJobs,
  getSession,
  listSessions,
  ingestSessions,
  deleteSessions,
  forgetUser,
  listRunningSessions,
  startSessionsStatisticsAggregation,
  getSessionsStatisticsAggregation,
  createBackup,
];
