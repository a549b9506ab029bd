/**
 * Search excerpts around the match (src/site/client/search-options.ts): the words around the
 * first match, cut at word boundaries, every match inside marked.
 */
import { describe, expect, it } from "vitest";
import { excerptAround, termPattern } from "../src/site/client/search-options.js";

const show = (parts: ReturnType<typeof excerptAround>): string => parts.map((p) => (p.mark ? `[${p.text}]` : p.text)).join("");

describe("excerptAround", () => {
  const prose = "The active closer waits in TIME_WAIT for 2MSL. " + "Filler words follow here. ".repeat(20) +
    "Linux keeps a TIME_WAIT socket for 60 s, whatever the MSL, and time_wait counts are shown by ss.";

  it("shows the words around the first match, with each match in the window marked", () => {
    const out = show(excerptAround(prose, ["time_wait"], 80));
    expect(out.startsWith("The active closer waits in [TIME_WAIT] for 2MSL.")).toBe(true);
    expect(out.endsWith("…")).toBe(true);
  });

  it("starts later when the match is late, at a word boundary, with an ellipsis", () => {
    const out = show(excerptAround(prose.slice(40), ["linux"], 80));
    expect(out).toMatch(/^…\S.* \[Linux\] keeps a TIME_WAIT/);
    expect(out.length).toBeLessThanOrEqual(80 + 2);
  });

  it("marks prefixes (the search matches them) and ignores case; no match gives the start", () => {
    expect(show(excerptAround("waiting in time_wait", ["time"]))).toBe("waiting in [time]_wait");
    expect(show(excerptAround("Nothing here matches.", ["syn"]))).toBe("Nothing here matches.");
    expect(termPattern([])).toBeNull();
    expect(termPattern([" ", ""])).toBeNull();
  });

  it("treats terms as text, not patterns", () => {
    expect(show(excerptAround("a.b and axb", ["a.b"]))).toBe("[a.b] and axb");
  });
});
