/**
 * The live simulator widget is placed by a marker in a chapter's output:
 *
 *   tslab.display.html('<div data-tcp-widget="four-way-close"></div>')
 *
 * The value is the preset the widget opens with. The site fills an empty marker with the
 * static SVG ladder of that preset (what a reader without JavaScript sees), and the page's
 * widget script turns it into the live widget. Chapters 01–04 that carry no marker get one
 * after their first markdown cell, with the preset below.
 */
export const DEFAULT_WIDGET_PRESETS: Readonly<Record<string, string>> = {
  "01": "four-way-close",
  "02": "three-way-close",
  "03": "simultaneous-close",
  "04": "lost-final-ack",
};

const MARKER = /<div\b[^>]*\bdata-tcp-widget="([A-Za-z0-9_-]+)"[^>]*>/g;

export function findWidgets(html: string): string[] {
  return [...html.matchAll(MARKER)].map((m) => m[1]!);
}

export function markerHtml(preset: string, fallback: string): string {
  return `<div class="tcp-widget" data-tcp-widget="${preset}">${fallback}</div>`;
}
