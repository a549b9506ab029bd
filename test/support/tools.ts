/**
 * Tests that need a system tool (jupyter, chromium, tcpdump, ss, netstat) use `toolGate`:
 * outside CI a missing tool skips the test and says why; in CI (CI=true) it fails, because
 * .ci/run installs every tool the suite needs.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

export const inCI = process.env.CI === "true" || process.env.CI === "1";

export function hasCommand(name: string): boolean {
  if (name.startsWith("/")) return existsSync(name);
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export interface ToolGate {
  /** True when the test should be skipped. */
  readonly skip: boolean;
  readonly reason: string;
}

/**
 * Use as `const gate = toolGate("tcpdump", "apt-get install tcpdump"); describe.skipIf(gate.skip)(…)`.
 * `available` lets a caller add its own check (a permission, a registered kernel).
 */
export function toolGate(name: string, install: string, available: boolean = hasCommand(name)): ToolGate {
  if (available) return { skip: false, reason: "" };
  const reason = `${name} is not available (install it with: ${install})`;
  if (inCI) throw new Error(`CI=true but ${reason}; .ci/run must install it`);
  console.warn(`skipping: ${reason}`);
  return { skip: true, reason };
}
