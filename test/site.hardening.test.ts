/**
 * Defects 5 and 10 of the reliability review (../shared/reviews/reliability-review.md):
 *   5. `site build` deleted files outside --out named in an existing .site-manifest.json;
 *      now nothing is written or deleted outside --out, whatever the manifest says.
 *  10. bad output paths for `site build` (--out, --executed) and `notebooks run --out` gave
 *      stack traces; now one line, exit 2, naming the option, the path and what was expected.
 * (Defect 1, the server's descriptor leak, is in test/site.serve.test.ts.)
 */
import { describe, expect, it, beforeAll, afterAll } from "vitest";
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { buildSite, SiteBuildError } from "../src/site/build.js";
import { excerpt, manifestEntryProblem, MANIFEST_PATH_MAX } from "../src/site/manifest.js";
import { outputFolderProblem, runNotebooks } from "../src/notebook/runner.js";

const FIXTURES = "test/fixtures/site/notebooks";
const fixtureNotebooks = readdirSync(FIXTURES).filter((f) => f.endsWith(".ipynb")).sort().map((f) => join(FIXTURES, f));
const PASSING = "test/fixtures/notebooks/passing.ipynb";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "site-hardening-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

function cli(args: readonly string[], opts: { asNobody?: boolean } = {}): Promise<Run> {
  const command = opts.asNobody ? "setpriv" : process.execPath;
  const argv = opts.asNobody
    ? ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "dist/cli/main.js", ...args]
    : ["dist/cli/main.js", ...args];
  return new Promise((resolve) => {
    const child = spawn(command, argv, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.on("exit", (code) => resolve({ code, out, err }));
  });
}

/** A fresh folder under the test's temporary one. */
function fresh(name: string): string {
  const path = join(dir, name);
  mkdirSync(path, { recursive: true });
  return path;
}

describe("manifest entries (defect 5)", () => {
  it("accepts plain relative paths and names what is wrong with every other kind", () => {
    const cases: Array<[unknown, string | null]> = [
      ["index.html", null],
      ["notebooks/01-x.ipynb", null],
      ["assets/widgets/a.js", null],
      ["../victim.txt", "has a '..' segment (leaves the output folder)"],
      ["a/../../victim.txt", "has a '..' segment (leaves the output folder)"],
      ["a/..", "has a '..' segment (leaves the output folder)"],
      ["/etc/passwd", "is an absolute path"],
      ["//etc/passwd", "is an absolute path"],
      ["./index.html", "is not a normalised path (empty or '.' segment)"],
      ["a//b", "is not a normalised path (empty or '.' segment)"],
      ["assets/", "is not a normalised path (empty or '.' segment)"],
      [".", "is not a normalised path (empty or '.' segment)"],
      ["..\\victim.txt", "contains NUL or a backslash"],
      ["a\0b", "contains NUL or a backslash"],
      ["", "expected a path, got an empty string"],
      ["x".repeat(MANIFEST_PATH_MAX + 1), `longer than ${MANIFEST_PATH_MAX} characters`],
      [3, "expected a string"],
      [null, "expected a string"],
      [{ path: "x" }, "expected a string"],
    ];
    for (const [entry, problem] of cases) expect(manifestEntryProblem(entry), JSON.stringify(entry)?.slice(0, 40)).toBe(problem);
  });

  it("quotes at most 60 characters of a bad entry", () => {
    expect(excerpt("../victim.txt")).toBe(`"../victim.txt"`);
    expect(excerpt(`../${"a".repeat(100)}`)).toBe(`"../${"a".repeat(57)}…"`);
    expect(excerpt(3)).toBe("3");
    expect(excerpt(["x".repeat(100)])).toBe(`["${"x".repeat(58)}…`);
  });
});

describe("site build never deletes or writes outside --out (defect 5)", () => {
  it("the review's reproduction: a manifest naming ../victim.txt — the victim survives, with a warning", async () => {
    const sandbox = fresh("repro");
    const out = join(sandbox, "out");
    mkdirSync(out);
    writeFileSync(join(sandbox, "victim.txt"), "precious\n");
    writeFileSync(join(out, ".site-manifest.json"), `{"files":["../victim.txt"],"key":"x","chapters":[],"sizes":{}}\n`);
    const run = await cli(["site", "build", "--no-execute", "--out", out, FIXTURES]);
    expect(run.code).toBe(0);
    expect(readFileSync(join(sandbox, "victim.txt"), "utf8")).toBe("precious\n");
    expect(run.err).toContain(`site: warning: ${out}/.site-manifest.json: files[0] "../victim.txt" has a '..' segment (leaves the output folder): ignored (not deleted)\n`);
    // The site was built, and its new manifest lists only its own files.
    const manifest = JSON.parse(readFileSync(join(out, ".site-manifest.json"), "utf8")) as { files: string[] };
    expect(manifest.files).toContain("index.html");
    expect(manifest.files.filter((f) => manifestEntryProblem(f) !== null)).toEqual([]);
  }, 60_000);

  it("every other way out: absolute, nested .., a NUL, a backslash, a non-string — all skipped, one warning each", async () => {
    const sandbox = fresh("forms");
    const out = join(sandbox, "out");
    mkdirSync(out);
    const victim = join(sandbox, "victim.txt");
    writeFileSync(victim, "precious\n");
    const entries = [victim, "sub/../../victim.txt", "./../victim.txt", "..\\victim.txt", "x\0/../../victim.txt", 42];
    writeFileSync(join(out, ".site-manifest.json"), JSON.stringify({ files: entries }));
    const lines: string[] = [];
    await buildSite({ notebooks: fixtureNotebooks, outDir: out, execute: false, log: (l) => lines.push(l) });
    expect(readFileSync(victim, "utf8")).toBe("precious\n");
    expect(lines.filter((l) => l.startsWith("site: warning:"))).toHaveLength(entries.length);
  }, 60_000);

  it("an entry reached through a symbolic link inside --out is not deleted", async () => {
    const sandbox = fresh("link-delete");
    const out = join(sandbox, "out");
    mkdirSync(out);
    const elsewhere = fresh("link-delete/elsewhere");
    writeFileSync(join(elsewhere, "victim.txt"), "precious\n");
    symlinkSync(elsewhere, join(out, "linked"));
    writeFileSync(join(out, ".site-manifest.json"), JSON.stringify({ files: ["linked/victim.txt"] }));
    const lines: string[] = [];
    await buildSite({ notebooks: fixtureNotebooks, outDir: out, execute: false, log: (l) => lines.push(l) });
    expect(readFileSync(join(elsewhere, "victim.txt"), "utf8")).toBe("precious\n");
    expect(lines).toContain(`site: warning: ${out}/.site-manifest.json: "linked/victim.txt" not deleted: ${out}/linked is a symbolic link`);
  }, 60_000);

  it("a file the last build wrote and this one does not is still removed (and a folder entry is not)", async () => {
    const out = join(fresh("stale"), "out");
    await buildSite({ notebooks: fixtureNotebooks, outDir: out, execute: false });
    writeFileSync(join(out, "old-chapter.html"), "stale");
    mkdirSync(join(out, "old-folder"));
    const manifestPath = join(out, ".site-manifest.json");
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { files: string[]; key: string };
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, key: "changed", files: [...manifest.files, "old-chapter.html", "old-folder"] }));
    const lines: string[] = [];
    await buildSite({ notebooks: fixtureNotebooks, outDir: out, execute: false, log: (l) => lines.push(l) });
    expect(existsSync(join(out, "old-chapter.html"))).toBe(false);
    expect(existsSync(join(out, "old-folder"))).toBe(true);
    expect(lines).toContain(`site: warning: ${manifestPath}: "old-folder" not deleted: it is a folder`);
  }, 60_000);

  it("refuses to write through a symbolic link inside --out: a linked folder or a linked file", async () => {
    // A folder the build writes into (assets/) is a link to a folder outside.
    const out1 = join(fresh("link-write-dir"), "out");
    mkdirSync(out1);
    const outside = fresh("link-write-dir/outside");
    symlinkSync(outside, join(out1, "assets"));
    writeFileSync(join(out1, ".site-manifest.json"), JSON.stringify({ files: [] }));
    const linkedDir = buildSite({ notebooks: fixtureNotebooks, outDir: out1, execute: false });
    await expect(linkedDir).rejects.toThrow(SiteBuildError);
    await expect(linkedDir).rejects.toThrow(`${out1}/assets is a symbolic link: refusing to write assets/site.css through it (site build writes only inside ${out1})`);
    expect(readdirSync(outside)).toEqual([]);

    // A page the build writes (index.html) is a link to a file outside.
    const out2 = join(fresh("link-write-file"), "out");
    mkdirSync(out2);
    const victim = join(dir, "link-write-file", "victim.html");
    writeFileSync(victim, "precious\n");
    symlinkSync(victim, join(out2, "index.html"));
    writeFileSync(join(out2, ".site-manifest.json"), JSON.stringify({ files: [] }));
    await expect(buildSite({ notebooks: fixtureNotebooks, outDir: out2, execute: false })).rejects.toThrow(
      `${out2}/index.html: expected a regular file or nothing, found a symbolic link: refusing to write through it`,
    );
    expect(readFileSync(victim, "utf8")).toBe("precious\n");
  }, 60_000);

  it("a manifest that is not a site build's refuses the build (exit 2) and touches nothing", async () => {
    const cases: Array<[string, (manifest: string) => void, string]> = [
      ["not-json", (m) => writeFileSync(m, "{files: oops"), "not valid JSON ("],
      ["no-files", (m) => writeFileSync(m, `{"key":"x"}`), `expected an object with a "files" list, got {"key":"x"}`],
      ["an-array", (m) => writeFileSync(m, `["../victim.txt"]`), `expected an object with a "files" list, got ["../victim.txt"]`],
      ["a-link", (m) => symlinkSync(join(dir, "victim-for-link.json"), m), "expected a regular file, found a symbolic link"],
      ["a-folder", (m) => mkdirSync(m), "expected a regular file"],
    ];
    writeFileSync(join(dir, "victim-for-link.json"), `{"files":["../victim.txt"]}`);
    for (const [name, make, reason] of cases) {
      const out = join(fresh(`bad-manifest-${name}`), "out");
      mkdirSync(out);
      writeFileSync(join(out, "mine.txt"), "mine\n");
      const manifest = join(out, ".site-manifest.json");
      make(manifest);
      const before = readdirSync(out).sort();
      const run = await cli(["site", "build", "--no-execute", "--out", out, FIXTURES]);
      expect(run.code, name).toBe(2);
      expect(run.err, name).toContain(`tcp-lifecycle: ${manifest}: ${reason}`);
      expect(run.err, name).toContain(`: refusing to write a site into ${out} (if it holds a site build, delete the manifest and the folder's contents)\n`);
      expect(run.err.split("\n").filter(Boolean), name).toHaveLength(1);
      expect(readdirSync(out).sort(), name).toEqual(before);
      expect(readFileSync(join(out, "mine.txt"), "utf8")).toBe("mine\n");
    }
    expect(readFileSync(join(dir, "victim-for-link.json"), "utf8")).toBe(`{"files":["../victim.txt"]}`);
  }, 120_000);

  it("writes the manifest as a whole file renamed into place, never through a link at its temporary name", async () => {
    const out = join(fresh("manifest-tmp"), "out");
    mkdirSync(out);
    const victim = join(dir, "manifest-tmp", "victim.txt");
    writeFileSync(victim, "precious\n");
    writeFileSync(join(out, ".site-manifest.json"), JSON.stringify({ files: [] }));
    symlinkSync(victim, join(out, ".site-manifest.json.tmp"));
    await buildSite({ notebooks: fixtureNotebooks, outDir: out, execute: false });
    expect(readFileSync(victim, "utf8")).toBe("precious\n");
    expect(existsSync(join(out, ".site-manifest.json.tmp"))).toBe(false);
    expect(lstatSync(join(out, ".site-manifest.json")).isFile()).toBe(true);
  }, 60_000);
});

describe("bad output paths are one line, exit 2 (defect 10)", () => {
  let file: string;
  beforeAll(() => {
    file = join(dir, "a-file.txt");
    writeFileSync(file, "not a folder\n");
  });

  it("site build --out /dev/null | <file> | <file>/sub", async () => {
    const cases: Array<[string, string]> = [
      ["/dev/null", "tcp-lifecycle: --out: /dev/null exists and is not a folder\n"],
      [file, `tcp-lifecycle: --out: ${file} exists and is not a folder\n`],
      [join(file, "sub"), `tcp-lifecycle: --out: cannot create ${file}/sub: ${file} is not a folder\n`],
    ];
    for (const [out, message] of cases) {
      const run = await cli(["site", "build", "--no-execute", "--out", out, FIXTURES]);
      expect(run, out).toEqual({ code: 2, out: "", err: message });
    }
    expect(readFileSync(file, "utf8")).toBe("not a folder\n");
  }, 60_000);

  it("site build --executed /dev/null | <file>, checked before any notebook runs", async () => {
    const cases: Array<[string, string]> = [
      ["/dev/null", "tcp-lifecycle: --executed: /dev/null exists and is not a folder\n"],
      [file, `tcp-lifecycle: --executed: ${file} exists and is not a folder\n`],
    ];
    for (const [executed, message] of cases) {
      const out = join(dir, "executed-case-out");
      const run = await cli(["site", "build", "--out", out, "--executed", executed, PASSING]);
      expect(run, executed).toEqual({ code: 2, out: "", err: message });
      expect(existsSync(out)).toBe(false);
    }
  }, 60_000);

  it("notebooks run --out /dev/null | <file>", async () => {
    const cases: Array<[string, string]> = [
      ["/dev/null", "tcp-lifecycle: --out: /dev/null exists and is not a folder\n"],
      [file, `tcp-lifecycle: --out: ${file} exists and is not a folder\n`],
    ];
    for (const [out, message] of cases) {
      const run = await cli(["notebooks", "run", "--out", out, PASSING]);
      expect(run, out).toEqual({ code: 2, out: "", err: message });
    }
  }, 60_000);

  const root = process.getuid?.() === 0;
  const setpriv = spawnSync("setpriv", ["--version"]).status === 0;
  it.skipIf(!root || !setpriv)("as user nobody: a folder it cannot create or write into (needs root and setpriv)", async () => {
    // Like /root/x in the review: a folder only root may enter, and one nobody may enter but not write.
    const closed = fresh("closed");
    chmodSync(closed, 0o700);
    const readOnly = fresh("read-only");
    chmodSync(readOnly, 0o755);
    chmodSync(dir, 0o755);
    const cases: Array<[string[], string]> = [
      [["site", "build", "--no-execute", "--out", join(closed, "x"), FIXTURES], `tcp-lifecycle: --out: cannot create ${closed}/x: EACCES (permission denied)\n`],
      [["site", "build", "--no-execute", "--out", join(readOnly, "x"), FIXTURES], `tcp-lifecycle: --out: cannot create ${readOnly}/x: EACCES (permission denied) on ${readOnly}\n`],
      [["site", "build", "--no-execute", "--out", readOnly, FIXTURES], `tcp-lifecycle: --out: cannot write into ${readOnly}: EACCES (permission denied)\n`],
      [["notebooks", "run", "--out", join(closed, "x"), PASSING], `tcp-lifecycle: --out: cannot create ${closed}/x: EACCES (permission denied)\n`],
    ];
    for (const [args, message] of cases) {
      const run = await cli(args, { asNobody: true });
      expect(run, args.join(" ")).toEqual({ code: 2, out: "", err: message });
    }
    expect(readdirSync(readOnly)).toEqual([]);
  }, 60_000);

  it("the library calls refuse the same paths with their own errors", async () => {
    expect(outputFolderProblem("/dev/null")).toBe("/dev/null exists and is not a folder");
    expect(outputFolderProblem(join(dir, "new", "deeper"))).toBe(null);
    expect(outputFolderProblem(dir)).toBe(null);
    await expect(buildSite({ notebooks: fixtureNotebooks, outDir: file, execute: false })).rejects.toThrow(
      new SiteBuildError(`output folder: ${file} exists and is not a folder`),
    );
    await expect(buildSite({ notebooks: fixtureNotebooks, outDir: join(dir, "lib-out"), executedDir: "/dev/null" })).rejects.toThrow(
      new SiteBuildError("executed-notebooks folder: /dev/null exists and is not a folder"),
    );
    await expect(runNotebooks([PASSING], { outDir: file })).rejects.toThrow(`runNotebooks: ${file} exists and is not a folder`);
  });
});

describe("site build: a notebook nested too deep (defect 9, --no-execute path)", () => {
  it("is one line, exit 2, naming file, line and column; no stack trace", async () => {
    const { execFileSync: run } = await import("node:child_process");
    const { mkdtempSync: mk, writeFileSync: write, rmSync: rm } = await import("node:fs");
    const { tmpdir: tmp } = await import("node:os");
    const { join: j } = await import("node:path");
    const dir = mk(j(tmp(), "tcp-lifecycle-deep-"));
    try {
      const file = j(dir, "deep.ipynb");
      write(file, `{"cells":[{"cell_type":"code","source":"1","metadata":{"x":${"[".repeat(100_000)}${"]".repeat(100_000)}},"outputs":[],"execution_count":null}],"metadata":{},"nbformat":4,"nbformat_minor":5}`);
      const cli = j(import.meta.dirname, "..", "dist", "cli", "main.js");
      let out: { status: number | null; stderr: string } = { status: 0, stderr: "" };
      try {
        run(process.execPath, [cli, "site", "build", file, "--no-execute", "--out", j(dir, "out")], { encoding: "utf8", stdio: "pipe" });
      } catch (e) {
        out = e as { status: number; stderr: string };
      }
      expect(out.status).toBe(2);
      expect(out.stderr.split("\n")).toEqual([`tcp-lifecycle: ${file}:1:${"{\"cells\":[{\"cell_type\":\"code\",\"source\":\"1\",\"metadata\":{\"x\":".length + 257 - 4}: arrays and objects nested more than 256 levels deep (see docs/limits.md)`, ""]);
    } finally {
      rm(dir, { recursive: true, force: true });
    }
  });
});
