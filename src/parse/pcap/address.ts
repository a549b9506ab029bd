/** Textual IP addresses from packet bytes; IPv6 text is the parsers' shared RFC 5952 formatter. */
import { formatIpv6 } from "../address.js";

export function ipv4ToString(bytes: Uint8Array, at: number): string {
  return `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
}

export function ipv6ToString(bytes: Uint8Array, at: number): string {
  return formatIpv6(Array.from(bytes.subarray(at, at + 16)));
}
