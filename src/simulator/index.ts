export { planTraffic, PLAN_LIMITS, type MessageKind, type PlanOptions, type SimulatedMessage } from './plan.ts';
export { sendTraffic, type SendOptions, type SendResult } from './send.ts';
export { summarizePlan, type PlanSummary } from './summary.ts';
export { SIMULATOR_SOURCES, type SimulatorSource } from './sources.ts';
export type { KnownPatient } from './people.ts';
