/**
 * The tutorial site (Node only; not part of the pure core): executed notebooks rendered to a
 * static site, and a loopback-only server for it. See docs/architecture.md, "src/site".
 */
export { buildSite, defaultNotebooks, SiteBuildError, DEFAULT_OUT_DIR, DEFAULT_EXECUTED_DIR } from "./build.js";
export type { SiteBuildOptions, SiteBuildResult, PageReport, ChapterSummary } from "./build.js";
export { serveSite, resolveRequestPath, ServeError, DEFAULT_PORT, HOST, CONTENT_TYPES } from "./serve.js";
export type { ServeOptions, RunningServer, Resolution } from "./serve.js";
export { renderChapter, chapterSlug } from "./chapter.js";
export type { Chapter, SearchSection } from "./chapter.js";
export { DEFAULT_WIDGET_PRESETS } from "./widget-marker.js";
