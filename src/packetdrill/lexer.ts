/**
 * The packetdrill script lexer: text → tokens, one logical line at a time.
 *
 * packetdrill's own scanner (gtests/net/packetdrill/lexer.l) ignores newlines; its grammar
 * alone decides where an event ends. We read a line at a time instead, because a reader
 * that teaches should report every mistake, not just the first one: after a syntax error
 * the parser recovers at the next line. A logical line ends at a newline, except inside a
 * `%{ … }%` python block (one token, however many lines), and a `/* … *\/` comment that
 * spans lines ends the line it started on.
 *
 * Tokens follow lexer.l where it matters for TCP scripts: `...` is one token, `--name` is an
 * option, `"…"` a string, `` `…` `` a shell command (which we keep to one line), numbers
 * are `123`, `0x1f`, `0.25` or `.25`; a run of letters, digits and `_` is a word; anything
 * else is a one-character token. The lexer never fails: what it cannot close it reports and
 * marks the line broken, so the parser skips it. `TokenCursor` is what the parser reads a
 * line with, and words its messages: `expected …, got "…"`, quoting at most 40 characters.
 * Pure: no Node imports.
 */

export type TokenKind = "num" | "word" | "option" | "string" | "shell" | "python" | "ellipsis" | "punct";

export interface Token {
  readonly kind: TokenKind;
  /** The token's source text (a string or shell token with its delimiters). */
  readonly text: string;
  /** Offsets into the script: [offset, end). */
  readonly offset: number;
  readonly end: number;
  /** 1-based position of the first character, and of the character after the last. */
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
}

export interface LexedLine {
  readonly tokens: readonly Token[];
  /** The lexer already reported a problem on this line (an unclosed string or block). */
  readonly broken: boolean;
}

export type LexReport = (line: number, column: number, message: string) => void;

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

const NUMBER = /^(?:\d+(?:\.\d+)?|0[xX][0-9a-fA-F]+)$/;

export class Lexer {
  private pos = 0;
  private line = 1;
  private lineStart = 0;

  constructor(
    private readonly src: string,
    private readonly report: LexReport,
  ) {}

  /** The next logical line's tokens, or undefined at the end of the script. */
  nextLine(): LexedLine | undefined {
    const src = this.src;
    if (this.pos >= src.length) return undefined;
    const tokens: Token[] = [];
    let broken = false;
    while (this.pos < src.length) {
      const c = src.charCodeAt(this.pos);
      const next = src.charCodeAt(this.pos + 1);
      if (c === 10) {
        this.newline(this.pos);
        this.pos++;
        return { tokens, broken };
      }
      if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11 || c === 0xfeff) {
        this.pos++;
      } else if (c === 47 && next === 47) {
        const nl = src.indexOf("\n", this.pos);
        this.pos = nl === -1 ? src.length : nl;
      } else if (c === 47 && next === 42) {
        if (this.comment()) return { tokens, broken };
      } else if (c === 37 && next === 123) {
        const close = src.indexOf("}%", this.pos + 2);
        if (close === -1) {
          this.report(this.line, this.column(this.pos), `expected "}%" to close the python block, got end of input`);
          this.pos = src.length;
          return { tokens, broken: true };
        }
        tokens.push(this.token("python", close + 2));
      } else if (c === 96 || c === 34) {
        const tok = this.quoted(c);
        if (tok) tokens.push(tok);
        else broken = true;
      } else if (c === 46 && next === 46 && src.charCodeAt(this.pos + 2) === 46) {
        tokens.push(this.token("ellipsis", this.pos + 3));
      } else if (c === 46 && isDigit(next)) {
        tokens.push(this.token("num", this.digitsEnd(this.pos + 1)));
      } else if (c === 45 && next === 45 && isWordChar(src.charCodeAt(this.pos + 2))) {
        tokens.push(this.token("option", this.wordEnd(this.pos + 2)));
      } else if (isWordChar(c)) {
        let end = this.wordEnd(this.pos);
        if (src.charCodeAt(end) === 46 && isDigit(src.charCodeAt(end + 1)) && /^\d+$/.test(src.slice(this.pos, end))) {
          end = this.digitsEnd(end + 1);
        }
        tokens.push(this.token(NUMBER.test(src.slice(this.pos, end)) ? "num" : "word", end));
      } else {
        tokens.push(this.token("punct", this.pos + 1));
      }
    }
    return { tokens, broken };
  }

  private column(offset: number): number {
    return offset - this.lineStart + 1;
  }

  private newline(at: number): void {
    this.line++;
    this.lineStart = at + 1;
  }

  /** Makes the token [pos, end), counting any newlines inside it, and moves past it. */
  private token(kind: TokenKind, end: number): Token {
    const offset = this.pos;
    const line = this.line;
    const column = this.column(offset);
    if (kind === "python" || kind === "punct") {
      // Only a python block or a skipped comment (made as a punct token) can hold newlines.
      for (let i = offset; i < end; i++) if (this.src.charCodeAt(i) === 10) this.newline(i);
    }
    this.pos = end;
    return { kind, text: this.src.slice(offset, end), offset, end, line, column, endLine: this.line, endColumn: this.column(end) };
  }

  private wordEnd(from: number): number {
    let i = from;
    while (i < this.src.length && isWordChar(this.src.charCodeAt(i))) i++;
    return i;
  }

  private digitsEnd(from: number): number {
    let i = from;
    while (i < this.src.length && isDigit(this.src.charCodeAt(i))) i++;
    return i;
  }

  /** Skips a C comment; true when it spanned lines (which ends the logical line). */
  private comment(): boolean {
    const close = this.src.indexOf("*/", this.pos + 2);
    if (close === -1) {
      this.report(this.line, this.column(this.pos), `expected "*/" to close the comment, got end of input`);
      this.pos = this.src.length;
      return true;
    }
    const before = this.line;
    this.token("punct", close + 2);
    return this.line !== before;
  }

  /** A string or shell command, closed on the same line; undefined (reported) if not. */
  private quoted(quote: number): Token | undefined {
    const src = this.src;
    let i = this.pos + 1;
    while (i < src.length && src.charCodeAt(i) !== quote && src.charCodeAt(i) !== 10) {
      i += src.charCodeAt(i) === 92 && i + 1 < src.length && src.charCodeAt(i + 1) !== 10 ? 2 : 1;
    }
    if (src.charCodeAt(i) === quote) return this.token(quote === 96 ? "shell" : "string", i + 1);
    const what = quote === 96 ? "a closing backquote (a shell command ends on its line)" : "a closing quote (a string ends on its line)";
    this.report(this.line, this.column(this.pos), `expected ${what}, got end of line`);
    this.pos = i;
    return undefined;
  }
}

/** At most this many characters of input are quoted in a message. */
const QUOTE_CHARS = 40;

/** Quotes input for a message, at most QUOTE_CHARS characters of it. */
export function quote(s: string): string {
  return JSON.stringify(s.length > QUOTE_CHARS ? `${s.slice(0, QUOTE_CHARS)}…` : s);
}

/** A syntax error on the current line: the parser catches it and moves on to the next line. */
export class Problem {
  constructor(
    readonly line: number,
    readonly column: number,
    readonly message: string,
  ) {}
}

/** A cursor over one logical line's tokens, and the `expected …, got "…"` messages. */
export class TokenCursor {
  protected i = 0;

  constructor(
    protected readonly src: string,
    protected readonly tokens: readonly Token[],
  ) {}

  protected peek(k = 0): Token | undefined {
    return this.tokens[this.i + k];
  }

  protected take(): Token | undefined {
    return this.tokens[this.i++];
  }

  protected isPunct(c: string, k = 0): boolean {
    const t = this.peek(k);
    return t !== undefined && t.kind === "punct" && t.text === c;
  }

  protected isWord(w: string, k = 0): boolean {
    const t = this.peek(k);
    return t !== undefined && t.kind === "word" && t.text === w;
  }

  /** A Problem at `at` (or the end of the line): `expected …, got "…"` (default: the word at `at`). */
  expected(what: string, at: Token | undefined, got?: string): Problem {
    if (at === undefined) {
      const last = this.tokens[this.tokens.length - 1];
      return new Problem(last?.endLine ?? 1, last?.endColumn ?? 1, `expected ${what}, got end of line`);
    }
    return new Problem(at.line, at.column, `expected ${what}, got ${quote(got ?? this.wordAt(at))}`);
  }

  /** The source from a token up to the next whitespace (what a message quotes). */
  protected wordAt(t: Token): string {
    const rest = this.src.slice(t.offset, t.offset + QUOTE_CHARS + 1);
    const ws = rest.search(/\s/);
    return ws === -1 ? rest : ws === 0 ? t.text : rest.slice(0, ws);
  }

  /** The source from `first` to the last token taken. */
  protected sourceFrom(first: Token): string {
    const last = this.tokens[this.i - 1] ?? first;
    return this.src.slice(first.offset, Math.max(first.end, last.end));
  }

  /** Throws unless the line has no more tokens. */
  protected end(after: string): void {
    const t = this.peek();
    if (t !== undefined) throw this.expected(`end of line after ${after}`, t);
  }
}
