/**
 * Outbound references (src/site/references.ts): RFC sections and kernel identifiers link to
 * their sources, never inside code blocks, links or headings, and each page lists its sources.
 */
import { describe, expect, it } from "vitest";
import { createMarkdown, renderMarkdown } from "../src/site/markdown.js";
import { kernelHref, pageSources, renderSources, rfcHref } from "../src/site/references.js";

const md = createMarkdown({ references: true });
const render = (src: string, env: Record<string, unknown> = {}): string => renderMarkdown(md, src, env).html;

describe("RFC citations", () => {
  it("links a section of a named RFC, a bare § (RFC 9293's) and a whole RFC", () => {
    const html = render("RFC 1122 §4.2.2.13 is the origin; §3.10.7.4 says so; see RFC 5961.");
    expect(html).toContain(`<a href="${rfcHref(1122, "4.2.2.13")}">RFC 1122 §4.2.2.13</a>`);
    expect(html).toContain(`<a href="https://www.rfc-editor.org/rfc/rfc9293.html#section-3.10.7.4">§3.10.7.4</a>`);
    expect(html).toContain(`<a href="https://www.rfc-editor.org/rfc/rfc5961.html">RFC 5961</a>`);
  });

  it("links each source at its first citation on the page only", () => {
    const env: Record<string, unknown> = {};
    const html = render("§3.6 first, §3.6 again.", env) + render("And §3.6 in another cell.", env);
    expect(html.match(/rfc-editor/g)).toHaveLength(1);
  });

  it("leaves code, existing links and headings alone", () => {
    expect(render("`RFC 9293 §3.6`")).not.toContain("rfc-editor");
    expect(render("```\n§3.6\n```")).not.toContain("rfc-editor");
    expect(render("[see §3.6](https://example.org/)")).not.toContain("rfc-editor");
    expect(render("## Why §3.6 matters")).not.toContain("rfc-editor");
  });
});

describe("kernel identifiers", () => {
  it("links functions and constants in inline code to elixir.bootlin.com, not other code", () => {
    const html = render("`tcp_fin()` and `__tcp_close()` use `TCP_TIMEWAIT_LEN`; `ss -tan` and `close()` are not kernel identifiers.");
    expect(html).toContain(`<a href="${kernelHref("tcp_fin()")}"><code>tcp_fin()</code></a>`);
    expect(kernelHref("tcp_fin()")).toBe("https://elixir.bootlin.com/linux/latest/A/ident/tcp_fin");
    expect(html).toContain(`<a href="https://elixir.bootlin.com/linux/latest/A/ident/__tcp_close"`);
    expect(html).toContain(`<a href="https://elixir.bootlin.com/linux/latest/A/ident/TCP_TIMEWAIT_LEN"`);
    expect(html).not.toContain("ident/close");
    expect(html).toContain("<code>ss -tan</code>");
  });
});

describe("a page's Sources", () => {
  it("collects every reference once across the page's cells, RFCs in number order, then the kernel", () => {
    const env: Record<string, unknown> = {};
    render("§3.6 and `tcp_fin()`", env);
    render("RFC 1337, §3.6 again, RFC 793 §3.5", env);
    expect([...pageSources(env).values()]).toEqual(["RFC 9293 §3.6", "Linux: tcp_fin()", "RFC 1337", "RFC 793 §3.5"]);
    const html = renderSources(pageSources(env));
    const lines = [...html.matchAll(/<li>(.*?)<\/li>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, ""));
    expect(lines).toEqual(["RFC 793: §3.5", "RFC 1337: RFC 1337", "RFC 9293: §3.6", "Linux: tcp_fin()"]);
    expect(html).toContain(`<a href="${rfcHref(793, "3.5")}">§3.5</a>`);
    expect(html).toContain('<h2 id="sources">Sources</h2>');
    expect(renderSources(new Map())).toBe("");
  });
});
