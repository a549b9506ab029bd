/**
 * Notebooks type-check the package's dist/*.d.ts with tslab's bundled TypeScript (5.0.4,
 * node10 resolution), while the package is compiled with TypeScript 7: every declaration
 * file reachable from dist/index.d.ts must be valid for TypeScript 5.0.
 */
import { describe, expect, it } from "vitest";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import type * as TS from "typescript";

const require = createRequire(import.meta.url);
const ts = require("@tslab/typescript-for-tslab") as typeof TS;
const dist = resolve("dist");

describe("the build's declarations under tslab's TypeScript", () => {
  it("uses TypeScript 5.0", () => {
    expect(ts.version).toMatch(/^5\.0\./);
  });

  it("has no errors in any .d.ts reachable from dist/index.d.ts", () => {
    const program = ts.createProgram([resolve(dist, "index.d.ts")], {
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      target: ts.ScriptTarget.ES2022,
      lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
      esModuleInterop: true,
      noEmit: true,
      types: ["node"],
    });
    const ours = program.getSourceFiles().filter((sf) => sf.fileName.startsWith(dist + "/"));
    expect(ours.length).toBeGreaterThan(1);
    const diagnostics = ours.flatMap((sf) => [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]);
    const text = ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => process.cwd(), getNewLine: () => "\n" });
    expect(text).toBe("");
  });
});
