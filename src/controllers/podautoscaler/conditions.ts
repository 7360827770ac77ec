/**
 * The three conditions an HPA reports (AbleToScale, ScalingActive,
 * ScalingLimited) and how they are set: in place, keeping their order, the
 * transition time moving only when the status changes — as upstream's
 * setConditionInList, so `kubectl describe` reads the same.
 */
import { timestamp } from '../util/time.js';

export type ConditionType = 'AbleToScale' | 'ScalingActive' | 'ScalingLimited';
export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface HpaCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/** A condition to be set later (the first failing metric's, chosen before it is applied). */
export interface ProposedCondition {
  type: ConditionType;
  status: ConditionStatus;
  reason: string;
  message: string;
}

/** Sets one condition in the list (appending it when absent) and returns the list. */
export function setCondition(
  conditions: HpaCondition[],
  type: ConditionType,
  status: ConditionStatus,
  reason: string,
  message: string,
  now: Date,
): HpaCondition[] {
  let existing = conditions.find((condition) => condition.type === type);
  if (!existing) {
    existing = { type, status: '' };
    conditions.push(existing);
  }
  if (existing.status !== status) existing.lastTransitionTime = timestamp(now);
  existing.status = status;
  existing.reason = reason;
  existing.message = message;
  return conditions;
}
