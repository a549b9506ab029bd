#!/usr/bin/env node
// `npm run kernel:install [-- --user | --prefix DIR | --sys-prefix]`
// Registers a Jupyter kernel ("TypeScript", name tslab) that runs THIS project's tslab from
// node_modules, through `tslab install --binary <abs path>`: no global npm install. The
// default is --user (~/.local/share/jupyter/kernels), which needs no privileges.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

const root = fileURLToPath(new URL("..", import.meta.url));
const USAGE = "usage: npm run kernel:install [-- --user | --prefix DIR | --sys-prefix]";
const INSTALL_JUPYTER = [
  "Install Jupyter, then run `npm run kernel:install` again:",
  "  Debian/Ubuntu:  sudo apt-get install jupyter-notebook",
  "                  (to run only the tests: sudo apt-get install jupyter-nbconvert jupyter-client python3-nbclient python3-ipykernel)",
  "  elsewhere:      pip install notebook      (or: conda install -c conda-forge notebook)",
].join("\n");

function fail(message, code = 1) {
  process.stderr.write(`kernel:install: ${message}\n`);
  process.exit(code);
}

function parseArgs(argv) {
  const scope = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--help" || a === "-h") {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (a === "--user" || a === "--sys-prefix") scope.push(a);
    else if (a === "--prefix") {
      const dir = argv[++i];
      if (!dir) fail(`--prefix needs a directory\n${USAGE}`, 2);
      scope.push(`--prefix=${dir}`);
    } else if (a.startsWith("--prefix=")) scope.push(a);
    else fail(`unknown option ${a}\n${USAGE}`, 2);
  }
  if (scope.length > 1) fail(`choose one of --user, --prefix, --sys-prefix\n${USAGE}`, 2);
  return scope.length ? scope : ["--user"];
}

function which(cmd) {
  try {
    return execFileSync("/bin/sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" }).trim() || null;
  } catch {
    return null;
  }
}

/** The Python that runs `jupyter` (its shebang), else python3/python; it must have jupyter_client. */
function jupyterPython(jupyter) {
  const candidates = [];
  try {
    const first = readFileSync(realpathSync(jupyter), "utf8").split("\n", 1)[0] ?? "";
    const m = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(first);
    if (m) candidates.push(m[1].endsWith("/env") && m[2] ? m[2] : m[1]);
  } catch {
    // a binary launcher: fall back to the usual names
  }
  candidates.push("python3", "python");
  for (const py of candidates) {
    const r = spawnSync(py, ["-c", "import jupyter_client, IPython"], { stdio: "ignore" });
    if (r.status === 0) return py;
  }
  return null;
}

const scope = parseArgs(process.argv.slice(2));
const jupyter = which("jupyter");
if (!jupyter) fail(`Jupyter is not installed (no \`jupyter\` command on PATH).\n${INSTALL_JUPYTER}`);
const python = jupyterPython(jupyter);
if (!python) {
  fail(
    `found ${jupyter}, but no Python with jupyter_client and IPython, which \`tslab install\` needs.\n` +
      "  Debian/Ubuntu:  sudo apt-get install jupyter-client python3-ipykernel\n" +
      "  elsewhere:      pip install jupyter_client ipykernel",
  );
}

const tslabDir = join(root, "node_modules", "tslab");
const binary = [join(root, "node_modules", ".bin", "tslab"), join(tslabDir, "bin", "tslab")].find(existsSync);
if (!binary) fail("tslab is not in node_modules; run `npm install` first");

// Notebooks import this package by name: make sure node_modules/tcp-lifecycle exists.
await import("./link-self.mjs");

const args = [join(tslabDir, "bin", "tslab"), "install", "--binary", binary, "--python", python, ...scope];
const run = spawnSync(process.execPath, args, { stdio: ["ignore", "inherit", "inherit"] });
if (run.status !== 0) fail(`\`tslab install\` failed (exit ${run.status ?? run.signal})`);

const prefix = scope[0]?.startsWith("--prefix=") ? scope[0].slice("--prefix=".length) : null;
const where = prefix ? join(prefix, "share", "jupyter", "kernels", "tslab") : "the Jupyter kernel registry";
process.stdout.write(`\nRegistered the "TypeScript" kernel (tslab) in ${where}, running ${binary}.\n`);
if (prefix) {
  process.stdout.write(`Jupyter looks there only when told: export JUPYTER_PATH=${join(prefix, "share", "jupyter")}\n`);
}
process.stdout.write("Open the notebooks with:  jupyter notebook notebooks/   (or: jupyter lab notebooks/)\n");
