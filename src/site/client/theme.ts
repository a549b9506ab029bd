/**
 * Runs in <head> before the page paints: applies a theme the reader chose earlier. With no
 * choice stored, the stylesheet follows the system (prefers-color-scheme).
 */
import { THEME_KEY } from "./theme-key.js";

export function storedTheme(): "light" | "dark" | null {
  try {
    const v = localStorage.getItem(THEME_KEY);
    return v === "light" || v === "dark" ? v : null;
  } catch {
    return null; // storage disabled: follow the system
  }
}

// The stylesheet hides the chapters menu behind its button only when scripts run.
document.documentElement.classList.add("js");
const theme = storedTheme();
if (theme !== null) document.documentElement.dataset.theme = theme;
