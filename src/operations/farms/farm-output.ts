import type { Farm } from '../../domain/resources.js';
import { audit } from '../support.js';

export const farmSummary = (f: Farm) => ({ farmId: f.farmId, displayName: f.displayName, kmsKeyArn: f.kmsKeyArn, ...audit(f) });
export const farmDetail = (f: Farm) => ({ ...farmSummary(f), description: f.description, costScaleFactor: f.costScaleFactor });
