// The decision core's public face: the shell calls these four functions and nothing else.

export { initialState } from './state.js';
export type { CoreState } from './state.js';
export { step } from './step.js';
export type { StepResult } from './step.js';
export { resume } from './resume.js';
export { describe } from './describe.js';
export type { StatusView, SwitchView, ChargerView, BoostSwitchView, AlarmView, PendingView } from './describe.js';
export type { SwitchSignal } from './signal.js';
export type { Claim, ClaimSource } from './claims.js';
export type * from './types.js';
