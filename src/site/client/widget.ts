/**
 * The live simulator widget. Each `<div data-tcp-widget="preset">` on the page (which holds
 * the static SVG ladder for readers without JavaScript) becomes: a preset picker, step
 * forward/back through the segments, "lose this segment" (the simulator runs again with a
 * drop rule, so the retransmission and the state changes are the simulator's own), the
 * ladder with the current segment marked, and the state diagram with each side's state.
 * Everything runs in the page: the pure core (fsm, sim, render) is bundled in.
 */
import { PRESETS, PRESET_NAMES, isPresetName, scenarioOf, simulate } from "../../sim/index.js";
import type { LinkRule, PresetName, Trace } from "../../sim/index.js";
import { renderSvgLadder } from "../../render/svg-ladder.js";
import { renderStateDiagram } from "../../render/state-diagram.js";
import { relativeNumbers, segmentLabel } from "../../render/ladder-events.js";
import { dropRuleFor, segmentsOf, widgetSteps, withRules } from "./widget-model.js";
import type { WidgetStep } from "./widget-model.js";

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

let widgetCount = 0;

class Widget {
  private preset: PresetName;
  private drops: LinkRule[] = [];
  private trace!: Trace;
  private steps: WidgetStep[] = [];
  private step = 0;
  private readonly id = `w${++widgetCount}`;
  private readonly presetSelect = el("select", { class: "tcp-widget-preset" });
  private readonly description = el("p", { class: "tcp-widget-description" });
  private readonly stepLabel = el("span", { class: "tcp-widget-step", "aria-live": "polite" });
  private readonly buttons: Record<"start" | "back" | "forward" | "end" | "drop" | "reset", HTMLButtonElement>;
  private readonly dropChoice = el("select", { class: "tcp-widget-drop-choice" });
  private readonly dropsNote = el("span", { class: "tcp-widget-drops" });
  private readonly stateOf = { client: el("strong", { "data-endpoint-state": "client" }), server: el("strong", { "data-endpoint-state": "server" }) };
  private readonly explain = el("ul", { class: "tcp-widget-explain" });
  private readonly ladder = el("figure", { class: "tcp-widget-ladder" });
  private readonly diagram = el("figure", { class: "tcp-widget-diagram" });

  constructor(private readonly root: HTMLElement, preset: PresetName) {
    this.preset = preset;
    // The accessible name is the visible word (WCAG 2.5.3, label in name); the arrows are
    // decoration, and the longer explanation is the title, which becomes the description.
    const button = (action: string, text: string, description: string, before = "", after = ""): HTMLButtonElement => {
      const b = el("button", { type: "button", "data-action": action, title: description });
      const arrow = (glyph: string): HTMLSpanElement => el("span", { "aria-hidden": "true" }, glyph);
      if (before !== "") b.append(arrow(before), " ");
      b.append(text);
      if (after !== "") b.append(" ", arrow(after));
      return b;
    };
    this.buttons = {
      start: button("start", "Start", "Back to the start", "«"),
      back: button("back", "Back", "Step back one segment", "◀"),
      forward: button("forward", "Forward", "Step forward one segment", "", "▶"),
      end: button("end", "End", "Go to the end", "", "»"),
      drop: button("drop", "Lose it", "Lose the chosen segment and run the simulator again"),
      reset: button("reset", "Reset", "Deliver every segment again"),
    };
    for (const name of PRESET_NAMES) {
      const option = el("option", { value: name }, PRESETS[name].title);
      if (name === preset) option.selected = true;
      this.presetSelect.append(option);
    }
    this.build();
    this.run();
  }

  private build(): void {
    const presetId = `${this.id}-preset`;
    const dropId = `${this.id}-drop`;
    const head = el("div", { class: "tcp-widget-head" });
    head.append(el("label", { for: presetId }, "Scenario "), this.presetSelect);
    this.presetSelect.id = presetId;
    const controls = el("div", { class: "tcp-widget-controls", role: "group", "aria-label": "Step through the segments" });
    controls.append(this.buttons.start, this.buttons.back, this.stepLabel, this.buttons.forward, this.buttons.end);
    const drop = el("div", { class: "tcp-widget-controls tcp-widget-drop", role: "group", "aria-label": "Lose a segment" });
    this.dropChoice.id = dropId;
    drop.append(el("label", { for: dropId }, "Segment "), this.dropChoice, this.buttons.drop, this.buttons.reset, this.dropsNote);
    const states = el("p", { class: "tcp-widget-states", "aria-live": "polite" });
    states.append(el("span", { class: "tcp-widget-swatch client", "aria-hidden": "true" }), "Client: ", this.stateOf.client, " ",
      el("span", { class: "tcp-widget-swatch server", "aria-hidden": "true" }), "Server: ", this.stateOf.server);
    const panes = el("div", { class: "tcp-widget-panes" });
    panes.append(this.ladder, this.diagram);
    this.root.replaceChildren(head, this.description, controls, drop, states, this.explain, panes);
    this.root.classList.add("live");

    this.presetSelect.addEventListener("change", () => {
      if (!isPresetName(this.presetSelect.value)) return;
      this.preset = this.presetSelect.value;
      this.drops = [];
      this.run();
    });
    this.buttons.start.addEventListener("click", () => this.show(0));
    this.buttons.back.addEventListener("click", () => this.show(this.step - 1));
    this.buttons.forward.addEventListener("click", () => this.show(this.step + 1));
    this.buttons.end.addEventListener("click", () => this.show(this.steps.length - 1));
    this.buttons.drop.addEventListener("click", () => this.dropChosen());
    this.buttons.reset.addEventListener("click", () => {
      this.drops = [];
      this.run();
    });
    this.ladder.addEventListener("click", (e) => {
      const seg = (e.target as Element).closest("g.segment");
      const index = Number(seg?.getAttribute("data-index"));
      if (seg && Number.isInteger(index)) this.show(index + 1);
    });
  }

  /** Run the simulator for the preset plus the reader's drops; keep the step when asked. */
  private run(keepStep?: number): void {
    const scenario = withRules(scenarioOf(this.preset), this.drops);
    this.trace = simulate(scenario);
    this.steps = widgetSteps(this.trace);
    this.description.textContent = PRESETS[this.preset].description;
    this.ladder.innerHTML = renderSvgLadder(this.trace, { idPrefix: `${this.id}-ladder`, title: `Ladder diagram: ${PRESETS[this.preset].title}` });
    this.diagram.innerHTML = renderStateDiagram({ idPrefix: `${this.id}-fsm`, title: "TCP state diagram, with each side's current state marked" });
    const segments = segmentsOf(this.trace);
    // The same numbering as the ladder beside it: relative to each side's ISN.
    const numbers = relativeNumbers(this.trace);
    this.dropChoice.replaceChildren(
      ...segments.map((s, i) => {
        const lost = s.dropped ? " (lost)" : "";
        const again = s.retransmission ? " (retransmission)" : "";
        const option = el("option", { value: String(i) }, `${i + 1}. ${s.from} → ${s.to}: ${segmentLabel(s, numbers)}${again}${lost}`);
        option.disabled = s.dropped;
        return option;
      }),
    );
    this.dropsNote.textContent = this.drops.length === 0 ? "" : `${this.drops.length} segment${this.drops.length === 1 ? "" : "s"} lost by you`;
    this.buttons.reset.disabled = this.drops.length === 0;
    this.show(keepStep ?? 0);
  }

  private dropChosen(): void {
    const index = Number(this.dropChoice.value);
    const segment = segmentsOf(this.trace)[index];
    if (segment === undefined || segment.dropped) return;
    this.drops.push(dropRuleFor(this.trace, index));
    this.run(index + 1);
  }

  private show(step: number): void {
    const last = this.steps.length - 1;
    this.step = Math.max(0, Math.min(step, last));
    const current = this.steps[this.step]!;
    this.stepLabel.textContent = `Segment ${this.step} of ${last}`;
    this.buttons.start.disabled = this.buttons.back.disabled = this.step === 0;
    this.buttons.forward.disabled = this.buttons.end.disabled = this.step === last;
    this.stateOf.client.textContent = current.states.client;
    this.stateOf.server.textContent = current.states.server;
    this.explain.replaceChildren(...current.explanation.map((line) => el("li", {}, line)));

    const seen = current.segment ?? -1;
    for (const g of Array.from(this.ladder.querySelectorAll("g.segment"))) {
      const i = Number(g.getAttribute("data-index"));
      g.classList.toggle("current", i === seen);
      g.classList.toggle("future", i > seen);
    }
    // The ladder writes its state changes in ladder order, the order the steps show them in,
    // so a change the step has not reached yet is dimmed even when it happens at the same
    // instant (the FIN that arrives with the ACK). Step 0 shows the initial states only.
    Array.from(this.ladder.querySelectorAll("g.state[data-t]")).forEach((g, k) => g.classList.toggle("future", k >= current.changes));
    for (const g of Array.from(this.diagram.querySelectorAll("g.node[data-state]"))) {
      const state = g.getAttribute("data-state");
      g.classList.toggle("is-client", state === current.states.client);
      g.classList.toggle("is-server", state === current.states.server);
    }
    if (current.segment !== null && this.dropChoice.options[current.segment] && !this.dropChoice.options[current.segment]!.disabled) {
      this.dropChoice.value = String(current.segment);
    }
  }
}

function start(): void {
  for (const root of Array.from(document.querySelectorAll<HTMLElement>("[data-tcp-widget]"))) {
    const preset = root.dataset.tcpWidget ?? "";
    if (!isPresetName(preset) || root.classList.contains("live")) continue;
    try {
      new Widget(root, preset);
    } catch (err) {
      // Keep the static ladder the page already shows.
      console.error(`tcp-lifecycle widget (${preset}) failed`, err);
    }
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
