/** Defaults shared by the site builder, its server and the CLI (which loads the builder only when asked). */
export const DEFAULT_OUT_DIR = "site-dist";
export const DEFAULT_EXECUTED_DIR = "build/notebooks";
export const DEFAULT_PORT = 4173;
export const HOST = "127.0.0.1";
