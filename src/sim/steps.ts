/**
 * When the application's steps run: at a clock time, or once after a trigger (the
 * connection became established, the peer's FIN or data arrived, the connection closed).
 * What a step does is in ./application.ts.
 */
import type { Scenario, Step, Trigger } from "./scenario.js";
import type { Endpoint } from "./endpoint.js";
import type { Simulation } from "./simulation.js";
import { K_STEP, us } from "./clock.js";


export const TRIGGER_INDEX: Record<Trigger, number> = { established: 0, eof: 1, data: 2, closed: 3 };

/** Step indices, one list per trigger (see TRIGGER_INDEX). */
export type Waiting = readonly (readonly number[])[];
const WAITING = new WeakMap<Scenario, readonly [Waiting, Waiting]>();

/** Each side's triggered steps, by trigger: computed once per scenario, not once per run. */
export function waitingLists(sc: Scenario): readonly [Waiting, Waiting] {
  let w = WAITING.get(sc);
  if (w === undefined) {
    const of = (steps: readonly Step[]): Waiting => {
      const lists: number[][] = [[], [], [], []];
      steps.forEach((s, i) => {
        if (s.on !== undefined) lists[TRIGGER_INDEX[s.on]]!.push(i);
      });
      return lists;
    };
    w = [of(sc.steps.client), of(sc.steps.server)];
    WAITING.set(sc, w);
  }
  return w;
}

/** Put every step with a clock time (`at`) on the agenda. */
export function scheduleTimedSteps(sim: Simulation): void {
  for (const ep of sim.eps) {
    const steps = ep.steps;
    for (let i = 0; i < steps.length; i++) {
      const at = steps[i]!.at;
      if (at !== undefined) sim.q.push(us(at), K_STEP, ep.id, i);
    }
  }
}

/** Schedule the steps waiting for `which` (a TRIGGER_INDEX) that have not been scheduled yet. */
export function trigger(sim: Simulation, ep: Endpoint, which: number): void {
  const list = ep.waiting[which]!;
  if (list.length === 0) return;
  const scheduled = ep.scheduled ??= ep.steps.map(() => false);
  for (let i = 0; i < list.length; i++) {
    const idx = list[i]!;
    if (scheduled[idx]) continue;
    scheduled[idx] = true;
    sim.q.push(sim.now + us(ep.steps[idx]!.after), K_STEP, ep.id, idx);
  }
}
