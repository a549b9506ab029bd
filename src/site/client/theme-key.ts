/** Where the reader's light/dark choice is kept. */
export const THEME_KEY = "tcp-lifecycle-theme";
