/** What both drivers (PGlite in its worker thread, PostgreSQL through `pg`) answer. */
export interface Queryable {
  query<R extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
  /** Runs several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}
