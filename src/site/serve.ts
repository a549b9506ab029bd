/**
 * A static file server for the built site, on 127.0.0.1 only.
 *
 *   serveSite({ dir, port }) → { url, port, close }
 *
 * It serves GET and HEAD from `dir` and nothing outside it: the path is percent-decoded once,
 * must not contain NUL or backslashes, and must resolve (symlinks included) inside `dir`;
 * anything else is 403, before the file system is asked about it. A busy port falls back to
 * an ephemeral one.
 *
 * No resource outlives its request: a file of at most WHOLE_FILE_MAX_BYTES is read whole
 * (its descriptor closed at once) and sent in one write; a larger one goes through
 * `stream.pipeline`, which destroys the read stream (and so closes its descriptor) whether the
 * response ends, fails or the client hangs up first. A client gets HEADERS_TIMEOUT_MS to send its headers and
 * REQUEST_TIMEOUT_MS for the whole request, and a connection that moves no bytes for
 * IDLE_TIMEOUT_MS is closed (docs/limits.md, "Site server and site build").
 */
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createReadStream, existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { extname, join, resolve, sep } from "node:path";
import { pipeline } from "node:stream";
import { CONTENT_SECURITY_POLICY } from "./layout.js";

import { DEFAULT_PORT, HOST } from "./defaults.js";
export { DEFAULT_PORT, HOST };

export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".ipynb": "application/x-ipynb+json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".woff2": "font/woff2",
};

/** Time a client has to send the request line and headers. */
export const HEADERS_TIMEOUT_MS = 10_000;
/** Time a client has to send the whole request (a GET has no body, so this is the same bound). */
export const REQUEST_TIMEOUT_MS = 15_000;
/** A connection that sends and receives nothing for this long is closed (a reader that stopped reading). */
export const IDLE_TIMEOUT_MS = 60_000;
/**
 * Files up to this size (every page, stylesheet and script of the site) are read whole and
 * sent in one write: the descriptor is closed before the response starts, and a request costs
 * no stream, no abort signal and no thread-pool round trips (bench/site-load.bench.mjs: 2.4 times
 * the requests per second of streaming them). Larger files are streamed.
 */
export const WHOLE_FILE_MAX_BYTES = 256 * 1024;

export interface ServeOptions {
  readonly dir: string;
  /** Default 4173; 0 for an ephemeral port. */
  readonly port?: number;
  /** Try an ephemeral port when `port` is taken. Default true. */
  readonly fallback?: boolean;
  readonly log?: (line: string) => void;
  /** Default HEADERS_TIMEOUT_MS (at most the request timeout). */
  readonly headersTimeoutMs?: number;
  /** Default REQUEST_TIMEOUT_MS. */
  readonly requestTimeoutMs?: number;
  /** Default IDLE_TIMEOUT_MS. */
  readonly idleTimeoutMs?: number;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

export type Resolution =
  | { readonly kind: "file"; readonly file: string }
  /** 301: the page lives at another URL, and its relative links only work from there. */
  | { readonly kind: "redirect"; readonly location: string }
  | { readonly kind: "forbidden"; readonly reason: string }
  | { readonly kind: "bad-request"; readonly reason: string }
  | { readonly kind: "not-found" };

/** Map a request target to a file inside `root` (an absolute, real path), or say why not. */
export function resolveRequestPath(root: string, target: string): Resolution {
  const rawPath = target.split(/[?#]/, 1)[0] ?? "/";
  const query = target.slice(rawPath.length).split("#", 1)[0] ?? "";
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { kind: "bad-request", reason: "malformed percent-encoding" };
  }
  if (!decoded.startsWith("/")) return { kind: "bad-request", reason: "path must start with /" };
  if (decoded.includes("\0") || decoded.includes("\\")) return { kind: "forbidden", reason: "NUL or backslash in path" };
  // Any ".." segment is refused outright, even one that would land back inside.
  if (decoded.split("/").includes("..")) return { kind: "forbidden", reason: "path leaves the site folder" };
  let file = resolve(root, `.${decoded}`);
  if (file !== root && !file.startsWith(root + sep)) return { kind: "forbidden", reason: "path leaves the site folder" };
  let addedHtml = false;
  if (!existsSync(file)) {
    if (!existsSync(`${file}.html`)) return { kind: "not-found" };
    file = `${file}.html`;
    addedHtml = true;
  }
  const real = realpathSync(file);
  if (real !== root && !real.startsWith(root + sep)) return { kind: "forbidden", reason: "link leaves the site folder" };
  // path.resolve drops a trailing slash, so /x.html/ and /x/ would find x.html; served there,
  // its relative links (assets/site.css) would resolve under /x.html/. Send the reader to the
  // page's own URL instead, and likewise add the slash a folder's index.html needs.
  const slash = decoded.endsWith("/");
  // One leading slash only: "//host/x/" as a Location would send the reader to another site.
  const here = `/${rawPath.replace(/^\/+/, "")}`;
  if (statSync(real).isDirectory()) {
    const index = join(real, "index.html");
    if (!existsSync(index)) return { kind: "not-found" };
    if (!slash) return { kind: "redirect", location: `${here}/${query}` };
    return { kind: "file", file: index };
  }
  if (slash) {
    const page = here.replace(/\/+$/, "");
    return { kind: "redirect", location: `${page}${addedHtml ? ".html" : ""}${query}` };
  }
  return { kind: "file", file: real };
}

function send(res: ServerResponse, status: number, body: string, headOnly: boolean): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(body) });
  res.end(headOnly ? undefined : body);
}

function handler(root: string): (req: IncomingMessage, res: ServerResponse) => void {
  const answer = respond(root);
  return (req, res) => {
    try {
      answer(req, res);
    } catch {
      // The file system changed under us (a file removed between the lookup and stat, a
      // folder made unreadable): one failed request, never a crashed server.
      if (!res.headersSent) send(res, 500, "500 internal error\n", req.method === "HEAD");
      else res.destroy();
    }
  };
}

function respond(root: string): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const headOnly = req.method === "HEAD";
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Referrer-Policy", "no-referrer");
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("Allow", "GET, HEAD");
      send(res, 405, "405 method not allowed\n", false);
      return;
    }
    const found = resolveRequestPath(root, req.url ?? "/");
    if (found.kind === "bad-request") return send(res, 400, `400 bad request: ${found.reason}\n`, headOnly);
    if (found.kind === "forbidden") return send(res, 403, `403 forbidden: ${found.reason}\n`, headOnly);
    if (found.kind === "redirect") {
      res.setHeader("Location", found.location);
      return send(res, 301, `301 moved permanently: ${found.location}\n`, headOnly);
    }
    const notFound = found.kind === "not-found";
    const file = notFound ? join(root, "404.html") : found.file;
    if (notFound && !existsSync(file)) return send(res, 404, "404 not found\n", headOnly);
    const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? "application/octet-stream";
    const size = statSync(file).size;
    const headers: Record<string, string | number> = { "Content-Type": type, "Content-Length": size, "Cache-Control": "no-cache" };
    if (type.startsWith("text/html")) headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY;
    const status = notFound ? 404 : 200;
    if (headOnly) {
      res.writeHead(status, headers);
      res.end();
      return;
    }
    if (size <= WHOLE_FILE_MAX_BYTES) {
      const body = readFileSync(file);
      // The file may have changed since stat: the length sent is the length read.
      headers["Content-Length"] = body.byteLength;
      res.writeHead(status, headers);
      res.end(body);
      return;
    }
    res.writeHead(status, headers);
    // pipeline, not pipe: when the client goes away first, pipe only unpipes and the paused
    // read stream keeps its descriptor for the life of the process; pipeline destroys it.
    // An error on either side (the file vanished, the socket reset) destroys both; the
    // status line has gone out, so there is nothing more to tell the client.
    pipeline(createReadStream(file), res, () => undefined);
  };
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const onError = (err: Error): void => {
      server.off("listening", onListening);
      reject(err);
    };
    const onListening = (): void => {
      server.off("error", onError);
      const address = server.address();
      resolvePort(typeof address === "object" && address !== null ? address.port : port);
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, HOST);
  });
}

export async function serveSite(options: ServeOptions): Promise<RunningServer> {
  const dir = resolve(options.dir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ServeError(`${dir}: no such folder (build the site first: tcp-lifecycle site build)`);
  }
  const root = realpathSync(dir);
  const requestTimeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const headersTimeout = Math.min(options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS, requestTimeout);
  // Node checks the two request timeouts every connectionsCheckingInterval (default 30 s).
  const server = createServer(
    { headersTimeout, requestTimeout, connectionsCheckingInterval: Math.min(1_000, headersTimeout) },
    handler(root),
  );
  // With no 'timeout' listener, an idle socket is destroyed, and its response's pipeline with it.
  server.setTimeout(options.idleTimeoutMs ?? IDLE_TIMEOUT_MS);
  const wanted = options.port ?? DEFAULT_PORT;
  let port: number;
  try {
    port = await listen(server, wanted);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EADDRINUSE" || options.fallback === false || wanted === 0) {
      throw new ServeError(`cannot listen on ${HOST}:${wanted}: ${(err as Error).message}`);
    }
    options.log?.(`port ${wanted} is busy; using an ephemeral port`);
    port = await listen(server, 0);
  }
  const url = `http://${HOST}:${port}/`;
  return {
    url,
    port,
    server,
    close: () =>
      new Promise<void>((done, fail) => {
        server.close((err) => (err ? fail(err) : done()));
        server.closeAllConnections();
      }),
  };
}

export class ServeError extends Error {
  override readonly name = "ServeError";
}
