/**
 * Link layers: from a frame to the network-layer protocol and where its header starts.
 * Link-type numbers are the LINKTYPE_ values of https://www.tcpdump.org/linktypes.html.
 */

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;

/** What sits on top of the link layer. */
export type NetworkLayer =
  | { readonly kind: "ip"; readonly version: 4 | 6; readonly at: number }
  /** Not IP: `what` names it for counting ("arp", "ethertype 0x88cc", "AF 17"). */
  | { readonly kind: "other"; readonly what: string; readonly reason: string }
  | { readonly kind: "bad"; readonly at: number; readonly reason: string };

const LINK_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: "NULL (BSD loopback)",
  1: "ETHERNET",
  12: "RAW (BSD DLT_RAW)",
  14: "RAW (OpenBSD DLT_RAW)",
  101: "RAW",
  108: "LOOP (OpenBSD loopback)",
  113: "LINUX_SLL",
  228: "IPV4",
  229: "IPV6",
  276: "LINUX_SLL2",
};

export function linkTypeName(linkType: number): string {
  return LINK_TYPE_NAMES[linkType] ?? `unsupported link type ${linkType}`;
}

export function isSupportedLinkType(linkType: number): boolean {
  return linkType in LINK_TYPE_NAMES;
}

const ETHERTYPE_NAMES: Readonly<Record<number, string>> = { 0x0806: "arp", 0x8035: "rarp", 0x88cc: "lldp" };

function fromEthertype(type: number, at: number): NetworkLayer {
  if (type === ETHERTYPE_IPV4) return { kind: "ip", version: 4, at };
  if (type === ETHERTYPE_IPV6) return { kind: "ip", version: 6, at };
  const hex = `0x${type.toString(16).padStart(4, "0")}`;
  const what = ETHERTYPE_NAMES[type] ?? `ethertype ${hex}`;
  return { kind: "other", what, reason: `not IP: ethertype ${hex}${ETHERTYPE_NAMES[type] ? ` (${what})` : ""}` };
}

function need(end: number, at: number, n: number, what: string): NetworkLayer | null {
  if (end >= at + n) return null;
  return { kind: "bad", at, reason: `${what} truncated: need ${n} bytes, have ${Math.max(0, end - at)}` };
}

/** The IP version from the first nibble, for link types that carry bare IP. */
function rawIp(bytes: Uint8Array, at: number, end: number): NetworkLayer {
  const short = need(end, at, 1, "IP header");
  if (short) return short;
  const version = (bytes[at] ?? 0) >> 4;
  if (version === 4 || version === 6) return { kind: "ip", version, at };
  return { kind: "bad", at, reason: `raw IP: expected IP version 4 or 6, got ${version}` };
}

/**
 * BSD loopback address families. AF_INET is 2 everywhere; AF_INET6 differs by system:
 * 24 (NetBSD, OpenBSD), 28 (FreeBSD, DragonFly), 30 (macOS), 10 (Linux).
 */
function fromFamily(family: number, at: number): NetworkLayer {
  if (family === 2) return { kind: "ip", version: 4, at };
  if (family === 24 || family === 28 || family === 30 || family === 10) return { kind: "ip", version: 6, at };
  return { kind: "other", what: `AF ${family}`, reason: `not IP: loopback address family ${family}` };
}

/** Find the network layer of the frame at bytes[start, end); offsets are positions in `bytes`. */
export function decodeLink(linkType: number, bytes: Uint8Array, view: DataView, start: number, end: number): NetworkLayer {
  switch (linkType) {
    case 1: {
      // Ethernet II: dst(6) src(6) type(2), then any number of 802.1Q / 802.1ad tags (4 bytes each).
      let at = start + 12;
      for (;;) {
        const short = need(end, at, 2, at === start + 12 ? "Ethernet header" : "802.1Q tag");
        if (short) return short;
        const type = view.getUint16(at);
        if (type === 0x8100 || type === 0x88a8 || type === 0x9100) {
          const tag = need(end, at, 4, "802.1Q tag");
          if (tag) return tag;
          at += 4;
          continue;
        }
        // Values below 0x0600 are an IEEE 802.3 length, not a type: LLC frames, not IP.
        if (type < 0x0600) return { kind: "other", what: "802.3", reason: "not IP: IEEE 802.3 length field (LLC frame)" };
        return fromEthertype(type, at + 2);
      }
    }
    case 113: {
      // Linux cooked v1: packet type(2) ARPHRD(2) address length(2) address(8) protocol(2).
      const short = need(end, start, 16, "Linux cooked (SLL) header");
      if (short) return short;
      return fromEthertype(view.getUint16(start + 14), start + 16);
    }
    case 276: {
      // Linux cooked v2: protocol(2) reserved(2) ifindex(4) ARPHRD(2) packet type(1) address length(1) address(8).
      const short = need(end, start, 20, "Linux cooked v2 (SLL2) header");
      if (short) return short;
      return fromEthertype(view.getUint16(start), start + 20);
    }
    case 0: {
      // The family is in the capturing host's byte order, which need not be the file's: a
      // family is always < 256, so whichever reading is small is the right one.
      const short = need(end, start, 4, "loopback (NULL) header");
      if (short) return short;
      const le = view.getUint32(start, true);
      return fromFamily(le < 0x100 ? le : view.getUint32(start, false), start + 4);
    }
    case 108: {
      // OpenBSD DLT_LOOP: the family is always in network byte order.
      const short = need(end, start, 4, "loopback (LOOP) header");
      if (short) return short;
      return fromFamily(view.getUint32(start, false), start + 4);
    }
    case 12:
    case 14:
    case 101:
      return rawIp(bytes, start, end);
    case 228:
      return { kind: "ip", version: 4, at: start };
    case 229:
      return { kind: "ip", version: 6, at: start };
    default:
      return { kind: "other", what: `link-type ${linkType}`, reason: `link type ${linkType} is not supported` };
  }
}
