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

/** Splits "fe80::1%eth0" into the address and the scope. */
function withScope(host: string, portPart: Pick<SocketAddress, "port" | "service">, scopeOutside?: string): SocketAddress | string {
  let address = host;
  let scope = scopeOutside;
  const pct = host.indexOf("%");
  if (pct !== -1) {
    address = host.slice(0, pct);
    scope = host.slice(pct + 1);
  }
  if (address === "") return `empty address in "${host}"`;
  if (scope === "") return `empty scope after "%" in "${host}"`;
  if (!isAddressText(address)) return `"${address}" is not an address`;
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
