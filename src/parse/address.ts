/**
 * Socket addresses as each tool prints them. A parser returns either a SocketAddress or a
 * string saying what was wrong (errors are values here; the caller turns them into a
 * diagnostic naming the line).
 */
import { decimal, hex } from "./lines.js";
import type { SocketAddress } from "./types.js";

/** A port as printed: a number, "*" (any), or a service name (ss/netstat without -n). */
function port(text: string): Pick<SocketAddress, "port" | "service"> | string {
  if (text === "*") return { port: null };
  const n = decimal(text);
  if (n !== undefined) return n <= 65535 ? { port: n } : `port ${text} is out of range (0-65535)`;
  if (/^[A-Za-z][\w.+-]*$/.test(text)) return { port: null, service: text };
  return `"${text}" is not a port (expected a number, "*" or a service name)`;
}

/** Letters, digits and : . * _ - (addresses and host names) in text[start, end); a loop, not a regex: two per socket. */
export function isAddressText(text: string, start = 0, end = text.length): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    const ok =
      (c >= 48 && c <= 58) /* 0-9 : */ || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 46 || c === 42 || c === 95 || c === 45;
    if (!ok) return false;
  }
  return true;
}

/** Longest host name kept (RFC 1035: 253 characters of text). */
export const MAX_HOST_NAME = 253;
/** Longest scope kept: an interface name (IFNAMSIZ 16, with its NUL) or a numeric zone id. */
export const MAX_SCOPE = 15;

/** What hostProblem() found: 0 a plausible host, else what the text is not. */
export const HOST_OK = 0;
const BAD_IPV4 = 1;
const BAD_IPV6 = 2;
const BAD_NAME = 3;

function hexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/**
 * Whether text[start, end) can be the host part of a socket address: `*`, an IPv4 dotted quad
 * (4 decimal octets 0-255), an IPv6 address in RFC 4291 text form (at most 8 groups of 1-4 hex
 * digits, one "::" at most, an optional trailing dotted quad standing for the last 2 groups), or
 * a host name (letters, digits, "-", "_", "." up to MAX_HOST_NAME; not only digits and dots).
 * No strings made: the ss fast path calls it twice per row. HOST_OK or a code for hostProblem.
 * Written again for bytes as hostCodeBytes (ss-fast.ts's counting path); keep the two alike.
 */
export function hostCode(text: string, start: number, end: number): number {
  if (end - start === 1 && text.charCodeAt(start) === 42 /* * */) return HOST_OK;
  let colons = 0;
  let dots = 0;
  let other = false;
  let star = false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 58) colons++;
    else if (c === 46) dots++;
    else if (c === 42) star = true;
    else if (c < 48 || c > 57) other = true;
  }
  if (colons > 0) return ipv6Code(text, start, end, dots) ? HOST_OK : BAD_IPV6;
  if (!other) return ipv4Code(text, start, end) ? HOST_OK : BAD_IPV4;
  return !star && end - start <= MAX_HOST_NAME && isAddressText(text, start, end) ? HOST_OK : BAD_NAME;
}

/** Four decimal octets 0-255 (1-3 digits each) in text[start, end), digits and dots only. */
function ipv4Code(text: string, start: number, end: number): boolean {
  let parts = 0;
  let digits = 0;
  let value = 0;
  for (let i = start; i <= end; i++) {
    const c = i === end ? 46 : text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || value > 255) return false;
      parts++;
      digits = 0;
      value = 0;
    } else {
      if (c < 48 || c > 57 || ++digits > 3) return false;
      value = value * 10 + (c - 48);
    }
  }
  return parts === 4;
}

/** RFC 4291 §2.2 text forms in text[start, end) (which holds at least one ":"). */
function ipv6Code(text: string, start: number, end: number, dots: number): boolean {
  let tail = end;
  if (dots > 0) {
    // The dotted quad follows the last ":" and stands for two groups.
    let last = end - 1;
    while (text.charCodeAt(last) !== 58) last--;
    if (!ipv4Code(text, last + 1, end)) return false;
    tail = last + 1;
  }
  let groups = dots > 0 ? 2 : 0;
  let doubled = false;
  let i = start;
  if (text.charCodeAt(i) === 58) {
    // Only "::" may start the address.
    if (text.charCodeAt(i + 1) !== 58) return false;
    doubled = true;
    i += 2;
  }
  while (i < tail) {
    let digits = 0;
    while (i < tail && hexDigit(text.charCodeAt(i))) {
      i++;
      if (++digits > 4) return false;
    }
    if (digits === 0) return false;
    groups++;
    if (i === tail) break;
    // A ":" after the group; a second one is the "::".
    i++;
    if (i === tail) {
      // "1:" ends only where a dotted quad follows.
      if (tail === end) return false;
      break;
    }
    if (text.charCodeAt(i) === 58) {
      if (doubled) return false;
      doubled = true;
      i++;
    }
  }
  return doubled ? groups <= 7 : groups === 8;
}

/** What is wrong with the host text, in words, or null. */
function hostProblem(host: string): string | null {
  const code = hostCode(host, 0, host.length);
  if (code === HOST_OK) return null;
  const shown = quoteAddress(host);
  if (code === BAD_IPV4) return `"${shown}" is not an IPv4 address (expected four numbers 0-255 separated by dots)`;
  if (code === BAD_IPV6) return `"${shown}" is not an IPv6 address (expected up to 8 groups of 1-4 hex digits, one "::" at most, RFC 4291)`;
  if (host.length > MAX_HOST_NAME) return `host name "${shown}" is longer than ${MAX_HOST_NAME} characters`;
  return `"${shown}" is not an address`;
}

/** An address or scope as quoted in a message: at most 64 characters. */
function quoteAddress(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}

/** Splits "fe80::1%eth0" into the address and the scope. */
function withScope(host: string, portPart: Pick<SocketAddress, "port" | "service">, scopeOutside?: string): SocketAddress | string {
  let address = host;
  let scope = scopeOutside;
  const pct = host.indexOf("%");
  if (pct !== -1) {
    address = host.slice(0, pct);
    scope = host.slice(pct + 1);
  }
  if (address === "") return `empty address in "${quoteAddress(host)}"`;
  if (scope === "") return `empty scope after "%" in "${quoteAddress(host)}"`;
  if (scope !== undefined && (scope.length > MAX_SCOPE || !isAddressText(scope))) {
    return `scope "${quoteAddress(scope)}" is not an interface name or zone id (at most ${MAX_SCOPE} letters, digits, ".", "_" or "-")`;
  }
  if (!isAddressText(address)) return `"${quoteAddress(address)}" is not an address`;
  const problem = hostProblem(address);
  if (problem !== null) return problem;
  if (scope === undefined && portPart.service === undefined) return { address, port: portPart.port };
  const out: { address: string; port: number | null; scope?: string; service?: string } = { address, port: portPart.port };
  if (scope !== undefined) out.scope = scope;
  if (portPart.service !== undefined) out.service = portPart.service;
  return out;
}

/**
 * `host:port` with the port after the LAST colon: ss (`127.0.0.1:80`, `[::1]:80`,
 * `[fe80::1]%eth0:22`, `127.0.0.53%lo:53`, `*:*`, `[::ffff:1.2.3.4]:80`), Linux netstat
 * (`:::22`, `::1:631`, `0.0.0.0:*`) and Windows (`[::1]:9090`, `[fe80::1%4]:50000`, `*:*`).
 */
export function colonAddress(text: string): SocketAddress | string {
  if (text === "*") return { address: "*", port: null };
  const colon = text.lastIndexOf(":");
  if (colon === -1) return `"${text}" has no ":port" (expected address:port)`;
  const p = port(text.slice(colon + 1));
  if (typeof p === "string") return p;
  const host = text.slice(0, colon);
  if (host.charCodeAt(0) === 91 /* [ */) {
    const close = host.indexOf("]");
    if (close === -1) return `"${text}" opens "[" without "]"`;
    const after = host.slice(close + 1);
    if (after !== "" && after.charCodeAt(0) !== 37 /* % */) return `unexpected "${after}" after "]" in "${text}"`;
    return withScope(host.slice(1, close), p, after === "" ? undefined : after.slice(1));
  }
  return withScope(host, p);
}

/**
 * BSD/macOS `netstat`: the port follows the LAST DOT: `127.0.0.1.8080`, `*.8080`, `*.*`,
 * `::1.631`, `fe80::1%lo0.631`.
 */
export function dotAddress(text: string): SocketAddress | string {
  const dot = text.lastIndexOf(".");
  if (dot === -1) return `"${text}" has no ".port" (expected address.port, as BSD netstat prints it)`;
  const p = port(text.slice(dot + 1));
  if (typeof p === "string") return p;
  return withScope(text.slice(0, dot), p);
}

/**
 * /proc/net/tcp: 8 hex digits, the network-order address read as a host integer and printed
 * in hex. On little-endian machines the bytes come out reversed: 0100007F = 127.0.0.1.
 * /proc/net/tcp6: four such 32-bit words.
 */
export function procAddress(text: string, littleEndian = true): SocketAddress | string {
  const colon = text.indexOf(":");
  if (colon === -1) return `"${text}" is not HEXADDR:HEXPORT`;
  const a = text.slice(0, colon);
  const portHex = text.slice(colon + 1);
  const portNumber = portHex.length === 4 ? hex(portHex) : undefined;
  if (portNumber === undefined) return `port "${portHex}" is not 4 hex digits`;
  if (a.length !== 8 && a.length !== 32) return `address "${a}" is not 8 or 32 hex digits`;
  const bytes: number[] = [];
  for (let w = 0; w < a.length; w += 8) {
    const word = hex(a.slice(w, w + 8));
    if (word === undefined) return `address "${a}" is not hex`;
    const b = [(word >>> 24) & 255, (word >>> 16) & 255, (word >>> 8) & 255, word & 255];
    if (littleEndian) b.reverse();
    bytes.push(...b);
  }
  return { address: bytes.length === 4 ? bytes.join(".") : formatIpv6(bytes), port: portNumber };
}

/** RFC 5952 text: lower case, the longest run of zero groups as "::", ::ffff:a.b.c.d for mapped. */
export function formatIpv6(bytes: readonly number[]): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes.slice(12, 16).join(".")}`;
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const text = groups.map((g) => g.toString(16));
  if (bestStart === -1) return text.join(":");
  return `${text.slice(0, bestStart).join(":")}::${text.slice(bestStart + bestLength).join(":")}`;
}

/** One way to print any parsed address: `127.0.0.1:80`, `[::1]:80`, `[fe80::1]%eth0:22`, `*:*`. */
export function formatAddress(a: SocketAddress): string {
  const host = a.address.includes(":") ? `[${a.address}]` : a.address;
  const scope = a.scope !== undefined ? `%${a.scope}` : "";
  const port = a.port ?? a.service ?? "*";
  return `${host}${scope}:${port}`;
}
