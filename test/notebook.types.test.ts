/**
 * Notebooks type-check the package's dist/*.d.ts with tslab's bundled TypeScript (5.0.4,
 * node10 resolution, skipLibCheck), while the package is compiled with TypeScript 7: every
 * declaration file reachable from dist/index.d.ts must parse under TypeScript 5.0, and an
 * import of the whole package must type-check in tslab's own converter.
 */
import { describe, expect, it } from "vitest";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import type * as TS from "typescript";

const require = createRequire(import.meta.url);
const ts = require("@tslab/typescript-for-tslab") as typeof TS;
const { createConverter } = require("tslab/dist/converter") as {
  createConverter(o: object): { convert(prev: string, src: string): { diagnostics: { messageText: string; start: { line: number } }[] }; close(): void };
};
const dist = resolve("dist");
const host = { getCanonicalFileName: (f: string) => f, getCurrentDirectory: () => process.cwd(), getNewLine: () => "\n" };

describe("the build's declarations under tslab's TypeScript", () => {
  it("uses TypeScript 5.0", () => {
    expect(ts.version).toMatch(/^5\.0\./);
  });

  it("parses every .d.ts reachable from dist/index.d.ts", () => {
    const program = ts.createProgram([resolve(dist, "index.d.ts")], {
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      target: ts.ScriptTarget.ES2022,
      noEmit: true,
      types: ["node"],
    });
    const ours = program.getSourceFiles().filter((sf) => sf.fileName.startsWith(dist + "/"));
    expect(ours.length).toBeGreaterThan(1);
    expect(ts.formatDiagnostics(ours.flatMap((sf) => program.getSyntacticDiagnostics(sf)), host)).toBe("");
  });

  it("type-checks a notebook cell that imports the whole package", () => {
    const converter = createConverter({});
    try {
      const src = [
        'import * as lib from "tcp-lifecycle";',
        'import { STATES, decide } from "tcp-lifecycle";',
        "const names: string[] = Object.keys(lib);",
        "const first: string = STATES[0];",
        "typeof decide;",
      ].join("\n");
      const { diagnostics } = converter.convert("", src);
      expect(diagnostics.map((d) => `${d.start.line + 1}: ${d.messageText}`)).toEqual([]);
    } finally {
      converter.close();
    }
  });
});
