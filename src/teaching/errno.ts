/** What an application sees: each errno, when the kernel returns it (filled in by the teaching issue). */
export interface ErrnoEntry {
  readonly name: string;
  readonly call: string;
  readonly when: string;
  readonly source: string;
}

export const ERRNO_TABLE: readonly ErrnoEntry[] = [];
