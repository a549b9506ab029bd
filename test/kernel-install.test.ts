/**
 * scripts/kernel-install.mjs (`npm run kernel:install`): without Jupyter it says what to
 * install; with Jupyter, `--prefix DIR` registers a kernel that runs this checkout's tslab.
 * Every run is confined to a temporary prefix, HOME and Jupyter data dir, so a test can never
 * write to the real user kernels directory.
 */
import { afterAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, sep } from "node:path";
import { toolGate } from "./support/tools.js";

const SCRIPT = "scripts/kernel-install.mjs";
const tmp = mkdtempSync(join(tmpdir(), "kernel-install-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the script with a throwaway HOME and JUPYTER_DATA_DIR, so --user could not reach the real ones either. */
function install(args: readonly string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const home = mkdtempSync(join(tmp, "home-"));
  const r = spawnSync(process.execPath, [SCRIPT, ...args], {
    encoding: "utf8",
    env: { ...process.env, HOME: home, JUPYTER_DATA_DIR: join(home, "jupyter"), PYDEVD_DISABLE_FILE_VALIDATION: "1", ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("npm run kernel:install", () => {
  it("without jupyter on PATH, exits non-zero and says what to install", () => {
    const emptyBin = join(tmp, "empty-bin");
    mkdirSync(emptyBin);
    const r = install(["--prefix", join(tmp, "never")], { PATH: emptyBin });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("kernel:install: Jupyter is not installed (no `jupyter` command on PATH).");
    expect(r.stderr).toContain("Debian/Ubuntu:  sudo apt-get install jupyter-notebook");
    expect(r.stderr).toContain("sudo apt-get install jupyter-nbconvert jupyter-client python3-nbclient python3-ipykernel");
    expect(r.stderr).toContain("pip install notebook");
  });

  it("rejects a bad option with exit 2 and the usage", () => {
    const unknown = install(["--global"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toBe("kernel:install: unknown option --global\nusage: npm run kernel:install [-- --user | --prefix DIR | --sys-prefix]\n");
    const two = install(["--user", "--prefix", join(tmp, "never")]);
    expect(two.status).toBe(2);
    expect(two.stderr).toContain("choose one of --user, --prefix, --sys-prefix");
    expect(install(["--prefix"]).stderr).toContain("--prefix needs a directory");
  });
});

const gate = toolGate("jupyter", "apt-get install jupyter-client python3-ipykernel");

describe.skipIf(gate.skip)("npm run kernel:install -- --prefix DIR, with jupyter", () => {
  it("registers a tslab kernel that runs this checkout's tslab, and Jupyter finds it there", () => {
    const prefix = join(tmp, "prefix");
    const r = install(["--prefix", prefix]);
    expect(r.status, r.stderr).toBe(0);
    const kernels = join(prefix, "share", "jupyter", "kernels");
    expect(r.stdout).toContain(`Registered the "TypeScript" kernel (tslab) in ${join(kernels, "tslab")}`);
    expect(r.stdout).toContain(`export JUPYTER_PATH=${join(prefix, "share", "jupyter")}`);

    const spec = JSON.parse(readFileSync(join(kernels, "tslab", "kernel.json"), "utf8")) as { argv: string[]; language: string };
    const binary = realpathSync(spec.argv[0] ?? "");
    expect(binary.startsWith(realpathSync("node_modules") + sep)).toBe(true);
    expect(binary).toBe(realpathSync(join("node_modules", "tslab", "bin", "tslab")));
    expect(spec.argv.slice(1)).toEqual(["kernel", "--config-path", "{connection_file}"]);
    expect(spec.language).toBe("typescript");

    // Jupyter itself, pointed at the prefix, resolves the name "tslab" to this kernelspec.
    const home = mkdtempSync(join(tmp, "home-"));
    const listed = spawnSync("jupyter", ["kernelspec", "list", "--json"], {
      encoding: "utf8",
      env: { ...process.env, HOME: home, JUPYTER_DATA_DIR: join(home, "jupyter"), JUPYTER_PATH: join(prefix, "share", "jupyter") },
    });
    expect(listed.status, listed.stderr).toBe(0);
    const found = (JSON.parse(listed.stdout) as { kernelspecs: Record<string, { resource_dir: string; spec: { argv: string[] } }> })
      .kernelspecs["tslab"];
    expect(realpathSync(found?.resource_dir ?? "")).toBe(realpathSync(join(kernels, "tslab")));
    expect(found?.spec.argv[0]).toBe(spec.argv[0]);
  }, 120_000);
});
