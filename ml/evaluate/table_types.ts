/**
 * The shape of a formatted table (`Table`) and the names of evaluate's tables (`TableId`): the renderers' input.
 * Apart from tables.ts, which builds them, so that the files building one table each (return_head.ts) need not
 * import the file that imports them.
 */

/** Names of the tables, in the order `evaluationTables` returns them; a renderer places its extras by them. */
export type TableId =
  | "pooled"
  | "decision_rule"
  | "per_class"
  | "confident_calls"
  | "return_head"
  | "bootstrap"
  | "blend"
  | "per_fold"
  | "reliability"
  | "per_symbol"
  | "backtest"
  | "learner_trades";

/**
 * One table with every cell already formatted: renderers lay it out and never format a number themselves.
 * `Id` names the tables of one output (train's test split has its own).
 */
export interface Table<Id extends string = TableId> {
  readonly id: Id;
  readonly title: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** How many leading columns are labels (left-aligned as text); the rest are numbers. */
  readonly labelColumns: number;
  /** Sentences needed to read the table (what a column means, what the numbers cover), in order. */
  readonly notes: readonly string[];
  /** Rows to emphasise (the model under evaluation, the backtest row the equity curves trade), by index. */
  readonly highlight: readonly number[];
}
