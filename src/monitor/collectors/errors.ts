/**
 * A collector that cannot run at all: the tool is not installed, or the source does not
 * exist on this system. The CLI reports the message (which names the tool and how to get
 * it) as a user error. A tool that runs but prints lines we cannot read is not an error:
 * those lines become diagnostics in the sample.
 */
export class CollectorError extends Error {
  override readonly name = "CollectorError";
  constructor(
    message: string,
    /** The tool or file that was missing or failed: "ss", "/proc/net/tcp". */
    readonly tool: string,
    /** Set when the tool was killed by a signal (Ctrl-C reaches the whole process group). */
    readonly signal?: string,
  ) {
    super(message);
  }
}

/** How to install each tool, for the message. */
export const INSTALL_HINTS: Readonly<Record<string, string>> = {
  ss: "it is part of iproute2 (apt-get install iproute2)",
  netstat: "on Linux it is part of net-tools (apt-get install net-tools); macOS and Windows ship it",
};
