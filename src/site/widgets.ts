/**
 * The live simulator widget on chapter pages. Until the simulator and its SVG renderers are
 * bundled, markers stay as they are and no widget script is shipped.
 */
import type { Chapter } from "./chapter.js";
import type { Asset } from "./assets.js";

export interface PreparedWidgets {
  readonly chapters: readonly Chapter[];
  readonly assets: readonly Asset[];
}

export async function prepareWidgets(chapters: readonly Chapter[]): Promise<PreparedWidgets> {
  return { chapters, assets: [] };
}
