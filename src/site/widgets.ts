/**
 * The live simulator widget on chapter pages (see widget-marker.ts for how a chapter asks
 * for one). At build time: chapters 01–04 without a marker get one after their first
 * markdown cell; every empty marker is filled with the static SVG ladder of its preset (what
 * a reader without JavaScript sees); and the widget script is bundled from the pure core.
 */
import type { Chapter } from "./chapter.js";
import type { Asset } from "./assets.js";
import { bundleScript, clientEntry } from "./assets.js";
import { DEFAULT_WIDGET_PRESETS, findWidgets, markerHtml } from "./widget-marker.js";
import { isPresetName, simulate, PRESETS, PRESET_NAMES } from "../sim/index.js";
import { renderSvgLadder } from "../render/svg-ladder.js";

export interface PreparedWidgets {
  readonly chapters: readonly Chapter[];
  readonly assets: readonly Asset[];
}

export class WidgetMarkerError extends Error {
  override readonly name = "WidgetMarkerError";
}

const EMPTY_MARKER = /<div\b([^>]*\bdata-tcp-widget="([A-Za-z0-9_-]+)"[^>]*)><\/div>/g;

export function staticLadder(preset: string, n: number): string {
  if (!isPresetName(preset)) throw new WidgetMarkerError(`unknown widget preset "${preset}" (expected one of ${PRESET_NAMES.join(", ")})`);
  return renderSvgLadder(simulate(preset), { idPrefix: `static-ladder-${n}`, title: `Ladder diagram: ${PRESETS[preset].title}` });
}

export function withWidgets(chapter: Chapter): Chapter {
  let html = chapter.html;
  const preset = DEFAULT_WIDGET_PRESETS[chapter.number];
  if (findWidgets(html).length === 0 && preset !== undefined) {
    const marker = markerHtml(preset, "");
    const at = html.indexOf("</section>");
    html = at < 0 ? `${marker}\n${html}` : `${html.slice(0, at + "</section>".length)}\n${marker}${html.slice(at + "</section>".length)}`;
  }
  let n = 0;
  try {
    html = html.replace(EMPTY_MARKER, (_all, attrs: string, name: string) => {
      const cls = /\bclass="[^"]*\btcp-widget\b/.test(attrs) ? attrs
        : /\bclass="/.test(attrs) ? attrs.replace(/\bclass="/, `class="tcp-widget `) : `${attrs} class="tcp-widget"`;
      return `<div${cls}>${staticLadder(name, ++n)}</div>`;
    });
  } catch (err) {
    if (err instanceof WidgetMarkerError) throw new WidgetMarkerError(`${chapter.slug}: ${err.message}`);
    throw err;
  }
  return { ...chapter, html, widgets: findWidgets(html) };
}

export async function prepareWidgets(chapters: readonly Chapter[]): Promise<PreparedWidgets> {
  const prepared = chapters.map(withWidgets);
  const any = prepared.some((c) => c.widgets.length > 0);
  return { chapters: prepared, assets: any ? [await bundleScript(clientEntry("widget"), "assets/widget.js")] : [] };
}
